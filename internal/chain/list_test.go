package chain_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"filippo.io/age"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// listFixture is a chain with a deployed program, five provers and Runs by
// two owners over three blocks, each Run naming its own input blob.
type listFixture struct {
	c       *testChain
	s       *wlSigner
	progID  []byte
	modules [][32]byte
	inputs  [][32]byte
	runs    map[string]int // workload id (hex) -> owner account
}

func newListFixture(t *testing.T) *listFixture {
	c := newChainWithParams(t, protocol.DefaultParams(), 1<<62, 1<<62, 1e10, 1e10, 1e10, 1e10, 1e10)
	f := &listFixture{c: c, s: &wlSigner{c: c, nonces: map[int]uint64{}}, runs: map[string]int{}}
	c.block()
	pv, vf := sha256.Sum256([]byte("list prover")), sha256.Sum256([]byte("list verifier"))
	f.modules = [][32]byte{pv, vf}
	deploy, err := client.DeployMsg("list", &wire.Module{SHA256: hex.EncodeToString(pv[:]), Size: 10},
		&wire.Module{SHA256: hex.EncodeToString(vf[:]), Size: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	txs := [][]byte{f.s.tx(0, deploy)}
	for i := 2; i <= 6; i++ {
		_, pub := vrfKey(t, byte(0x50+i))
		txs = append(txs, f.s.tx(i, client.RegisterProverMsg(pub, wire.Hardware{CPUCores: 1, MemoryMB: 1024}, 1, "")))
	}
	mustOK(t, "deploy and register", c.block(txs...))
	f.progID = wire.ProgramID(pv[:], vf[:])
	for _, owners := range [][]int{{0, 0}, {1, 0}, {0, 0, 1}} {
		var block [][]byte
		for _, o := range owners {
			block = append(block, f.runTx(o))
		}
		mustOK(t, "runs", c.block(block...))
	}
	return f
}

// runTx is a Run by account owner naming a fresh input blob.
func (f *listFixture) runTx(owner int) []byte {
	f.c.t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.c.t.Fatal(err)
	}
	in := sha256.Sum256(fmt.Appendf(nil, "input %d", len(f.inputs)))
	f.inputs = append(f.inputs, in)
	owners := addrOf(f.c.keys[owner])
	f.runs[hex.EncodeToString(wire.WorkloadID(owners, f.s.nonces[owner], 0))] = owner
	return f.s.tx(owner, &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: f.progID, Cycles: 1_000_000, Provers: 1,
		Recipient: id.Recipient().String(), Deadline: 30, Inputs: []*pb.Input{{Name: "in", Sha256: in[:], Size: 5}}}}})
}

// page runs one list query and returns its records' raw list and cursor.
func (f *listFixture) page(path string, r chain.ListRequest, code uint32) (*abci.QueryResponse, []byte) {
	f.c.t.Helper()
	resp := f.c.queryCode(path, r.Encode(), 0, code)
	var next []byte
	if resp.Info != "" {
		var err error
		if next, err = hex.DecodeString(resp.Info); err != nil {
			f.c.t.Fatalf("cursor %q: %v", resp.Info, err)
		}
	}
	return resp, next
}

// workloadPages follows the cursor through every page of limit.
func (f *listFixture) workloadPages(owner []byte, limit uint32) (ids []string, pages int) {
	f.c.t.Helper()
	var after []byte
	for {
		resp, next := f.page(chain.PathWorkloads, chain.ListRequest{Owner: owner, Limit: limit, After: after}, chain.QueryOK)
		var l pb.WorkloadList
		if err := proto.Unmarshal(resp.Value, &l); err != nil {
			f.c.t.Fatal(err)
		}
		if len(l.Workloads) > int(limit) || (next != nil && len(l.Workloads) != int(limit)) {
			f.c.t.Fatalf("page of %d with limit %d and cursor %x", len(l.Workloads), limit, next)
		}
		for _, w := range l.Workloads {
			ids = append(ids, hex.EncodeToString(w.Id))
		}
		pages++
		if next == nil || pages > 100 {
			return ids, pages
		}
		after = next
	}
}

