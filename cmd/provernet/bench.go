package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/companion"
)

// benchBinary is the companion binary that runs `provernet bench` and
// `provernet sim`: the benchmarks link gnark and CometBFT's example
// kvstore, the simulator's charts gonum/plot, and a node needs none of
// them. `make build` writes it beside provernet.
const benchBinary = "provernet-bench"

// benchEnv, when set, is the path of the companion (tests set it).
const benchEnv = "PROVERNET_BENCH"

func newBenchCmd(g *globals) *cobra.Command {
	return companionCmd(g, "bench", "Measure the network's components on this machine")
}

// companionCmd is a command that provernet-bench runs: provernet executes
// the companion with the whole command line as typed (as git runs its
// subcommands), so its flags, help and exit code are the companion's.
func companionCmd(g *globals, name, short string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   name,
		Short: short,
		Long: short + `.

This command runs in the companion binary ` + benchBinary + `, found beside
provernet, else on PATH (or at $` + benchEnv + `); ` + "`make build`" + ` builds it.`,
		Args:               cobra.ArbitraryArgs,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCompanion(cmd.Context(), g, g.args)
		},
	}
	// `provernet help bench` shows the companion's help too.
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		ctx := c.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		if err := runCompanion(ctx, g, []string{name, "--help"}); err != nil {
			fmt.Fprintf(g.stdout, "%s\n\n", c.Long)
			fmt.Fprintf(g.stderr, "error: %v\nhint: %s\n", err, hintFor(err))
		}
	})
	return cmd
}

// runCompanion runs provernet-bench with args, passing stdin, stdout,
// stderr and its exit code through. An interrupt of provernet is passed on
// as SIGTERM; the companion cleans up and exits by itself.
func runCompanion(ctx context.Context, g *globals, args []string) error {
	exe, err := companionExecutable(g)
	if err != nil {
		return cli.WithHint(err, "`provernet bench` and `provernet sim` run the companion binary "+benchBinary+
			": run `make build` (it writes build/"+benchBinary+" beside build/provernet), or go install ./cmd/"+benchBinary)
	}
	c := exec.Command(exe, args...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, g.stdout, g.stderr
	if err := c.Start(); err != nil {
		return fmt.Errorf("failed to start %s: %w", exe, err)
	}
	exited := make(chan struct{})
	defer close(exited)
	go func() {
		select {
		case <-ctx.Done():
			_ = c.Process.Signal(syscall.SIGTERM)
		case <-exited:
		}
	}()
	err = c.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal()) // as a shell reports it: 130 for SIGINT
		} else if code <= 0 {
			code = 1
		}
		return &cli.ExitError{Code: code}
	}
	return err
}

// companionExecutable finds provernet-bench: $PROVERNET_BENCH if set, else
// beside the running executable, else on PATH; inside a source tree of
// provernet it builds the companions when none is found.
func companionExecutable(g *globals) (string, error) {
	return companion.FindOrBuild(benchBinary, benchEnv, g.stderr)
}
