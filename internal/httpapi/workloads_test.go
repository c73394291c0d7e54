package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// startRichNode runs a devnet whose accounts can stake a prover, with
// blocks slow enough that a test submits within the accept window.
func startRichNode(t *testing.T) (*client.Client, *node.Devnet) {
	t.Helper()
	onLoopback, err := node.OnLoopback()
	if err != nil {
		t.Fatal(err)
	}
	d, err := node.StartDevnet(context.Background(), node.DevnetOptions{
		Home: t.TempDir(), Accounts: 2, Balance: 10_000 * 1_000_000,
		Node: node.Options{Log: io.Discard, Configure: func(c *node.Config) {
			onLoopback(c)
			c.Chain.BlockTime = node.Duration{Duration: 300 * time.Millisecond}
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	c := client.New(d.APIURL())
	if err := waitHeight(c, 2); err != nil {
		t.Fatal(err)
	}
	return c, d
}

func sendOK(t *testing.T, c *client.Client, key *client.Key, msgs ...*client.Msg) *wire.TxResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Send(ctx, key, 0, msgs...)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	r, err := c.WaitTx(ctx, res.Hash)
	if err != nil || r.Code != 0 {
		t.Fatalf("tx: %+v %v", r, err)
	}
	return r
}

// TestWorkloadEndpoints deploys a program, admits one prover, sends a Run
// and reads it back through every workload endpoint, including the
// sealed result the prover submits.
func TestWorkloadEndpoints(t *testing.T) {
	c, d := startRichNode(t)
	ctx := context.Background()
	user, prover := d.Keys[0], d.Keys[1]

	pv, vf := sha256.Sum256([]byte("api prover")), sha256.Sum256([]byte("api verifier"))
	deploy, err := client.DeployMsg("api-prog", &wire.Module{SHA256: hex.EncodeToString(pv[:]), Size: 1},
		&wire.Module{SHA256: hex.EncodeToString(vf[:]), Size: 1}, &wire.Hardware{CPUCores: 1, MemoryMB: 512})
	if err != nil {
		t.Fatal(err)
	}
	_, vrfPub, err := vrf.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sendOK(t, c, user, deploy)
	sendOK(t, c, prover, client.RegisterProverMsg(vrfPub, wire.Hardware{CPUCores: 2, MemoryMB: 1024}, 2, ""), client.StakeMsg(1000*1_000_000))
	if p, err := c.Prover(ctx, prover.Address()); err != nil || p.State != "active" {
		t.Fatalf("prover: %+v %v", p, err)
	}
	progID := hex.EncodeToString(wire.ProgramID(pv[:], vf[:]))

	// The quote.
	params, err := c.Params(ctx)
	if err != nil {
		t.Fatalf("params: %v", err)
	}
	q, err := c.Fee(ctx, progID, 2_500_000, 1)
	if err != nil || q.Fee != max(3*params.PricePerMcycle, params.MinSlotFee) || q.MinSlotFee != params.MinSlotFee || q.PricePerMcycle != params.PricePerMcycle || q.Mcycles != 3 ||
		q.ClassMultiplier != 1 || q.PerSlot != q.Fee || q.Program != progID || q.MinDeadline < 2 {
		t.Fatalf("fee: %+v %v", q, err)
	}

	// The Run: its id is known before it is sent.
	ident, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	acct, err := c.Account(ctx, user.Address())
	if err != nil {
		t.Fatal(err)
	}
	userAddr, _ := address.Parse(user.Address())
	proverAddr, _ := address.Parse(prover.Address())
	idBytes := wire.WorkloadID(userAddr, acct.Nonce, 0)
	id := hex.EncodeToString(idBytes)
	const cycles = 2_500_000
	sendOK(t, c, user, &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: wire.ProgramID(pv[:], vf[:]), Cycles: cycles,
		Provers: 1, Recipient: ident.Recipient().String(), Deadline: 200,
		Inputs: []*pb.Input{{Name: "input", Data: []byte("hello")}}}}})
	var w *wire.Workload
	for i := 0; ; i++ {
		if w, err = c.Workload(ctx, id); err != nil {
			t.Fatal(err)
		}
		if w.State != "pending" {
			break
		}
		if i > 500 {
			t.Fatal("the workload stays pending")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The prover submits at once (before its accept window closes).
	temp, err := seal.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	file, err := seal.Seal(seal.Header{Workload: [32]byte(idBytes), Prover: proverAddr, Outcome: seal.OutcomeProof, CyclesUsed: 1234},
		[]byte("the proof"), w.Recipient, temp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SealedResult(ctx, id, 0); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("sealed result before submission: %v, want not found", err)
	}
	commit := seal.Commit(temp.String())
	sendOK(t, c, prover, &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{
		Workload: idBytes, Slot: 0, Sealed: file, Commit: commit[:], Outcome: pb.Outcome_OUTCOME_PROOF, CyclesUsed: 1234}}})

	if w, err = c.Workload(ctx, id); err != nil {
		t.Fatal(err)
	}
	fileSum := sha256.Sum256(file)
	inSum := sha256.Sum256([]byte("hello"))
	if w.ID != id || w.Owner != user.Address() || w.K != 1 || w.Cycles != cycles || w.Fee != q.Fee || (w.State != "sealed" && w.State != "revealing") ||
		len(w.Inputs) != 1 || !w.Inputs[0].Inline || w.Inputs[0].Size != 5 || w.Inputs[0].SHA256 != hex.EncodeToString(inSum[:]) ||
		len(w.Slots) != 1 || w.AllocatedHeight != w.Height+1 {
		t.Fatalf("workload %+v", w)
	}
	if s := w.Slots[0]; s.State != "submitted" || s.Prover != prover.Address() || s.AllocatedTo != prover.Address() ||
		s.Outcome != "proof" || s.CyclesUsed != 1234 || s.SealedSHA256 != hex.EncodeToString(fileSum[:]) || s.SubmitHeight == 0 {
		t.Fatalf("slot %+v", s)
	}
	got, err := c.SealedResult(ctx, id, 0)
	if err != nil || string(got) != string(file) {
		t.Fatalf("sealed result: %d bytes, %v", len(got), err)
	}
	// The owner opens it with the identity behind the Run's recipient.
	if h, proof, err := seal.OpenWith(got, 1<<20, ident); err != nil || string(proof) != "the proof" || h.CyclesUsed != 1234 {
		t.Fatalf("opening the sealed result: %v", err)
	}

	// The allocation: one active prover, drawn for the one slot.
	a, err := c.Allocation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Agrees || a.Workload != id || a.Height != w.AllocatedHeight || a.K != 1 || a.Eligible != 1 ||
		len(a.Drawn) != 1 || a.Drawn[0] != prover.Address() || len(a.Slots) != 1 || a.Slots[0].AllocatedTo != prover.Address() ||
		len(a.Provers) != 1 || a.Provers[0].Reason != "eligible" || len(a.Draws) == 0 || a.Draws[len(a.Draws)-1].Prover != prover.Address() {
		t.Fatalf("allocation %+v", a)
	}
	bc, err := c.Beacon(ctx, a.Height)
	if err != nil || bc.Seed != a.Seed {
		t.Fatalf("allocation seed %s, beacon %+v %v", a.Seed, bc, err)
	}

	// Lists.
	if ws, err := c.Workloads(ctx, user.Address()); err != nil || len(ws) != 1 || ws[0].ID != id {
		t.Fatalf("user's workloads: %+v %v", ws, err)
	}
	if ws, err := c.Workloads(ctx, prover.Address()); err != nil || len(ws) != 0 {
		t.Fatalf("prover's workloads: %+v %v", ws, err)
	}
	if ws, err := c.Workloads(ctx, ""); err != nil || len(ws) != 1 {
		t.Fatalf("all workloads: %+v %v", ws, err)
	}

	// Errors.
	unknown := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/v1/workloads/xyz", http.StatusBadRequest},
		{"/v1/workloads/" + unknown, http.StatusNotFound},
		{"/v1/workloads?owner=prv1nope", http.StatusBadRequest},
		{"/v1/workloads/" + unknown + "/allocation", http.StatusNotFound},
		{"/v1/workloads/" + id + "/slots/x/sealed", http.StatusBadRequest},
		{"/v1/workloads/" + id + "/slots/7/sealed", http.StatusBadRequest},
		{"/v1/workloads/" + unknown + "/slots/0/sealed", http.StatusNotFound},
		{"/v1/fee?program=" + progID + "&cycles=x&provers=1", http.StatusBadRequest},
		{"/v1/fee?program=zz&cycles=1&provers=1", http.StatusBadRequest},
		{"/v1/fee?program=" + unknown + "&cycles=1&provers=1", http.StatusBadRequest},
		{"/v1/fee?program=" + progID + "&cycles=1&provers=99", http.StatusBadRequest},
	} {
		resp, err := http.Get(d.APIURL() + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var body wire.APIError
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || err != nil || body.Message == "" {
			t.Errorf("GET %s: status %d %q (%v), want %d", tc.path, resp.StatusCode, body.Message, err, tc.status)
		}
	}
	// The sealed file is served as bytes.
	resp, err := http.Get(d.APIURL() + "/v1/workloads/" + id + "/slots/0/sealed")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" || resp.Header.Get("X-Sealed-Sha256") != hex.EncodeToString(fileSum[:]) {
		t.Fatalf("sealed result headers: %v", resp.Header)
	}
}