// newestFirst is the order /workloads promises, computed the slow way.
func (f *listFixture) newestFirst(owner int) []string {
	var ws []*pb.Workload
	for id, o := range f.runs {
		if owner < 0 || o == owner {
			b, _ := hex.DecodeString(id)
			ws = append(ws, f.c.workload(b, 0))
		}
	}
	for i := range ws { // insertion sort: height desc, id asc
		for j := i; j > 0 && (ws[j].Height > ws[j-1].Height || ws[j].Height == ws[j-1].Height && bytes.Compare(ws[j].Id, ws[j-1].Id) < 0); j-- {
			ws[j], ws[j-1] = ws[j-1], ws[j]
		}
	}
	var ids []string
	for _, w := range ws {
		ids = append(ids, hex.EncodeToString(w.Id))
	}
	return ids
}

// TestWorkloadPages: following the cursor with any page size lists every
// workload once, newest first, for all owners and for one.
func TestWorkloadPages(t *testing.T) {
	f := newListFixture(t)
	all, user0 := f.newestFirst(-1), f.newestFirst(0)
	if len(all) != 7 || len(user0) != 5 {
		t.Fatalf("fixture: %d runs, %d of owner 0", len(all), len(user0))
	}
	a0 := addrOf(f.c.keys[0])
	for _, limit := range []uint32{1, 2, 3, 7, 1000} {
		if ids, pages := f.workloadPages(nil, limit); fmt.Sprint(ids) != fmt.Sprint(all) || pages != (7+int(limit)-1)/int(limit) {
			t.Errorf("limit %d: %d pages %v, want %v", limit, pages, ids, all)
		}
		if ids, _ := f.workloadPages(a0[:], limit); fmt.Sprint(ids) != fmt.Sprint(user0) {
			t.Errorf("owner 0, limit %d: %v, want %v", limit, ids, user0)
		}
	}
	// The older forms still answer the first page.
	var l pb.WorkloadList
	if err := proto.Unmarshal(f.c.queryCode(chain.PathWorkloads, nil, 0, chain.QueryOK).Value, &l); err != nil || len(l.Workloads) != 7 {
		t.Fatalf("legacy all: %d %v", len(l.Workloads), err)
	}
	// A past height lists only what existed then.
	resp := f.c.queryCode(chain.PathWorkloads, chain.ListRequest{}.Encode(), f.c.height-1, chain.QueryOK)
	if err := proto.Unmarshal(resp.Value, &l); err != nil || len(l.Workloads) != 4 {
		t.Fatalf("workloads at height %d: %d %v", f.c.height-1, len(l.Workloads), err)
	}
	for _, bad := range [][]byte{
		{'L'}, {'L', 3, 1, 2, 3, 0, 0, 0, 1}, {'X', 0, 0, 0, 0, 1},
		chain.ListRequest{After: []byte{1, 2, 3}}.Encode(),
	} {
		f.c.queryCode(chain.PathWorkloads, bad, 0, chain.QueryBadRequest)
	}
}

