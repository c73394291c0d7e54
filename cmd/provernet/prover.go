package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
)

func newTxProverCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "prover", Short: "Register a prover, bond and unbond its stake"}
	var from string
	var wait bool
	send := func(cmd *cobra.Command, msg *client.Msg) error {
		key, err := g.loadKey(from)
		if err != nil {
			return err
		}
		return g.sendAndReport(cmd.Context(), key, 0, wait, 30*time.Second, msg)
	}
	var hw wire.Hardware
	var gpus []string
	var maxConc uint32
	var endpoint, label string
	register := &cobra.Command{
		Use:   "register",
		Short: "Declare --from a prover: hardware, capacity, blob endpoint and a new VRF key",
		Long: `Declares the key --from a prover. A VRF key is generated for it and written to
HOME/keys/NAME.vrf.json (mode 0600); the prover daemon signs with it. The
prover starts pending; stake at least min_prover_stake to be admitted.

When the chain has a challenge_program, staking issues admission challenges
sized to the declaration: one piece of the benchmark per core, all due at
once, their buffers adding up to --memory-mb: declare what the machine can
give them together. A challenge tests at most 64 cores and 1024 MiB per core,
and the allocator relies on nothing more. GPUs (--gpu) are recorded but
nothing tests them yet, so the allocator ignores them: a Run that requires a
GPU goes to the open market.`,
		Example: `  provernet tx prover register --from alice --cpu 16 --memory-mb 16384 --max-concurrent 4 --blob-endpoint http://10.0.0.5:1317 --wait
  provernet tx prover register --from bob --cpu 8 --memory-mb 8192 --gpu rtx-4090:24GiB --gpu rtx-4090:24GiB --wait`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if hw.GPUs, err = parseGPUs(gpus); err != nil {
				return err
			}
			if err := checkHardware(hw); err != nil {
				return err
			}
			if err := wire.CheckProverLabel(label); err != nil {
				return cli.WithHint(fmt.Errorf("--label: %w", err), "a label is a short name for explorers and lists, e.g. \"alice-gpu-1\"")
			}
			pub, err := newProverVRFKey(g, from)
			if err != nil {
				return err
			}
			return send(cmd, client.RegisterLabeledProverMsg(pub, hw, maxConc, endpoint, label))
		},
	}
	register.Flags().Uint32Var(&hw.CPUCores, "cpu", 1, "CPU cores")
	register.Flags().Uint64Var(&hw.MemoryMB, "memory-mb", 1024, "memory (MiB)")
	register.Flags().Uint64Var(&hw.DiskGB, "disk-gb", 10, "disk (GB)")
	register.Flags().StringArrayVar(&gpus, "gpu", nil, gpuFlagHelp)
	register.Flags().Uint32Var(&maxConc, "max-concurrent", 1, "workloads it holds at once")
	register.Flags().StringVar(&endpoint, "blob-endpoint", "", "base URL where it serves blobs")
	register.Flags().StringVar(&label, "label", "", fmt.Sprintf("a name for explorers and lists (printable ASCII, at most %d bytes; optional)", wire.MaxProverLabel))
	var amount string
	stakeCmd := &cobra.Command{
		Use: "stake", Short: "Bond stake to --from's prover", Args: cobra.NoArgs,
		Example: "  provernet tx prover stake --from alice --amount 1000prv --wait",
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := parseAmount(amount)
			if err != nil {
				return err
			}
			return send(cmd, client.StakeMsg(n))
		},
	}
	stakeCmd.Flags().StringVar(&amount, "amount", "", "amount to bond, e.g. 1000prv (required)")
	_ = stakeCmd.MarkFlagRequired("amount")
	unbondCmd := &cobra.Command{
		Use: "unbond", Short: "Start leaving: no more work, stake unlocks after unbond_cooldown blocks", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return send(cmd, client.UnbondMsg()) },
	}
	withdrawCmd := &cobra.Command{
		Use: "withdraw", Short: "Return the unlocked stake to the balance", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return send(cmd, client.WithdrawMsg()) },
	}
	hotKeyCmd := newTxProverHotKeyCmd(g, &from, send) // issue 19
	for _, c := range []*cobra.Command{register, stakeCmd, unbondCmd, withdrawCmd, hotKeyCmd} {
		c.Flags().StringVar(&from, "from", "", "the prover's account key (required)")
		c.Flags().BoolVar(&wait, "wait", false, "wait until committed")
		_ = c.MarkFlagRequired("from")
		cmd.AddCommand(c)
	}
	cmd.AddCommand(newTxProverAskCmd(g)) // issue 17
	return cmd
}

// newProverVRFKey makes the prover's VRF key and keeps it beside its
// account key; an existing one is reused.
func newProverVRFKey(g *globals, name string) ([]byte, error) {
	k, err := vrf.LoadOrGenerateKeyFile(filepath.Join(client.DefaultKeysDir(g.home), name+".vrf.json"))
	if err != nil {
		return nil, err
	}
	return k.Public, nil
}

func printProver(w io.Writer, p wire.Prover) {
	fmt.Fprintf(w, "%s  %s, stake %s\n", p.Address, p.State, formatAmount(p.Stake))
	if hw := p.Hardware; hw != nil {
		fmt.Fprintf(w, "  hardware  %d cores, %d MiB, %d GB disk; up to %d workloads\n", hw.CPUCores, hw.MemoryMB, hw.DiskGB, p.MaxConcurrent)
		for _, gpu := range hw.GPUs {
			fmt.Fprintf(w, "  gpu       %s, %d MiB (untested: not used to allocate Runs)\n", gpu.Model, gpu.MemoryMB)
		}
	}
	if r := p.Reputation; r != nil { // issue 17
		fmt.Fprintf(w, "  reputation %d/10000 over %d blocks: %d final of %d answered for, %d declined or missed, %d slashed\n",
			r.ScoreBp, r.Window, r.Final, r.Allocated, r.Declined, r.Slashed)
	}
	fmt.Fprintf(w, "  registered at %d", p.RegisteredHeight)
	if p.UnbondHeight > 0 {
		fmt.Fprintf(w, ", stake unlocks at %d", p.UnbondHeight)
	}
	fmt.Fprintln(w)
}
