package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/seal"
)

// proofReport is what `proof get` prints: the opened result's header and
// where its proof went.
type proofReport struct {
	Workload     string `json:"workload"`
	Slot         uint32 `json:"slot"`
	SlotState    string `json:"slot_state"`
	Prover       string `json:"prover"`
	Outcome      string `json:"outcome"`
	Cycles       uint64 `json:"cycles"`
	OpenedWith   string `json:"opened_with"` // "identity_file" or "revealed_identity"
	IdentityFile string `json:"identity_file,omitempty"`
	ProofFile    string `json:"proof_file,omitempty"`
	ProofSize    int    `json:"proof_size"`
	ProofSHA256  string `json:"proof_sha256,omitempty"`
}

func newProofCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "proof", Short: "Fetch and open the sealed results of workloads"}
	var slot uint32
	var identity, out string
	get := &cobra.Command{
		Use:   "get WORKLOAD_ID",
		Short: "Download a slot's sealed result, open it and write the proof",
		Long: `Downloads the age file a prover submitted for a slot of a workload, opens it and
writes the proof to --out. It opens with --identity; without it, with the
slot's temporary identity once the prover has revealed it (then anyone can
open it), else with the age identity of the workload owner's local key
(HOME/keys/NAME.age). The default slot is the first whose proof became final,
else the first with a result.`,
		Example: `  provernet proof get 3fa2...
  provernet proof get 3fa2... --slot 2 --identity ~/.provernet/keys/dev1.age --out slot2.proof`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return proofGet(g, cmd, strings.ToLower(args[0]), cmd.Flags().Changed("slot"), slot, identity, out)
		},
	}
	get.Flags().Uint32Var(&slot, "slot", 0, "the slot (default: the first final one, else the first with a result)")
	get.Flags().StringVar(&identity, "identity", "", "age identity file to open it with (default: the revealed identity, else the owner's HOME/keys/NAME.age)")
	get.Flags().StringVar(&out, "out", "", "where to write the proof (default ./WORKLOAD_ID.proof)")
	cmd.AddCommand(get)
	return cmd
}

func proofGet(g *globals, cmd *cobra.Command, id string, slotSet bool, slotIdx uint32, identityFile, out string) error {
	ctx := cmd.Context()
	c := g.client()
	w, err := c.Workload(ctx, id)
	if err != nil {
		return workloadErr(err)
	}
	s, err := proofSlot(w, slotSet, slotIdx)
	if err != nil {
		return err
	}
	rep := proofReport{Slot: s.Index, SlotState: s.State}
	ident, err := proofIdentity(g, w, s, identityFile, &rep)
	if err != nil {
		return err
	}
	r, err := c.OpenSlot(ctx, w, s.Index, ident, 0)
	switch {
	case errors.Is(err, seal.ErrWrongIdentity) && rep.OpenedWith == proofRevealed:
		return cli.WithHint(err, "the revealed identity does not open this file: the chain judges such a slot invalid")
	case errors.Is(err, seal.ErrWrongIdentity):
		return cli.WithHint(err, "is --identity the identity the Run was sealed to?")
	case err != nil:
		return nodeErr(err)
	}
	rep.Workload, rep.Prover, rep.Outcome = r.Workload, r.Prover, r.Outcome()
	rep.Cycles, rep.ProofSize = r.Header.CyclesUsed, len(r.Proof)
	if rep.Outcome == wire.OutcomeProof {
		if out == "" {
			out = id + ".proof"
		}
		if err := runWriteFile(out, r.Proof); err != nil {
			return err
		}
		sum := sha256.Sum256(r.Proof)
		rep.ProofFile, rep.ProofSHA256 = out, hex.EncodeToString(sum[:])
	}
	if err := g.emit(rep, func(w io.Writer) { printProofReport(w, rep) }); err != nil {
		return err
	}
	if rep.Outcome != wire.OutcomeProof {
		return cli.WithHint(errors.New("the result holds no proof: the prover hit the cycle limit"), "another slot may hold one: --slot picks it")
	}
	return nil
}