// TestProverAndProgramPages: provers page in address order, the cursor
// being the last address.
func TestProverAndProgramPages(t *testing.T) {
	f := newListFixture(t)
	var got []string
	var after []byte
	for pages := 0; ; pages++ {
		resp, next := f.page(chain.PathProvers, chain.ListRequest{Limit: 2, After: after}, chain.QueryOK)
		var l pb.ProverList
		if err := proto.Unmarshal(resp.Value, &l); err != nil || len(l.Provers) > 2 || pages > 5 {
			t.Fatalf("prover page %d: %d provers %v", pages, len(l.Provers), err)
		}
		for _, p := range l.Provers {
			got = append(got, hex.EncodeToString(p.Address))
		}
		if next == nil {
			break
		}
		if !bytes.Equal(next, l.Provers[len(l.Provers)-1].Address) {
			t.Fatalf("cursor %x is not the last address", next)
		}
		after = next
	}
	var full pb.ProverList
	if err := proto.Unmarshal(f.c.queryCode(chain.PathProvers, nil, 0, chain.QueryOK).Value, &full); err != nil || len(full.Provers) != 5 {
		t.Fatalf("all provers: %d %v", len(full.Provers), err)
	}
	for i, p := range full.Provers {
		if i >= len(got) || got[i] != hex.EncodeToString(p.Address) || (i > 0 && bytes.Compare(full.Provers[i-1].Address, p.Address) >= 0) {
			t.Fatalf("paged provers %v differ from %d listed in address order", got, len(full.Provers))
		}
	}
	if len(got) != 5 {
		t.Fatalf("paged %d provers", len(got))
	}
	f.c.queryCode(chain.PathProvers, chain.ListRequest{After: []byte{1}}.Encode(), 0, chain.QueryBadRequest)
	f.c.queryCode(chain.PathProvers, chain.ListRequest{Owner: make([]byte, 20)}.Encode(), 0, chain.QueryBadRequest)
	resp, next := f.page(chain.PathPrograms, chain.ListRequest{Limit: 1}, chain.QueryOK)
	var pl pb.ProgramList
	if err := proto.Unmarshal(resp.Value, &pl); err != nil || len(pl.Programs) != 1 || next != nil {
		t.Fatalf("programs: %d, next %x, %v", len(pl.Programs), next, err)
	}
}

// TestQueriesDoNotWaitForBlocks: while a block holds the block lock, list
// and record queries still answer.
func TestQueriesDoNotWaitForBlocks(t *testing.T) {
	f := newListFixture(t)
	unlock := chain.LockBlocks(f.c.app)
	defer unlock()
	done := make(chan error, 1)
	go func() {
		for _, q := range []abci.QueryRequest{
			{Path: chain.PathWorkloads, Data: chain.ListRequest{Limit: 3}.Encode()},
			{Path: chain.PathProvers},
			{Path: chain.PathPrograms},
			{Path: chain.PathWorkloads, Height: f.c.height - 1},
			{Path: chain.PathPending, Data: make([]byte, 32)},
		} {
			resp, err := f.c.app.Query(ctx, &q)
			if err == nil && resp.Code != chain.QueryOK {
				err = fmt.Errorf("%s: code %d %s", q.Path, resp.Code, resp.Log)
			}
			if err != nil {
				done <- err
				return
			}
		}
		if info, err := f.c.app.Info(ctx, &abci.InfoRequest{}); err != nil || info.LastBlockHeight != f.c.height {
			done <- fmt.Errorf("info: %v %v", info, err)
			return
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("queries waited for the block lock")
	}
}

// TestBlobReferences: a blob is referenced once a committed program's
// module or Run's input names it, or an admitted Run in the mempool does;
// the index survives a restart.
func TestBlobReferences(t *testing.T) {
	f := newListFixture(t)
	app := f.c.app
	for _, h := range append(f.modules, f.inputs...) {
		if !app.Referenced(h) {
			t.Fatalf("committed reference %x not found", h)
		}
	}
	if app.Referenced(sha256.Sum256([]byte("nobody names this"))) {
		t.Fatal("an unnamed blob is referenced")
	}
	pending := f.runTx(1)
	in := f.inputs[len(f.inputs)-1]
	if app.Referenced(in) {
		t.Fatal("referenced before any transaction names it")
	}
	if resp := f.c.checkTx(pending); resp.Code != 0 {
		t.Fatalf("CheckTx: %d %s", resp.Code, resp.Log)
	}
	if !app.Referenced(in) {
		t.Fatal("an admitted Run's input is not referenced")
	}
	mustOK(t, "pending run", f.c.block(pending))
	f.c.newApp(f.c.tree) // restart: the index is rebuilt from the state
	if !f.c.app.Referenced(in) || !f.c.app.Referenced(f.modules[0]) || f.c.app.Referenced(sha256.Sum256(nil)) {
		t.Fatal("references after a restart")
	}
	if ids, _ := f.workloadPages(nil, 3); len(ids) != 8 {
		t.Fatalf("after a restart %d workloads listed, want 8", len(ids))
	}
}

// TestTxCacheHoldsOnlyAdmitted: transactions CheckTx rejects, however
// many and however large, take no cache space; an admitted one does until
// its block.
func TestTxCacheHoldsOnlyAdmitted(t *testing.T) {
	c := newChain(t, nil, 1<<40, 1<<40)
	c.block()
	b := addrOf(c.keys[1])
	for i := range 200 {
		if resp := c.checkTx(c.transfer(0, 10+i, b, 1)); resp.Code != uint32(wire.CodeWrongNonce) {
			t.Fatalf("future nonce: %d", resp.Code)
		}
	}
	if n, _ := chain.TxCacheUsage(c.app); n != 0 {
		t.Fatalf("%d rejected transactions cached", n)
	}
	tx := c.transfer(0, 0, b, 1)
	if resp := c.checkTx(tx); resp.Code != 0 {
		t.Fatalf("CheckTx: %d %s", resp.Code, resp.Log)
	}
	if n, _ := chain.TxCacheUsage(c.app); n != 1 {
		t.Fatalf("admitted: %d cached", n)
	}
	c.block(tx)
	if n, by := chain.TxCacheUsage(c.app); n != 0 || by != 0 {
		t.Fatalf("after its block: %d cached, %d bytes", n, by)
	}
}

// TestQueriesDuringBlocks runs list, record and pending queries, Info and
// Referenced without pause while blocks of Runs execute and commit (run it
// with -race): every answer is a whole page of a committed version, and
// the newest-first order holds within each page.
func TestQueriesDuringBlocks(t *testing.T) {
	f := newListFixture(t)
	stop := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := queryOnce(f, i); err != nil {
				errs <- err
				return
			}
		}
	}()
	for range 10 {
		mustOK(t, "runs", f.c.block(f.runTx(0), f.runTx(1)))
	}
	close(stop)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

