package chain_test

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/store/iavltree"
)

// snapshotChain is a chain with some accounts and transfers whose app
// snapshots every 3rd height in small chunks, run to height top.
func snapshotChain(t *testing.T, top int64) *testChain {
	t.Helper()
	balances := make([]uint64, 12)
	for i := range balances {
		balances[i] = 1_000_000
	}
	c := newChain(t, nil, balances...)
	chain.SetSnapshots(c.app, t.TempDir(), 3, 512)
	nonces := make([]int, len(balances))
	for h := int64(1); h <= top; h++ {
		var txs [][]byte
		for i := range 4 {
			from := (int(h)*4 + i) % len(balances)
			txs = append(txs, c.transfer(from, nonces[from], addrOf(c.keys[(from+5)%len(balances)]), uint64(h*10)+uint64(i)))
			nonces[from]++
		}
		for i, r := range c.block(txs...) {
			if r.Code != 0 {
				t.Fatalf("height %d tx %d: %d %s", h, i, r.Code, r.Log)
			}
		}
		c.app.WaitSnapshots()
	}
	return c
}

func listSnapshots(t *testing.T, a *chain.App) []*abci.Snapshot {
	t.Helper()
	resp, err := a.ListSnapshots(ctx, &abci.ListSnapshotsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Snapshots
}

// fresh is a chain sharing c's keys whose app has no state yet.
func fresh(c *testChain) *testChain {
	d := *c
	d.hashes = maps.Clone(c.hashes)
	d.commits = nil
	d.newApp(iavltree.OpenMemory())
	return &d
}

func offer(t *testing.T, a *chain.App, s *abci.Snapshot, appHash []byte) abci.OfferSnapshotResult {
	t.Helper()
	resp, err := a.OfferSnapshot(ctx, &abci.OfferSnapshotRequest{Snapshot: s, AppHash: appHash})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Result
}

func loadChunk(t *testing.T, a *chain.App, s *abci.Snapshot, i uint32) []byte {
	t.Helper()
	resp, err := a.LoadSnapshotChunk(ctx, &abci.LoadSnapshotChunkRequest{Height: s.Height, Format: s.Format, Chunk: i})
	if err != nil || len(resp.Chunk) == 0 {
		t.Fatalf("chunk %d of snapshot %d: %v (%d bytes)", i, s.Height, err, len(resp.Chunk))
	}
	return resp.Chunk
}

func applyChunk(t *testing.T, a *chain.App, i uint32, chunk []byte, sender string) *abci.ApplySnapshotChunkResponse {
	t.Helper()
	resp, err := a.ApplySnapshotChunk(ctx, &abci.ApplySnapshotChunkRequest{Index: i, Chunk: chunk, Sender: sender})
	if err != nil {
		t.Fatalf("chunk %d: %v", i, err)
	}
	return resp
}

// sameState compares every key and value of two apps' committed states.
func sameState(t *testing.T, a, b *chain.App) {
	t.Helper()
	dump := func(x *chain.App) map[string]string {
		m := map[string]string{}
		if err := x.Committed().Iterate(nil, nil, func(k, v []byte) bool { m[string(k)] = string(v); return true }); err != nil {
			t.Fatal(err)
		}
		return m
	}
	da, db := dump(a), dump(b)
	if len(da) == 0 || !maps.Equal(da, db) {
		t.Fatalf("restored state differs: %d keys vs %d", len(da), len(db))
	}
}

// TestSnapshotRestore: a snapshot exported from one app and restored, chunk
// by chunk, into an app with no state gives the same app hash and state,
// and both then execute the next block to the same hash.
func TestSnapshotRestore(t *testing.T) {
	c := snapshotChain(t, 6)
	snaps := listSnapshots(t, c.app)
	if len(snaps) != 2 || snaps[0].Height != 6 || snaps[1].Height != 3 {
		t.Fatalf("snapshots kept: %v, want heights 6 and 3", snaps)
	}
	s := snaps[0]
	if s.Chunks < 3 {
		t.Fatalf("snapshot of %d chunks; the test wants several", s.Chunks)
	}
	d := fresh(c)
	if r := offer(t, d.app, s, c.hashes[6]); r != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		t.Fatalf("offer: %v", r)
	}
	for i := range s.Chunks {
		if r := applyChunk(t, d.app, i, loadChunk(t, c.app, s, i), "peer").Result; r != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
			t.Fatalf("chunk %d: %v", i, r)
		}
	}
	info, err := d.app.Info(ctx, &abci.InfoRequest{})
	if err != nil || info.LastBlockHeight != 6 || !bytes.Equal(info.LastBlockAppHash, c.hashes[6]) {
		t.Fatalf("restored Info: %d %x (%v), want 6 %x", info.LastBlockHeight, info.LastBlockAppHash, err, c.hashes[6])
	}
	sameState(t, c.app, d.app)
	for _, x := range []*testChain{c, d} {
		x.block(x.transfer(0, 2, addrOf(c.keys[1]), 5))
	}
	if !bytes.Equal(d.hashes[7], c.hashes[7]) {
		t.Fatalf("after restore, height 7: %x, source %x", d.hashes[7], c.hashes[7])
	}
	sameState(t, c.app, d.app)
	if a, b := c.account(addrOf(c.keys[1]), 0), d.account(addrOf(c.keys[1]), 0); a.Balance != b.Balance || a.Nonce != b.Nonce {
		t.Fatalf("account after restore: %v vs source %v", b, a)
	}
	// The snapshot due at 9 replaces the one of 3.
	c.block()
	c.block()
	c.app.WaitSnapshots()
	if snaps := listSnapshots(t, c.app); len(snaps) != 2 || snaps[0].Height != 9 || snaps[1].Height != 6 {
		t.Fatalf("snapshots kept after 9: %v", snaps)
	}
}

