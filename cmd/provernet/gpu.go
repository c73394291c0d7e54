package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// gpuFlagHelp describes --gpu (and --prover-gpu).
const gpuFlagHelp = "declare a GPU as MODEL:MEMORY, memory in MiB or with a GiB suffix, e.g. rtx-4090:24GiB (repeatable; recorded but untested: not used to allocate Runs)"

// parseGPUs reads --gpu MODEL:MEMORY flags.
func parseGPUs(specs []string) ([]wire.GPU, error) {
	var out []wire.GPU
	for _, s := range specs {
		i := strings.LastIndex(s, ":")
		if i <= 0 || i == len(s)-1 {
			return nil, cli.WithHint(fmt.Errorf("invalid --gpu %q", s), "write --gpu MODEL:MEMORY, e.g. --gpu rtx-4090:24GiB or --gpu H100:81920")
		}
		model, mem := s[:i], s[i+1:]
		mb, err := parseMiB(mem)
		if err != nil {
			return nil, cli.WithHint(fmt.Errorf("invalid --gpu %q: %w", s, err), "the memory is in MiB (24576) or GiB with a suffix (24GiB)")
		}
		out = append(out, wire.GPU{Model: model, MemoryMB: mb})
	}
	return out, nil
}

// parseMiB reads a size in MiB, or in GiB with a GiB (or G) suffix.
func parseMiB(s string) (uint64, error) {
	mult := uint64(1)
	for _, suf := range []string{"GiB", "G", "MiB", "M"} {
		if rest, ok := strings.CutSuffix(s, suf); ok {
			s = rest
			if suf[0] == 'G' {
				mult = 1024
			}
			break
		}
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n == 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("%q is not a positive size", s)
	}
	return n * mult, nil
}

// checkHardware checks a declaration as the chain will, before anything is
// sent or started.
func checkHardware(hw wire.Hardware) error {
	h := &pb.Hardware{CpuCores: hw.CPUCores, MemoryMb: hw.MemoryMB, DiskGb: hw.DiskGB}
	for _, g := range hw.GPUs {
		h.Gpus = append(h.Gpus, &pb.Gpu{Model: g.Model, MemoryMb: g.MemoryMB})
	}
	if h.CpuCores == 0 || h.MemoryMb == 0 {
		return cli.WithHint(fmt.Errorf("a prover declares at least one core and some memory"), "set --cpu and --memory-mb")
	}
	if err := protocol.CheckHardwareClaim(h); err != nil {
		return cli.WithHint(fmt.Errorf("invalid hardware declaration: %w", err),
			"each --gpu needs a model name and its memory, e.g. --gpu rtx-4090:24GiB")
	}
	return nil
}