// queryOnce runs the i-th query of TestQueriesDuringBlocks' mix.
func queryOnce(f *listFixture, i int) error {
	app := f.c.app
	switch i % 4 {
	case 0:
		resp, err := app.Query(ctx, &abci.QueryRequest{Path: chain.PathWorkloads, Data: chain.ListRequest{Limit: 5}.Encode()})
		if err != nil || resp.Code != chain.QueryOK {
			return fmt.Errorf("workloads: %v %v", resp, err)
		}
		var l pb.WorkloadList
		if err := proto.Unmarshal(resp.Value, &l); err != nil || len(l.Workloads) != 5 {
			return fmt.Errorf("workloads page: %d %v", len(l.Workloads), err)
		}
		for j := 1; j < len(l.Workloads); j++ {
			if l.Workloads[j].Height > l.Workloads[j-1].Height || l.Workloads[j].Height > resp.Height {
				return fmt.Errorf("page out of order or past its version %d", resp.Height)
			}
		}
	case 1:
		if resp, err := app.Query(ctx, &abci.QueryRequest{Path: chain.PathProvers}); err != nil || resp.Code != chain.QueryOK {
			return fmt.Errorf("provers: %v %v", resp, err)
		}
	case 2:
		if _, err := app.Info(ctx, &abci.InfoRequest{}); err != nil {
			return err
		}
		if !app.Referenced(f.modules[0]) {
			return errors.New("a module stopped being referenced")
		}
	case 3:
		if resp, err := app.Query(ctx, &abci.QueryRequest{Path: chain.PathPending, Data: make([]byte, 32)}); err != nil || resp.Code != chain.QueryOK {
			return fmt.Errorf("pending: %v %v", resp, err)
		}
	}
	return nil
}

// TestAllocationQueriesBounded: one /allocation recomputation (it reads
// every prover) runs at a time; another meanwhile is told to retry.
func TestAllocationQueriesBounded(t *testing.T) {
	f := newListFixture(t)
	id := make([]byte, 32)
	release := chain.HoldAllocation(f.c.app)
	f.c.queryCode(chain.PathAllocation, id, 0, chain.QueryBusy)
	release()
	f.c.queryCode(chain.PathAllocation, id, 0, chain.QueryNotFound)
}
