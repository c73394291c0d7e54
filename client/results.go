package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/seal"
)

// Result is an opened sealed result whose header was checked against the
// workload, slot and prover it was served for (CheckHeader).
type Result struct {
	Workload string // hex id
	Slot     uint32
	Prover   string // bech32: the prover that submitted it
	Header   seal.Header
	Proof    []byte // empty for a fail outcome
	Sealed   []byte // the age file as submitted
	Height   int64  // the block that included it; 0 while pending
	// Pending: from the node's mempool, not yet in a block; TxHash is the
	// submitting transaction.
	Pending bool
	TxHash  string
}

// Outcome is the result's outcome name (wire.OutcomeProof or
// wire.OutcomeFail).
func (r *Result) Outcome() string { return r.Header.Outcome.String() }

// CheckHeader verifies that an opened result's header binds it to this
// workload (hex id), slot and prover (bech32), wrapping ErrHeaderMismatch
// if not. Anyone can seal a file to a user's age recipient, and a prover
// can copy another slot's file: only the header, inside the encryption,
// says whose result it is.
func CheckHeader(h seal.Header, workload string, slot uint32, prover string) error {
	got := hex.EncodeToString(h.Workload[:])
	gotProver := address.Address(h.Prover).String()
	if got != strings.ToLower(workload) || h.Slot != slot || gotProver != prover {
		return fmt.Errorf("%w: it names workload %s slot %d prover %s, not workload %s slot %d prover %s",
			ErrHeaderMismatch, got, h.Slot, gotProver, workload, slot, prover)
	}
	return nil
}

