package chain_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	ics23 "github.com/cosmos/ics23/go"
	"google.golang.org/protobuf/proto"

	"filippo.io/age"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// newChainWithParams is newChain with chosen genesis parameters.
func newChainWithParams(t *testing.T, params protocol.Params, balances ...uint64) *testChain {
	t.Helper()
	val := validatorKey()
	secret, public := vrfKey(t, 0x33)
	c := &testChain{t: t, valAddr: val.PubKey().Address(), vrfSecret: secret, params: params,
		hashes: map[int64][]byte{}, balances: balances}
	for i := range balances {
		c.keys = append(c.keys, accountKey(i))
	}
	tree := iavltree.OpenMemory()
	c.newApp(tree)
	resp, err := c.app.InitChain(ctx, &abci.InitChainRequest{
		Time: time.Unix(1_700_000_000, 0), ChainId: chainID, InitialHeight: 1,
		Validators:    []abci.ValidatorUpdate{validatorUpdate(val)},
		AppStateBytes: genesisDoc(t, c.params, c.valAddr, public, balances),
	})
	if err != nil {
		t.Fatal(err)
	}
	c.hashes[0] = resp.AppHash
	return c
}

// wlSigner signs transactions for a test chain, tracking nonces.
type wlSigner struct {
	c      *testChain
	nonces map[int]uint64
}

func (s *wlSigner) tx(from int, msgs ...*pb.Msg) []byte {
	s.c.t.Helper()
	raw, err := client.SignTx(s.c.keys[from], chainID, s.nonces[from], 0,
		feeParams(s.c.params), msgs...)
	if err != nil {
		s.c.t.Fatal(err)
	}
	s.nonces[from]++
	return raw
}

func mustOK(t *testing.T, what string, res []*abci.ExecTxResult) {
	t.Helper()
	for i, r := range res {
		if r.Code != 0 {
			t.Fatalf("%s: tx %d: code %d %s", what, i, r.Code, r.Log)
		}
	}
}

func (c *testChain) queryCode(path string, data []byte, height int64, code uint32) *abci.QueryResponse {
	c.t.Helper()
	resp := c.query(path, data, height, false)
	if resp.Code != code || (code != chain.QueryOK && resp.Log == "") {
		c.t.Fatalf("%s %x at %d: code %d (%s), want %d", path, data, height, resp.Code, resp.Log, code)
	}
	return resp
}

func (c *testChain) workload(id []byte, height int64) *pb.Workload {
	c.t.Helper()
	var w pb.Workload
	if err := proto.Unmarshal(c.queryCode(chain.PathWorkload, id, height, chain.QueryOK).Value, &w); err != nil {
		c.t.Fatal(err)
	}
	return &w
}

func resultKey(id []byte, slot uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte{}, id...), slot)
}

