package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"testing"

	"filippo.io/age"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/seal"
)

// resultWorld is a workload, its provers and its user, and the node that
// serves their sealed results.
type resultWorld struct {
	t        *testing.T
	n        *testNode
	user     *age.X25519Identity
	workload [32]byte
	provers  [3][20]byte
	pending  []wire.PendingResult
	w        wire.Workload
	sealed   map[uint32][]byte
}

func newResultWorld(t *testing.T, maxProof uint64) *resultWorld {
	user, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	rw := &resultWorld{t: t, n: newTestNode(t), user: user, sealed: map[uint32][]byte{}}
	for i := range rw.workload {
		rw.workload[i] = byte(i + 1)
	}
	for p := range rw.provers {
		for i := range rw.provers[p] {
			rw.provers[p][i] = byte(0x10*p + i)
		}
	}
	id := rw.id()
	rw.w = wire.Workload{ID: id, State: wire.WorkloadSealed}
	for p := range rw.provers { // each prover holds one slot
		rw.w.Slots = append(rw.w.Slots, wire.Slot{Index: uint32(p), State: wire.SlotAccepted, Prover: rw.prover(p)})
	}
	rw.n.json("/v1/params", wire.Params{MaxProofSize: maxProof})
	rw.n.handle("GET /v1/workloads/"+id+"/pending", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, rw.pending) })
	rw.n.handle("GET /v1/workloads/"+id, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, rw.record()) })
	for slot := range uint32(3) {
		rw.n.handle("GET /v1/workloads/"+id+"/slots/"+strconv.Itoa(int(slot))+"/sealed", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(rw.sealed[slot])
		})
	}
	return rw
}

// record fills in what the chain records of each slot's sealed file (its
// SHA-256 and the cycles its header states) and returns the workload.
func (rw *resultWorld) record() wire.Workload {
	for i := range rw.w.Slots {
		rw.w.Slots[i] = rw.recorded(rw.w.Slots[i])
	}
	return rw.w
}

// recorded is s with the chain's record of its sealed file, if it has one.
func (rw *resultWorld) recorded(s wire.Slot) wire.Slot {
	if file, ok := rw.sealed[s.Index]; ok && s.SealedSHA256 == "" {
		sum := sha256.Sum256(file)
		s.SealedSHA256, s.CyclesUsed = hex.EncodeToString(sum[:]), 42
	}
	return s
}

func (rw *resultWorld) id() string               { return hex.EncodeToString(rw.workload[:]) }
func (rw *resultWorld) prover(p int) string      { return address.Address(rw.provers[p]).String() }
func (rw *resultWorld) proof(slot uint32) []byte { return bytes.Repeat([]byte{byte(slot) + 'a'}, 100) }

// seal makes slot's file as a prover would, with header h changed by edit.
func (rw *resultWorld) seal(slot uint32, prover int, outcome seal.Outcome, to string, edit func(*seal.Header)) []byte {
	rw.t.Helper()
	h := seal.Header{Workload: rw.workload, Slot: slot, Prover: rw.provers[prover], Outcome: outcome, CyclesUsed: 42}
	if edit != nil {
		edit(&h)
	}
	temp, err := seal.NewIdentity()
	if err != nil {
		rw.t.Fatal(err)
	}
	if to == "" {
		to = rw.user.Recipient().String()
	}
	file, err := seal.Seal(h, rw.proof(slot), to, temp)
	if err != nil {
		rw.t.Fatal(err)
	}
	return file
}

// TestOpenPendingChecksHeader: a pending proof opens only if its header
// names this workload, the slot it was submitted for and the prover that
// sent it; others are skipped, and with none left the error says why.
func TestOpenPendingChecksHeader(t *testing.T) {
	other, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		outcome string
		to      string
		edit    func(*seal.Header)
		want    error // nil: opens
	}{
		{"bound", wire.OutcomeProof, "", nil, nil},
		{"another workload", wire.OutcomeProof, "", func(h *seal.Header) { h.Workload[0] ^= 1 }, ErrHeaderMismatch},
		{"another slot", wire.OutcomeProof, "", func(h *seal.Header) { h.Slot = 2 }, ErrHeaderMismatch},
		{"another prover", wire.OutcomeProof, "", func(h *seal.Header) { h.Prover[19] ^= 1 }, ErrHeaderMismatch},
		{"fail inside a proof", wire.OutcomeProof, "", func(h *seal.Header) { h.Outcome = seal.OutcomeFail }, ErrHeaderMismatch},
		{"another user", wire.OutcomeProof, other.Recipient().String(), nil, seal.ErrWrongIdentity},
		{"a fail", wire.OutcomeFail, "", func(h *seal.Header) { h.Outcome = seal.OutcomeFail }, ErrNoResult},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rw := newResultWorld(t, 1<<20)
			rw.pending = []wire.PendingResult{{Slot: 1, Prover: rw.prover(1), Outcome: c.outcome, TxHash: "T1",
				Sealed: rw.seal(1, 1, seal.OutcomeProof, c.to, c.edit)}}
			r, err := rw.n.client().OpenPending(context.Background(), rw.id(), rw.user.String(), 0)
			if c.want == nil {
				if err != nil || r.Slot != 1 || r.Prover != rw.prover(1) || !r.Pending || r.TxHash != "T1" ||
					!bytes.Equal(r.Proof, rw.proof(1)) || r.Outcome() != wire.OutcomeProof || r.Workload != rw.id() {
					t.Fatalf("%+v %v", r, err)
				}
				return
			}
			if r != nil || !errors.Is(err, ErrNoResult) || !errors.Is(err, c.want) {
				t.Fatalf("got %+v, %v; want an error matching %v", r, err, c.want)
			}
		})
	}
}