// OpenPending opens the first of a workload's results still in the node's
// mempool that holds a proof, opens with identity and whose header names
// this workload, its slot and the prover that sent it: the user holds the
// proof before its block is proposed. maxProof <= 0 means the chain's
// max_proof_size. With none, the error wraps ErrNoResult and why each
// candidate was refused (e.g. ErrHeaderMismatch, seal.ErrWrongIdentity).
// A result is taken only for a slot the workload has and that the sender
// holds (or that is open to anyone), as the chain records it: a node's
// mempool listing is not the chain's word. Nothing pending is final: a
// block may still refuse it.
func (c *Client) OpenPending(ctx context.Context, id, identity string, maxProof int) (*Result, error) {
	w, err := c.Workload(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.openPending(ctx, w, identity, maxProof)
}

// openPending is OpenPending for a workload already fetched.
func (c *Client) openPending(ctx context.Context, w *wire.Workload, identity string, maxProof int) (*Result, error) {
	id := w.ID
	maxProof, err := c.maxProof(ctx, maxProof)
	if err != nil {
		return nil, err
	}
	pending, err := c.PendingResults(ctx, id)
	if err != nil {
		return nil, err
	}
	var refused []error
	for _, p := range pending {
		if p.Outcome != wire.OutcomeProof {
			continue
		}
		if err := mayHold(w, p.Slot, p.Prover); err != nil {
			refused = append(refused, err)
			continue
		}
		r, err := openChecked(p.Sealed, identity, maxProof, id, p.Slot, p.Prover, p.Outcome)
		if err != nil {
			refused = append(refused, err)
			continue
		}
		r.Pending, r.TxHash = true, p.TxHash
		return r, nil
	}
	if len(refused) == 0 {
		return nil, fmt.Errorf("%w: no proof of workload %s is in the node's mempool", ErrNoResult, id)
	}
	return nil, fmt.Errorf("%w: none of the %d pending proofs of workload %s opens: %w", ErrNoResult, len(refused), id, errors.Join(refused...))
}

// mayHold says why prover's pending result for slot cannot be the slot's
// (ErrHeaderMismatch), or nil: the slot exists and prover holds it, or it
// is open to anyone.
func mayHold(w *wire.Workload, slot uint32, prover string) error {
	s := slotOf(w, slot)
	switch {
	case s == nil:
		return fmt.Errorf("%w: a pending result names slot %d; workload %s has %d", ErrHeaderMismatch, slot, w.ID, len(w.Slots))
	case s.Prover != prover && s.State != wire.SlotOpen:
		return fmt.Errorf("%w: a pending result for slot %d comes from %s; the slot is %s, held by %q", ErrHeaderMismatch, slot, prover, s.State, s.Prover)
	}
	return nil
}

// OpenSlot downloads the sealed result of a slot of w (as the chain
// recorded it in a block) and opens it with identity (the user's own, or
// the slot's revealed temporary one), checking that its header names w,
// the slot and the prover that submitted it, and the outcome the chain
// recorded. maxProof <= 0 means the chain's max_proof_size. A slot without
// a result is ErrNoResult.
func (c *Client) OpenSlot(ctx context.Context, w *wire.Workload, slot uint32, identity string, maxProof int) (*Result, error) {
	s := slotOf(w, slot)
	switch {
	case s == nil:
		return nil, fmt.Errorf("%w: workload %s has %d slots; there is no slot %d", ErrNoResult, w.ID, len(w.Slots), slot)
	case s.SubmitHeight == 0:
		return nil, fmt.Errorf("%w: slot %d of workload %s has no result (it is %s)", ErrNoResult, slot, w.ID, s.State)
	}
	maxProof, err := c.maxProof(ctx, maxProof)
	if err != nil {
		return nil, err
	}
	file, err := c.SealedResult(ctx, w.ID, slot)
	if err != nil {
		return nil, err
	}
	// The file must be the one the prover's signed transaction put on the
	// chain: whoever serves it (a node, a proxy, a mirror) cannot swap in
	// another file sealed to the user that names the same slot.
	if sum := sha256.Sum256(file); !strings.EqualFold(hex.EncodeToString(sum[:]), s.SealedSHA256) {
		return nil, fmt.Errorf("%w: the file served for slot %d has SHA-256 %x; the chain recorded %s", ErrHeaderMismatch, slot, sum, s.SealedSHA256)
	}
	r, err := openChecked(file, identity, maxProof, w.ID, slot, s.Prover, s.Outcome)
	if err != nil {
		return nil, err
	}
	if r.Header.CyclesUsed != s.CyclesUsed {
		return nil, fmt.Errorf("%w: slot %d's result says %d cycles; the chain recorded %d", ErrHeaderMismatch, slot, r.Header.CyclesUsed, s.CyclesUsed)
	}
	r.Height = s.SubmitHeight
	return r, nil
}

// OpenResult is OpenSlot for a workload named by id: it fetches the
// workload, then the slot's result, and returns the checked header, the
// proof and the age file.
func (c *Client) OpenResult(ctx context.Context, id string, slot uint32, identity string, maxProof int) (seal.Header, []byte, []byte, error) {
	w, err := c.Workload(ctx, id)
	if err != nil {
		return seal.Header{}, nil, nil, err
	}
	r, err := c.OpenSlot(ctx, w, slot, identity, maxProof)
	if err != nil {
		return seal.Header{}, nil, nil, err
	}
	return r.Header, r.Proof, r.Sealed, nil
}

// openChecked opens a sealed file and checks its header against the
// workload, slot, prover and outcome it was served for ("" skips the
// outcome).
func openChecked(file []byte, identity string, maxProof int, id string, slot uint32, prover, outcome string) (*Result, error) {
	h, proof, err := seal.Open(file, identity, maxProof)
	if err != nil {
		return nil, fmt.Errorf("failed to open slot %d's result: %w", slot, err)
	}
	if err := CheckHeader(h, id, slot, prover); err != nil {
		return nil, fmt.Errorf("slot %d's result: %w", slot, err)
	}
	if outcome != "" && h.Outcome.String() != outcome {
		return nil, fmt.Errorf("slot %d's result: %w: its header says %s, the submission %s", slot, ErrHeaderMismatch, h.Outcome, outcome)
	}
	return &Result{Workload: strings.ToLower(id), Slot: slot, Prover: prover, Header: h, Proof: proof, Sealed: file}, nil
}

// maxProof resolves a proof limit: n if positive, else the chain's.
func (c *Client) maxProof(ctx context.Context, n int) (int, error) {
	if n > 0 {
		return n, nil
	}
	p, err := c.Params(ctx)
	if err != nil {
		return 0, err
	}
	return MaxProof(p), nil
}

func slotOf(w *wire.Workload, index uint32) *wire.Slot {
	for i := range w.Slots {
		if w.Slots[i].Index == index {
			return &w.Slots[i]
		}
	}
	return nil
}