// TestWorkloadQueries runs two Runs through allocation and checks every
// workload query path against the chain's own records.
func TestWorkloadQueries(t *testing.T) {
	params := protocol.DefaultParams()
	params.PricePerMcycle = 1 << 40 // so that a quote can overflow
	const stake = 1000 * 1_000_000
	c := newChainWithParams(t, params, 1<<62, 2*stake, 2*stake, 2*stake, 2*stake)
	if params.ChallengeProgram != "" {
		t.Fatal("the test needs provers admitted on stake alone")
	}
	s := &wlSigner{c: c, nonces: map[int]uint64{}}
	user := addrOf(c.keys[0])
	c.block()

	// A program needing 2048 MiB, a verifier-only one, and four provers of
	// capacity 1, the last with too little memory.
	pv, vf := sha256.Sum256([]byte("prover")), sha256.Sum256([]byte("verifier"))
	deploy, err := client.DeployMsg("prog", &wire.Module{SHA256: hex.EncodeToString(pv[:]), Size: 10},
		&wire.Module{SHA256: hex.EncodeToString(vf[:]), Size: 10}, &wire.Hardware{CPUCores: 1, MemoryMB: 2048})
	if err != nil {
		t.Fatal(err)
	}
	vo := sha256.Sum256([]byte("verifier only"))
	deployVO, _ := client.DeployMsg("vonly", nil, &wire.Module{SHA256: hex.EncodeToString(vo[:]), Size: 10}, nil)
	txs := [][]byte{s.tx(0, deploy, deployVO)}
	for i := 1; i <= 4; i++ {
		_, pub := vrfKey(t, byte(0x40+i))
		mem := uint64(4096)
		if i == 4 {
			mem = 1024
		}
		txs = append(txs, s.tx(i, client.RegisterProverMsg(pub, wire.Hardware{CPUCores: 4, MemoryMB: mem}, 1, ""), client.StakeMsg(stake)))
	}
	mustOK(t, "deploy and register", c.block(txs...))
	progID := wire.ProgramID(pv[:], vf[:])
	voID := wire.ProgramID(nil, vo[:])

	// /fee equals protocol.Quote.
	prog, err := protocol.GetProgram(c.app.Committed(), progID)
	if err != nil {
		t.Fatal(err)
	}
	feeQuery := func(program []byte, cycles uint64, k uint32) []byte {
		b, _ := proto.Marshal(&pb.Run{Program: program, Cycles: cycles, Provers: k})
		return b
	}
	const cycles = 2_500_000
	var q pb.FeeQuote
	if err := proto.Unmarshal(c.queryCode(chain.PathFee, feeQuery(progID, cycles, 2), 0, chain.QueryOK).Value, &q); err != nil {
		t.Fatal(err)
	}
	want, err := protocol.Quote(params, prog, cycles, 2)
	if err != nil || !proto.Equal(&q, want) || q.Fee != 2*3*params.PricePerMcycle {
		t.Fatalf("fee quote %v, protocol.Quote %v %v", &q, want, err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		log  string
	}{
		{"not a Run", []byte{0xff, 0xff}, "Run"},
		{"short id", feeQuery(progID[:31], cycles, 1), "32 bytes"},
		{"unknown program", feeQuery(make([]byte, 32), cycles, 1), "no program"},
		{"verifier-only", feeQuery(voID, cycles, 1), "verifier-only"},
		{"no cycles", feeQuery(progID, 0, 1), "cycles"},
		{"k = 0", feeQuery(progID, cycles, 0), "max_provers_per_workload"},
		{"k too large", feeQuery(progID, cycles, params.MaxProversPerWorkload+1), "max_provers_per_workload"},
		{"overflow", feeQuery(progID, 1<<24*1_000_000, 1), "overflow"},
	} {
		resp := c.queryCode(chain.PathFee, tc.data, 0, chain.QueryBadRequest)
		if !strings.Contains(resp.Log, tc.log) {
			t.Errorf("fee %s: log %q lacks %q", tc.name, resp.Log, tc.log)
		}
	}

	// Two Runs in one transaction; both are allocated at the next height.
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	runMsg := func(k uint32) *pb.Msg {
		return &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: progID, Cycles: cycles, Provers: k,
			Recipient: id.Recipient().String(), Deadline: 30, Inputs: []*pb.Input{{Name: "input", Data: []byte("x")}}}}}
	}
	nonce := s.nonces[0]
	mustOK(t, "run", c.block(s.tx(0, runMsg(2), runMsg(2))))
	runHeight := c.height
	idA, idB := wire.WorkloadID(user, nonce, 0), wire.WorkloadID(user, nonce, 1)

	// Pending: no slots, no allocation yet.
	if w := c.workload(idA, 0); w.State != pb.WorkloadState_WORKLOAD_STATE_PENDING || len(w.Slots) != 0 || w.Fee != q.Fee {
		t.Fatalf("pending workload %v", w)
	}
	if resp := c.queryCode(chain.PathAllocation, idA, 0, chain.QueryNotFound); !strings.Contains(resp.Log, "pending") {
		t.Fatalf("allocation of a pending workload: %q", resp.Log)
	}
	c.queryCode(chain.PathResult, resultKey(idA, 0), 0, chain.QueryNotFound)

	c.block()
	allocHeight := c.height
	wa, wb := c.workload(idA, 0), c.workload(idB, 0)
	// The block's Runs are allocated in an order drawn from the seed
	// (alloc.Order), not the block's: call A the one allocated first.
	posB := 1 // B's index among the block's Runs
	if len(wb.Slots) == 2 && wb.Slots[1].State == pb.SlotState_SLOT_STATE_ASSIGNED {
		idA, idB, wa, wb, posB = idB, idA, wb, wa, 0
	}
	if wa.State != pb.WorkloadState_WORKLOAD_STATE_ALLOCATED || wa.AllocatedHeight != allocHeight || len(wa.Slots) != 2 {
		t.Fatalf("workload A %v", wa)
	}
	for _, s := range wa.Slots {
		if s.State != pb.SlotState_SLOT_STATE_ASSIGNED || len(s.AllocatedTo) != 20 || !bytes.Equal(s.Prover, s.AllocatedTo) {
			t.Fatalf("slot of A %v", s)
		}
	}
	// Three provers meet the hardware and each holds one workload: B gets
	// the one A left, and its second slot opens.
	if wb.Slots[0].State != pb.SlotState_SLOT_STATE_ASSIGNED || wb.Slots[1].State != pb.SlotState_SLOT_STATE_OPEN || len(wb.Slots[1].AllocatedTo) != 0 {
		t.Fatalf("workload B slots %v", wb.Slots)
	}
	// The same query at the Run's height sees the pending workload.
	if w := c.workload(idA, runHeight); w.State != pb.WorkloadState_WORKLOAD_STATE_PENDING {
		t.Fatalf("workload at height %d: %v", runHeight, w)
	}

	// /workload is proven like the other records.
	resp := c.query(chain.PathWorkload, idA, 0, true)
	var proof ics23.CommitmentProof
	if resp.ProofOps == nil || proof.Unmarshal(resp.ProofOps.Ops[0].Data) != nil ||
		!bytes.Equal(resp.Key, protocol.WorkloadKey(idA)) ||
		!ics23.VerifyMembership(ics23.IavlSpec, c.hashes[c.height], &proof, resp.Key, resp.Value) {
		t.Fatal("workload proof does not verify")
	}

	// /allocation recomputes exactly the provers the chain assigned.
	seed, err := protocol.GetBeacon(c.app.Committed(), allocHeight)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*pb.Workload{wa, wb} {
		var ans chain.AllocationAnswer
		if err := json.Unmarshal(c.queryCode(chain.PathAllocation, w.Id, 0, chain.QueryOK).Value, &ans); err != nil {
			t.Fatal(err)
		}
		e := ans.Explanation
		if !ans.Agrees || !e.Found || e.Height != allocHeight || e.K != 2 || !bytes.Equal(ans.Seed, seed.Seed) || len(ans.Slots) != 2 {
			t.Fatalf("allocation of %x: %+v", w.Id, ans)
		}
		var drawn [][]byte
		for _, d := range e.Draws {
			if d.Outcome == alloc.DrawAccepted {
				drawn = append(drawn, bytes.Clone(d.Prover[:]))
			}
		}
		var assigned [][]byte
		for i, p := range e.Assignment.Provers {
			assigned = append(assigned, bytes.Clone(p[:]))
			if !bytes.Equal(ans.Slots[i].AllocatedTo, w.Slots[i].AllocatedTo) {
				t.Fatalf("answer's slot %d differs from the workload's", i)
			}
		}
		var slots [][]byte
		for _, s := range w.Slots {
			if len(s.AllocatedTo) > 0 {
				slots = append(slots, s.AllocatedTo)
			}
		}
		if !equalLists(drawn, slots) || !equalLists(assigned, slots) {
			t.Fatalf("allocation of %x: drew %x, assigned %x; the chain's slots name %x", w.Id, drawn, assigned, slots)
		}
		reasons := map[alloc.Reason]int{}
		for _, p := range e.Provers {
			reasons[p.Reason]++
		}
		if reasons[alloc.ReasonHardware] != 1 {
			t.Errorf("allocation of %x: reasons %v, want one hardware", w.Id, reasons)
		}
		if bytes.Equal(w.Id, idB) && (reasons[alloc.ReasonCapacity] != 2 || e.Eligible != 1 || e.Position != posB) {
			t.Errorf("allocation of B: reasons %v, eligible %d, position %d", reasons, e.Eligible, e.Position)
		}
	}

	// /workloads: newest first, by owner.
	list := func(owner []byte) []*pb.Workload {
		var l pb.WorkloadList
		if err := proto.Unmarshal(c.queryCode(chain.PathWorkloads, owner, 0, chain.QueryOK).Value, &l); err != nil {
			t.Fatal(err)
		}
		return l.Workloads
	}
	if ws := list(nil); len(ws) != 2 {
		t.Fatalf("all workloads: %d", len(ws))
	}
	if ws := list(user[:]); len(ws) != 2 || !(proto.Equal(ws[0], wa) || proto.Equal(ws[0], wb)) {
		t.Fatalf("user's workloads: %v", ws)
	}
	prover := addrOf(c.keys[1])
	if ws := list(prover[:]); len(ws) != 0 {
		t.Fatalf("a prover owns %d workloads", len(ws))
	}

	// /result: nothing before a submission, the age file after.
	c.queryCode(chain.PathResult, resultKey(idA, 0), 0, chain.QueryNotFound)
	holder := -1
	for i := 1; i <= 4; i++ {
		if a := addrOf(c.keys[i]); bytes.Equal(wa.Slots[0].Prover, a[:]) {
			holder = i
		}
	}
	temp, err := seal.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	file, err := seal.Seal(seal.Header{Workload: [32]byte(idA), Slot: 0, Prover: [20]byte(wa.Slots[0].Prover),
		Outcome: seal.OutcomeProof, CyclesUsed: 1000}, []byte("proof"), wa.Recipient, temp)
	if err != nil {
		t.Fatal(err)
	}
	commit := seal.Commit(temp.String())
	mustOK(t, "submit", c.block(s.tx(holder, &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{
		Workload: idA, Slot: 0, Sealed: file, Commit: commit[:], Outcome: pb.Outcome_OUTCOME_PROOF, CyclesUsed: 1000}}})))
	got := c.queryCode(chain.PathResult, resultKey(idA, 0), 0, chain.QueryOK).Value
	sum := sha256.Sum256(got)
	if !bytes.Equal(got, file) || !bytes.Equal(c.workload(idA, 0).Slots[0].SealedSha256, sum[:]) {
		t.Fatal("/result is not the submitted age file")
	}
	c.queryCode(chain.PathResult, resultKey(idA, 1), 0, chain.QueryNotFound)

	// Bad requests and unknown ids.
	unknown := bytes.Repeat([]byte{7}, 32)
	for _, q := range []struct {
		path string
		data []byte
		code uint32
	}{
		{chain.PathWorkload, idA[:31], chain.QueryBadRequest},
		{chain.PathWorkload, nil, chain.QueryBadRequest},
		{chain.PathWorkload, unknown, chain.QueryNotFound},
		{chain.PathWorkloads, []byte{1, 2, 3}, chain.QueryBadRequest},
		{chain.PathResult, idA, chain.QueryBadRequest},
		{chain.PathResult, resultKey(unknown, 0), chain.QueryNotFound},
		{chain.PathResult, resultKey(idA, 2), chain.QueryBadRequest},
		{chain.PathAllocation, idA[:16], chain.QueryBadRequest},
		{chain.PathAllocation, unknown, chain.QueryNotFound},
	} {
		c.queryCode(q.path, q.data, 0, q.code)
	}
}

func equalLists(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