// TestSnapshotCorruptChunk: a chunk that does not hash to the metadata's
// hash is refused (fetched again, its sender rejected) and nothing of it is
// imported; the right chunk then completes the restore.
func TestSnapshotCorruptChunk(t *testing.T) {
	c := snapshotChain(t, 3)
	s := listSnapshots(t, c.app)[0]
	d := fresh(c)
	if r := offer(t, d.app, s, c.hashes[3]); r != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		t.Fatalf("offer: %v", r)
	}
	for i := range s.Chunks {
		good := loadChunk(t, c.app, s, i)
		if i == 1 {
			bad := bytes.Clone(good)
			bad[len(bad)/2] ^= 1
			resp := applyChunk(t, d.app, i, bad, "evil")
			if resp.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY || !slices.Equal(resp.RefetchChunks, []uint32{1}) ||
				!slices.Equal(resp.RejectSenders, []string{"evil"}) {
				t.Fatalf("corrupt chunk: %+v", resp)
			}
		}
		if r := applyChunk(t, d.app, i, good, "peer").Result; r != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
			t.Fatalf("chunk %d: %v", i, r)
		}
	}
	info, _ := d.app.Info(ctx, &abci.InfoRequest{})
	if info.LastBlockHeight != 3 || !bytes.Equal(info.LastBlockAppHash, c.hashes[3]) {
		t.Fatalf("restored Info: %d %x, want 3 %x", info.LastBlockHeight, info.LastBlockAppHash, c.hashes[3])
	}
	sameState(t, c.app, d.app)
}

// TestSnapshotOfferRefusals: unknown formats, metadata that does not hash
// to the snapshot's hash and roots other than the trusted app hash are
// refused; an app that has state aborts.
func TestSnapshotOfferRefusals(t *testing.T) {
	c := snapshotChain(t, 3)
	s := listSnapshots(t, c.app)[0]
	d := fresh(c)
	mod := func(f func(*abci.Snapshot)) *abci.Snapshot {
		x := *s
		x.Metadata = bytes.Clone(s.Metadata)
		f(&x)
		return &x
	}
	for name, tc := range map[string]struct {
		s    *abci.Snapshot
		hash []byte
		want abci.OfferSnapshotResult
	}{
		"format":      {mod(func(x *abci.Snapshot) { x.Format = 2 }), c.hashes[3], abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT},
		"app hash":    {s, c.hashes[2], abci.OFFER_SNAPSHOT_RESULT_REJECT},
		"metadata":    {mod(func(x *abci.Snapshot) { x.Metadata[40] ^= 1 }), c.hashes[3], abci.OFFER_SNAPSHOT_RESULT_REJECT},
		"chunk count": {mod(func(x *abci.Snapshot) { x.Chunks++ }), c.hashes[3], abci.OFFER_SNAPSHOT_RESULT_REJECT},
		"short meta":  {mod(func(x *abci.Snapshot) { x.Metadata = x.Metadata[:31] }), c.hashes[3], abci.OFFER_SNAPSHOT_RESULT_REJECT},
	} {
		if r := offer(t, d.app, tc.s, tc.hash); r != tc.want {
			t.Errorf("%s: %v, want %v", name, r, tc.want)
		}
	}
	if r := offer(t, c.app, s, c.hashes[3]); r != abci.OFFER_SNAPSHOT_RESULT_ABORT {
		t.Errorf("offer to an app with state: %v", r)
	}
	if r := applyChunk(t, d.app, 0, loadChunk(t, c.app, s, 0), "peer").Result; r != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT {
		t.Errorf("chunk with no snapshot accepted: %v", r)
	}
}