// proofSlot is the slot --slot names, else the first whose proof became
// final, else the first with a result.
func proofSlot(w *wire.Workload, slotSet bool, idx uint32) (*wire.Slot, error) {
	var s *wire.Slot
	switch {
	case slotSet && int(idx) >= len(w.Slots):
		return nil, cli.WithHint(fmt.Errorf("workload %s has %d slots; there is no slot %d", w.ID, len(w.Slots), idx),
			"slots are numbered from 0; `provernet query workload "+w.ID+"` lists them")
	case slotSet:
		s = &w.Slots[idx]
	case w.FinalSlot() != nil:
		s = w.FinalSlot()
	default:
		s = w.FirstSubmitted()
	}
	switch {
	case s == nil:
		return nil, cli.WithHint(fmt.Errorf("workload %s has no result yet (it is %s)", w.ID, w.State),
			"wait for a prover: `provernet query workload "+w.ID+"` follows it")
	case s.SubmitHeight == 0:
		return nil, cli.WithHint(fmt.Errorf("slot %d has no result (it is %s)", s.Index, s.State),
			"`provernet query workload "+w.ID+"` shows which slots have one")
	}
	return s, nil
}

// How `proof get` opened a result (proofReport.OpenedWith).
const (
	proofIdentityFile = "identity_file"
	proofRevealed     = "revealed_identity"
)

// proofIdentity is the identity to open slot s of w with: --identity, else
// the slot's revealed temporary identity, else the owner's local one.
func proofIdentity(g *globals, w *wire.Workload, s *wire.Slot, identityFile string, rep *proofReport) (string, error) {
	switch {
	case identityFile != "":
		idn, err := client.LoadIdentity(identityFile)
		if err != nil {
			return "", cli.WithHint(err, "--identity takes an X25519 age identity file, as age-keygen writes")
		}
		rep.OpenedWith, rep.IdentityFile = proofIdentityFile, identityFile
		return idn.String(), nil
	case s.Identity != "":
		rep.OpenedWith = proofRevealed
		return s.Identity, nil
	}
	path := proofOwnerIdentity(g, w.Owner)
	if path == "" {
		return "", cli.WithHint(fmt.Errorf("slot %d's temporary identity is not revealed yet, and there is no identity to open it with", s.Index),
			"pass --identity FILE (the age identity the Run was sealed to, e.g. HOME/keys/NAME.age), or wait for the reveal: `provernet query workload "+w.ID+"`")
	}
	idn, err := client.LoadIdentity(path)
	if err != nil {
		return "", err
	}
	rep.OpenedWith, rep.IdentityFile = proofIdentityFile, path
	return idn.String(), nil
}

// proofOwnerIdentity is the age identity file of the local key that owns
// a workload, if there is one.
func proofOwnerIdentity(g *globals, owner string) string {
	if owner == "" {
		return ""
	}
	keys, err := client.ListKeys(client.DefaultKeysDir(g.home))
	if err != nil {
		return ""
	}
	for _, k := range keys {
		if k.Address() == owner {
			path := client.IdentityFile(g.home, k.Name)
			if _, err := os.Stat(path); err == nil {
				return path
			}
		}
	}
	return ""
}

func printProofReport(w io.Writer, r proofReport) {
	fmt.Fprintf(w, "workload  %s\nslot      %d (%s)\nprover    %s\noutcome   %s\ncycles    %d\n", r.Workload, r.Slot, r.SlotState, r.Prover, r.Outcome, r.Cycles)
	switch r.OpenedWith {
	case proofRevealed:
		fmt.Fprintln(w, "opened with the slot's revealed temporary identity")
	default:
		fmt.Fprintf(w, "opened with %s\n", r.IdentityFile)
	}
	if r.ProofFile != "" {
		fmt.Fprintf(w, "proof     %d bytes written to %s (sha256 %s)\n", r.ProofSize, r.ProofFile, r.ProofSHA256)
	}
}
