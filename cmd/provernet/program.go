package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/wire"
)

func newProgramCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "program", Short: "Deploy proof systems and run them locally"}
	cmd.AddCommand(newDeployCmd(g))
	cmd.AddCommand(newProgramLocalCmds(g)...)
	return cmd
}

type deployReport struct {
	ProgramID string       `json:"program_id"`
	Prover    *wire.Module `json:"prover,omitempty"`
	Verifier  *wire.Module `json:"verifier"`
	txReport
}

func newDeployCmd(g *globals) *cobra.Command {
	var from, name, proverPath, verifierPath string
	var hw wire.Hardware
	var wait bool
	var verifyCycles uint64
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Upload a prover and verifier module as blobs and register them on chain",
		Example: `  provernet program deploy --from dev0 --name groth16-mimc \
      --prover build/programs/groth16-mimc/prover.wasm \
      --verifier build/programs/groth16-mimc/verifier.wasm --min-memory-mb 2048 --wait`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := g.loadKey(from)
			if err != nil {
				return err
			}
			c := g.client()
			rep := deployReport{}
			var modules []moduleFile
			if proverPath != "" {
				m, err := readModule(proverPath)
				if err != nil {
					return err
				}
				rep.Prover, modules = m.Module, append(modules, m)
			}
			m, err := readModule(verifierPath)
			if err != nil {
				return err
			}
			rep.Verifier, modules = m.Module, append(modules, m)
			if rep.ProgramID, err = client.ProgramID(rep.Prover, rep.Verifier); err != nil {
				return err
			}
			msg, err := client.DeployMsg(name, rep.Prover, rep.Verifier, &hw)
			if err != nil {
				return err
			}
			msg.GetDeploy().VerifyCycles = verifyCycles
			fmt.Fprintf(g.stderr, "program id %s\n", rep.ProgramID)
			if err := g.sendAndReport(cmd.Context(), key, 0, wait, 30*time.Second, msg); err != nil {
				return err
			}
			// The modules go up once the Deploy that names them is sent:
			// the node never refuses a referenced blob for its quota of
			// unreferenced uploads, which anyone can fill.
			for _, m := range modules {
				fmt.Fprintf(g.stderr, "uploading %s (%d bytes)\n", m.path, len(m.data))
				if err := c.PutReferencedBlob(cmd.Context(), m.data); err != nil {
					return cli.WithHint(fmt.Errorf("failed to upload %s: %w", m.path, err),
						"the Deploy was sent; upload the module again with `provernet blob put "+m.path+"`")
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "key that deploys (and owns) the program (required)")
	cmd.Flags().StringVar(&name, "name", "", "program name: a-z 0-9 . _ - (required)")
	cmd.Flags().StringVar(&proverPath, "prover", "", "prover module (.wasm); omit for a verifier-only deployment")
	cmd.Flags().StringVar(&verifierPath, "verifier", "", "verifier module (.wasm) (required)")
	cmd.Flags().Uint32Var(&hw.CPUCores, "min-cpu", 1, "minimum CPU cores a prover needs")
	cmd.Flags().Uint64Var(&hw.MemoryMB, "min-memory-mb", 1024, "minimum memory a prover needs (MiB)")
	cmd.Flags().Uint64Var(&hw.DiskGB, "min-disk-gb", 0, "minimum disk a prover needs (GB)")
	cmd.Flags().Uint64Var(&verifyCycles, "verify-cycles", 0,
		"the verifier's cycle budget per proof (0: each Run's cycles, at most the chain's max_verify_cycles); a verifier that runs out of it rejects the proof, so leave headroom over what `provernet program verify` reports")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the deployment is committed")
	for _, f := range []string{"from", "name", "verifier"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

// uploadModule puts a module into the node's blob store and checks the
// hash the node reports against the one computed here.
// moduleFile is a module read from disk, named by its hash.
type moduleFile struct {
	*wire.Module
	path string
	data []byte
}

func readModule(path string) (moduleFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return moduleFile{}, cli.WithHint(err, "build the example programs with `make programs`")
	}
	sum := sha256.Sum256(b)
	return moduleFile{Module: &wire.Module{SHA256: hex.EncodeToString(sum[:]), Size: uint64(len(b))}, path: path, data: b}, nil
}

func printProgram(w io.Writer, p wire.Program) {
	fmt.Fprintf(w, "%s  %s\n  owner     %s (height %d)\n", p.ID, p.Name, p.Owner, p.Height)
	if p.Prover != nil {
		fmt.Fprintf(w, "  prover    %s (%d bytes)\n", p.Prover.SHA256, p.Prover.Size)
	}
	fmt.Fprintf(w, "  verifier  %s (%d bytes)\n", p.Verifier.SHA256, p.Verifier.Size)
	if hw := p.MinHardware; hw != nil {
		fmt.Fprintf(w, "  minimum   %d cores, %d MiB memory, %d GB disk, %d GPUs\n", hw.CPUCores, hw.MemoryMB, hw.DiskGB, len(hw.GPUs))
	}
}