// TestOpenPendingSkipsToABoundOne: a forged file ahead of a good one does
// not hide it.
func TestOpenPendingSkipsToABoundOne(t *testing.T) {
	rw := newResultWorld(t, 1<<20)
	rw.pending = []wire.PendingResult{
		{Slot: 0, Prover: rw.prover(0), Outcome: wire.OutcomeProof, Sealed: rw.seal(2, 2, seal.OutcomeProof, "", nil)}, // slot 2's file, replayed
		{Slot: 2, Prover: rw.prover(2), Outcome: wire.OutcomeProof, Sealed: rw.seal(2, 2, seal.OutcomeProof, "", nil)},
	}
	r, err := rw.n.client().OpenPending(context.Background(), rw.id(), rw.user.String(), 0)
	if err != nil || r.Slot != 2 || r.Prover != rw.prover(2) {
		t.Fatalf("%+v %v", r, err)
	}
	rw.pending = nil
	if _, err := rw.n.client().OpenPending(context.Background(), rw.id(), rw.user.String(), 0); !errors.Is(err, ErrNoResult) {
		t.Fatalf("nothing pending: %v", err)
	}
}

// TestOpenSlotChecksHeader: a committed result opens only if its header
// names the workload, the slot and the prover the chain recorded, and the
// outcome it recorded; a slot without a result is ErrNoResult and nothing
// is downloaded.
func TestOpenSlotChecksHeader(t *testing.T) {
	rw := newResultWorld(t, 1<<20)
	rw.w.Slots = []wire.Slot{
		{Index: 0, State: wire.SlotSubmitted, Prover: rw.prover(0), Outcome: wire.OutcomeProof, SubmitHeight: 7},
		{Index: 1, State: wire.SlotSubmitted, Prover: rw.prover(1), Outcome: wire.OutcomeProof, SubmitHeight: 8},
		{Index: 2, State: wire.SlotAccepted, Prover: rw.prover(2)},
	}
	rw.sealed[0] = rw.seal(0, 0, seal.OutcomeProof, "", nil)
	rw.sealed[1] = rw.seal(0, 0, seal.OutcomeProof, "", nil) // slot 1 submitted slot 0's file: a copy
	rw.record()
	c := rw.n.client()
	ctx := context.Background()

	r, err := c.OpenSlot(ctx, &rw.w, 0, rw.user.String(), 0)
	if err != nil || r.Slot != 0 || r.Height != 7 || r.Pending || !bytes.Equal(r.Sealed, rw.sealed[0]) || r.Header.CyclesUsed != 42 {
		t.Fatalf("slot 0: %+v %v", r, err)
	}
	if _, err := c.OpenSlot(ctx, &rw.w, 1, rw.user.String(), 0); !errors.Is(err, ErrHeaderMismatch) {
		t.Fatalf("copied slot 1: %v", err)
	}
	before := rw.n.count("GET /v1/workloads/" + rw.id() + "/slots/2/sealed")
	for _, slot := range []uint32{2, 9} {
		if _, err := c.OpenSlot(ctx, &rw.w, slot, rw.user.String(), 0); !errors.Is(err, ErrNoResult) {
			t.Fatalf("slot %d: %v", slot, err)
		}
	}
	if rw.n.count("GET /v1/workloads/"+rw.id()+"/slots/2/sealed") != before {
		t.Fatal("a slot without a result was downloaded")
	}
	// The chain recorded a fail; the file says proof.
	rw.w.Slots[0].Outcome = wire.OutcomeFail
	if _, err := c.OpenSlot(ctx, &rw.w, 0, rw.user.String(), 0); !errors.Is(err, ErrHeaderMismatch) {
		t.Fatalf("outcome disagreeing with the chain: %v", err)
	}
	rw.w.Slots[0].Outcome = wire.OutcomeProof
	// OpenResult fetches the workload itself and checks alike.
	h, proof, file, err := c.OpenResult(ctx, rw.id(), 0, rw.user.String(), 0)
	if err != nil || h.Slot != 0 || !bytes.Equal(proof, rw.proof(0)) || !bytes.Equal(file, rw.sealed[0]) {
		t.Fatalf("OpenResult slot 0: %+v %v", h, err)
	}
	if _, _, _, err := c.OpenResult(ctx, rw.id(), 1, rw.user.String(), 0); !errors.Is(err, ErrHeaderMismatch) {
		t.Fatalf("OpenResult copied slot 1: %v", err)
	}
}

