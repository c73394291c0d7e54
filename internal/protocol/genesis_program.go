package protocol

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// GenesisProgram is a program deployed by the genesis, checked like a
// Deploy and owned by nobody: the benchmark program that challenges run
// must exist from block 1, when the first provers stake and are due their
// admission challenges. The chain holds the modules' hashes and sizes; the
// bytes are blobs, which the genesis maker puts in its node's blob store
// and other nodes fetch from their peers like any module.
type GenesisProgram struct {
	Name        string           `json:"name"`
	Prover      *GenesisModule   `json:"prover,omitempty"`
	Verifier    *GenesisModule   `json:"verifier"`
	MinHardware *GenesisHardware `json:"min_hardware,omitempty"`
}

// GenesisModule names a WebAssembly module by hash and size.
type GenesisModule struct {
	SHA256 HexBytes `json:"sha256"`
	Size   uint64   `json:"size"`
}

// GenesisHardware is a genesis program's minimum hardware (no GPUs: a
// genesis program is a CPU program).
type GenesisHardware struct {
	CPUCores uint32 `json:"cpu_cores,omitempty"`
	MemoryMB uint64 `json:"memory_mb,omitempty"`
	DiskGB   uint64 `json:"disk_gb,omitempty"`
}

// ID is the program's id (ProgramID of its modules).
func (g GenesisProgram) ID() []byte {
	var pv []byte
	if g.Prover != nil {
		pv = g.Prover.SHA256
	}
	var vf []byte
	if g.Verifier != nil {
		vf = g.Verifier.SHA256
	}
	return wire.ProgramID(pv, vf)
}

// deployMsg is the Deploy the genesis program stands for.
func (g GenesisProgram) deployMsg() *pb.Deploy {
	d := &pb.Deploy{Name: g.Name, Prover: g.Prover.module(), Verifier: g.Verifier.module()}
	if h := g.MinHardware; h != nil {
		d.MinHardware = &pb.Hardware{CpuCores: h.CPUCores, MemoryMb: h.MemoryMB, DiskGb: h.DiskGB}
	}
	return d
}

func (m *GenesisModule) module() *pb.Module {
	if m == nil {
		return nil
	}
	return &pb.Module{Sha256: m.SHA256, Size: m.Size}
}

// validatePrograms checks each genesis program as a Deploy would be, and
// that no program is listed twice.
func validatePrograms(p Params, progs []GenesisProgram) error {
	var errs []error
	seen := make(map[string]bool, len(progs))
	for i, g := range progs {
		if res := checkDeploy(p, g.deployMsg()); !res.OK() {
			errs = append(errs, fmt.Errorf("program %d (%s): %s", i, g.Name, res.Log))
			continue
		}
		id := hex.EncodeToString(g.ID())
		if seen[id] {
			errs = append(errs, fmt.Errorf("program %d (%s): %s listed twice", i, g.Name, id))
		}
		seen[id] = true
	}
	return errors.Join(errs...)
}

// writePrograms stores the genesis programs, at height 0 and with no owner.
func writePrograms(kv store.KV, progs []GenesisProgram) error {
	for _, g := range progs {
		d := g.deployMsg()
		p := &pb.Program{Id: g.ID(), Name: d.Name, Prover: d.Prover, Verifier: d.Verifier, MinHardware: d.MinHardware}
		if err := setProto(kv, programKey(p.Id), p); err != nil {
			return fmt.Errorf("failed to write genesis program %s: %w", g.Name, err)
		}
	}
	return nil
}
