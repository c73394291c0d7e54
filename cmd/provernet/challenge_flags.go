package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/cli"
)

// defaultChallengeDir is where `make programs` writes the benchmark program.
const defaultChallengeDir = "build/programs/bench"

// challengeFlags are init's and testnet's choice of challenge program.
type challengeFlags struct {
	dir string
	off bool
}

func (c *challengeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.dir, "challenge-program", defaultChallengeDir,
		"directory of the built benchmark program (prover.wasm, verifier.wasm) that the genesis deploys for hardware challenges")
	cmd.Flags().BoolVar(&c.off, "no-challenges", false,
		"make a genesis without challenges: provers are admitted on stake alone and their hardware is never tested")
}

// resolve returns the directory to deploy from, or "" with --no-challenges.
// A missing program is an error: a chain that silently trusts every
// hardware claim is not what an operator asked for.
func (c *challengeFlags) resolve() (string, error) {
	if c.off {
		return "", nil
	}
	if !hasChallengeProgram(c.dir) {
		return "", cli.WithHint(fmt.Errorf("no benchmark program in %s (prover.wasm and verifier.wasm): the genesis needs it for hardware challenges", c.dir),
			"build it with `make programs` (from the repository), pass --challenge-program DIR, or --no-challenges to admit provers on stake alone")
	}
	return c.dir, nil
}

// hasChallengeProgram reports whether dir holds both benchmark modules.
func hasChallengeProgram(dir string) bool {
	for _, f := range []string{"prover.wasm", "verifier.wasm"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return dir != ""
}

// devnetChallengeDir picks the devnet's challenge program: the bench
// program among the built examples, if there. Without it the devnet runs
// without challenges, with a warning (nothing is at stake on a devnet, and
// without built programs it has nothing to run either).
func devnetChallengeDir(programs string, off bool) (string, error) {
	if off {
		return "", nil
	}
	dir := filepath.Join(programs, "bench")
	if programs == "" || !hasChallengeProgram(dir) {
		return "", errNoDevnetChallenges
	}
	return dir, nil
}

var errNoDevnetChallenges = errors.New("no built benchmark program (run `make programs`): this devnet admits provers without hardware challenges")