// TestOpenUsesChainProofLimit: maxProof 0 means the chain's
// max_proof_size; a positive one overrides it.
func TestOpenUsesChainProofLimit(t *testing.T) {
	rw := newResultWorld(t, 50) // the proofs are 100 bytes
	rw.w.Slots = []wire.Slot{{Index: 0, State: wire.SlotSubmitted, Prover: rw.prover(0), Outcome: wire.OutcomeProof, SubmitHeight: 7}}
	rw.sealed[0] = rw.seal(0, 0, seal.OutcomeProof, "", nil)
	rw.record()
	c := rw.n.client()
	if _, err := c.OpenSlot(context.Background(), &rw.w, 0, rw.user.String(), 0); !errors.Is(err, seal.ErrMalformed) {
		t.Fatalf("a proof over the chain's limit: %v", err)
	}
	if _, err := c.OpenSlot(context.Background(), &rw.w, 0, rw.user.String(), 100); err != nil {
		t.Fatalf("with a limit of 100: %v", err)
	}
}

// TestCheckHeader: the identity check on its own, case-insensitive in the
// workload id.
func TestCheckHeader(t *testing.T) {
	var h seal.Header
	h.Workload[0], h.Slot, h.Prover[0] = 0xab, 3, 1
	id := hex.EncodeToString(h.Workload[:])
	prover := address.Address(h.Prover).String()
	if err := CheckHeader(h, id, 3, prover); err != nil {
		t.Fatal(err)
	}
	if err := CheckHeader(h, "AB"+id[2:], 3, prover); err != nil {
		t.Fatalf("upper-case id: %v", err)
	}
	for name, err := range map[string]error{
		"workload": CheckHeader(h, "cd"+id[2:], 3, prover),
		"slot":     CheckHeader(h, id, 4, prover),
		"prover":   CheckHeader(h, id, 3, address.Address{}.String()),
	} {
		if !errors.Is(err, ErrHeaderMismatch) {
			t.Errorf("another %s: %v", name, err)
		}
	}
}

// TestOpenPendingChecksTheSlot: a node's mempool listing is not the
// chain's word. A pending proof is taken only for a slot the workload has
// and that its sender holds, or that is open to anyone.
func TestOpenPendingChecksTheSlot(t *testing.T) {
	for _, c := range []struct {
		name   string
		slot   uint32
		sender int
		open   bool
		ok     bool
	}{
		{"the holder", 1, 1, false, true},
		{"not the holder", 1, 2, false, false},
		{"a slot the workload does not have", 5, 1, false, false},
		{"an open slot, anyone", 1, 2, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rw := newResultWorld(t, 1<<20)
			if c.open {
				rw.w.Slots[1].State, rw.w.Slots[1].Prover = wire.SlotOpen, ""
			}
			rw.pending = []wire.PendingResult{{Slot: c.slot, Prover: rw.prover(c.sender), Outcome: wire.OutcomeProof,
				Sealed: rw.seal(c.slot, c.sender, seal.OutcomeProof, "", nil)}}
			r, err := rw.n.client().OpenPending(context.Background(), rw.id(), rw.user.String(), 0)
			if c.ok != (err == nil) || (!c.ok && !errors.Is(err, ErrHeaderMismatch)) {
				t.Fatalf("got %+v, %v; want ok=%v", r, err, c.ok)
			}
		})
	}
}

// TestOpenSlotChecksTheChainsRecord: whoever serves a slot's file cannot
// swap in another file sealed to the user that names the same slot and
// prover: its SHA-256 must be the one the prover's transaction put on the
// chain, and its cycles the ones the chain recorded.
func TestOpenSlotChecksTheChainsRecord(t *testing.T) {
	rw := newResultWorld(t, 1<<20)
	rw.w.Slots[0] = wire.Slot{Index: 0, State: wire.SlotSubmitted, Prover: rw.prover(0), Outcome: wire.OutcomeProof, SubmitHeight: 7}
	rw.sealed[0] = rw.seal(0, 0, seal.OutcomeProof, "", nil)
	rw.record()
	c, ctx := rw.n.client(), context.Background()
	if _, err := c.OpenSlot(ctx, &rw.w, 0, rw.user.String(), 0); err != nil {
		t.Fatalf("the recorded file: %v", err)
	}
	rw.sealed[0] = rw.seal(0, 0, seal.OutcomeProof, "", nil) // another sealing: same header, other bytes
	if _, err := c.OpenSlot(ctx, &rw.w, 0, rw.user.String(), 0); !errors.Is(err, ErrHeaderMismatch) {
		t.Fatalf("a swapped file: %v", err)
	}
	rw.sealed[0] = rw.seal(0, 0, seal.OutcomeProof, "", func(h *seal.Header) { h.CyclesUsed = 7 })
	rw.w.Slots[0].SealedSHA256 = ""
	rw.record()
	rw.w.Slots[0].CyclesUsed = 42
	if _, err := c.OpenSlot(ctx, &rw.w, 0, rw.user.String(), 0); !errors.Is(err, ErrHeaderMismatch) {
		t.Fatalf("cycles disagreeing with the chain: %v", err)
	}
}
