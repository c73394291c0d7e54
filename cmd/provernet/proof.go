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
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
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
		return runNodeErr(workloadErr(err))
	}
	var s *wire.Slot
	if slotSet {
		if int(slotIdx) >= len(w.Slots) {
			return withHint(fmt.Errorf("workload %s has %d slots; there is no slot %d", id, len(w.Slots), slotIdx),
				"slots are numbered from 0; `provernet query workload "+id+"` lists them")
		}
		s = &w.Slots[slotIdx]
		if s.SubmitHeight == 0 {
			return withHint(fmt.Errorf("slot %d has no result (it is %s)", slotIdx, s.State),
				"`provernet query workload "+id+"` shows which slots have one")
		}
	} else if s = runFinalSlot(w); s == nil {
		if sub := runSubmittedOrder(w); len(sub) > 0 {
			s = &sub[0]
		}
	}
	if s == nil {
		return withHint(fmt.Errorf("workload %s has no result yet (it is %s)", id, w.State),
			"wait for a prover: `provernet query workload "+id+"` follows it")
	}

	rep := proofReport{Slot: s.Index, SlotState: s.State}
	var ident string
	switch {
	case identityFile != "":
		if _, err := os.Stat(identityFile); err != nil {
			return withHint(fmt.Errorf("identity file: %w", err), "--identity takes an age identity file (age-keygen's format)")
		}
		idn, err := client.LoadOrCreateIdentity(identityFile)
		if err != nil {
			return withHint(err, "--identity takes an X25519 age identity file, as age-keygen writes")
		}
		ident, rep.OpenedWith, rep.IdentityFile = idn.String(), "identity_file", identityFile
	case s.Identity != "":
		ident, rep.OpenedWith = s.Identity, "revealed_identity"
	default:
		path := proofOwnerIdentity(g, w.Owner)
		if path == "" {
			return withHint(fmt.Errorf("slot %d's temporary identity is not revealed yet, and there is no identity to open it with", s.Index),
				"pass --identity FILE (the age identity the Run was sealed to, e.g. HOME/keys/NAME.age), or wait for the reveal: `provernet query workload "+id+"`")
		}
		idn, err := client.LoadOrCreateIdentity(path)
		if err != nil {
			return err
		}
		ident, rep.OpenedWith, rep.IdentityFile = idn.String(), "identity_file", path
	}
	params, err := fetchRunParams(ctx, c)
	if err != nil {
		return err
	}
	h, proof, _, err := c.OpenResult(ctx, id, s.Index, ident, int(params.MaxProofSize))
	if err != nil {
		hint := "is --identity the identity the Run was sealed to?"
		if rep.OpenedWith == "revealed_identity" {
			hint = "the revealed identity does not open this file: the chain judges such a slot invalid"
		}
		return withHint(fmt.Errorf("failed to open slot %d's result: %w", s.Index, runNodeErr(err)), hint)
	}
	rep.Workload = hex.EncodeToString(h.Workload[:])
	rep.Prover = address.Address(h.Prover).String()
	rep.Outcome, rep.Cycles, rep.ProofSize = h.Outcome.String(), h.CyclesUsed, len(proof)
	if rep.Workload != id || h.Slot != s.Index {
		return fmt.Errorf("the result's header names workload %s slot %d, not workload %s slot %d", rep.Workload, h.Slot, id, s.Index)
	}
	if rep.Outcome == "proof" {
		if out == "" {
			out = id + ".proof"
		}
		if err := runWriteFile(out, proof); err != nil {
			return err
		}
		sum := sha256.Sum256(proof)
		rep.ProofFile, rep.ProofSHA256 = out, hex.EncodeToString(sum[:])
	}
	if err := g.emit(rep, func(w io.Writer) { printProofReport(w, rep) }); err != nil {
		return err
	}
	if rep.Outcome != "proof" {
		return withHint(errors.New("the result holds no proof: the prover hit the cycle limit"), "another slot may hold one: --slot picks it")
	}
	return nil
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
	case "revealed_identity":
		fmt.Fprintln(w, "opened with the slot's revealed temporary identity")
	default:
		fmt.Fprintf(w, "opened with %s\n", r.IdentityFile)
	}
	if r.ProofFile != "" {
		fmt.Fprintf(w, "proof     %d bytes written to %s (sha256 %s)\n", r.ProofSize, r.ProofFile, r.ProofSHA256)
	}
}
