package chain_test

import (
	"bytes"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// TestPrepareProposalNonceOrder: a sender's transactions that reached the
// mempool out of nonce order are proposed in order, in the positions that
// sender's transactions held; other senders keep their places.
func TestPrepareProposalNonceOrder(t *testing.T) {
	c := newChain(t, nil, 1_000_000, 1_000_000)
	bob := addrOf(c.keys[1])
	a0, a1, a2 := c.transfer(0, 0, bob, 1), c.transfer(0, 1, bob, 2), c.transfer(0, 2, bob, 3)
	b0 := c.transfer(1, 0, addrOf(c.keys[0]), 4)
	got := c.prepare(1, [][]byte{a2, b0, a0, a1})
	want := [][]byte{a0, b0, a1, a2}
	if len(got) != len(want)+1 {
		t.Fatalf("proposal has %d txs, want %d and the beacon", len(got), len(want))
	}
	for i, tx := range want {
		if !bytes.Equal(got[i+1], tx) {
			t.Fatalf("position %d is not the expected transaction (want order alice0 bob0 alice1 alice2)", i)
		}
	}
	if garbage := []byte("not a transaction"); !bytes.Equal(c.prepare(1, [][]byte{garbage, a1, a0})[1], garbage) {
		t.Fatal("an undecodable transaction moved")
	}
}

// TestPrepareProposalCriticalFirst: when transfers would fill a block, the
// protocol-critical messages (here an Accept and a Vote, whose windows
// close) still get in, ahead of them; a sender that also sent a transfer
// keeps its transactions in the ordinary group, in nonce order.
func TestPrepareProposalCriticalFirst(t *testing.T) {
	c := newChain(t, nil, 1_000_000, 1_000_000, 1_000_000)
	carol := addrOf(c.keys[2])
	var spam [][]byte
	for n := range 40 {
		spam = append(spam, c.transfer(0, n, carol, 1))
	}
	sign := func(from, nonce int, m *client.Msg) []byte {
		raw, err := client.SignTx(c.keys[from], chainID, uint64(nonce), 0, feeParams(c.params), m)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	id := make([]byte, 32)
	accept := sign(1, 0, &client.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: id}}})
	vote := sign(1, 1, &client.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Ballots: []uint64{1}, Verdicts: []byte{1}}}})
	// carol transfers (nonce 0) then accepts (nonce 1): both stay with the
	// ordinary transactions, so her Accept is not proposed before her nonce 0.
	carolTransfer := c.transfer(2, 0, addrOf(c.keys[0]), 1)
	carolAccept := sign(2, 1, &client.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: id}}})
	txs := append([][]byte{carolTransfer}, spam...)
	txs = append(txs, accept, carolAccept, vote)
	limit := int64(0)
	for _, tx := range spam[:10] {
		limit += int64(len(tx)) + 8
	}
	resp, err := c.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{
		MaxTxBytes: limit + 1000, Txs: txs, Height: 1, Time: time.Unix(1_700_000_001, 0), ProposerAddress: c.valAddr,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := resp.Txs[1:]
	if len(got) < 2 || !bytes.Equal(got[0], accept) || !bytes.Equal(got[1], vote) {
		t.Fatalf("the Accept and the Vote are not first in a block full of transfers (%d txs)", len(got))
	}
	if len(got) >= len(txs) {
		t.Fatalf("the block was not full: %d of %d transactions fit", len(got), len(txs))
	}
	if !bytes.Equal(got[2], carolTransfer) {
		t.Fatal("the ordinary group does not follow the critical one in its own order")
	}
	for _, tx := range got {
		if bytes.Equal(tx, carolAccept) {
			t.Fatal("carol's Accept jumped ahead of her own transfer's group into a full block")
		}
	}
}

// TestProcessProposalRejectsOversize: the application caps blocks itself
// (genesis block.max_bytes is -1 so that PrepareProposal sees the whole
// mempool): a proposal over MaxProposalTxBytes is refused, and
// PrepareProposal never makes one, however much CometBFT offers. The
// weight limit is lifted so that the bytes bind (weight_test.go tests the
// weight).
func TestProcessProposalRejectsOversize(t *testing.T) {
	p := protocol.DefaultParams()
	p.MaxBlockWeight = 1 << 40
	c := newChainParams(t, nil, p, 0, 1<<40, 1_000_000)
	bob := addrOf(c.keys[1])
	var mempool [][]byte
	for n := range 30_000 { // about 6 MB of transfers: more than a block
		mempool = append(mempool, c.transfer(0, n, bob, 1))
	}
	resp, err := c.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{
		MaxTxBytes: 100 << 20, Txs: mempool, Height: 1, Time: time.Unix(1_700_000_001, 0), ProposerAddress: c.valAddr,
	})
	if err != nil {
		t.Fatal(err)
	}
	if size := cmttypes.ComputeProtoSizeForTxs(cmttypes.ToTxs(resp.Txs)); size > chain.MaxProposalTxBytes || len(resp.Txs) >= len(mempool) {
		t.Fatalf("PrepareProposal returned %d of %d transactions, %d bytes (limit %d)", len(resp.Txs), len(mempool), size, chain.MaxProposalTxBytes)
	}
	if st := c.process(1, c.valAddr, resp.Txs); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("its own proposal was refused: %v", st)
	}
	over := append(append([][]byte{}, resp.Txs...), mempool[len(resp.Txs):len(resp.Txs)+2000]...)
	if st := c.process(1, c.valAddr, over); st != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("a proposal over the limit was %v, want reject", st)
	}
}

// TestFinalizeBlockRecordsFill: a block whose admitted protocol-critical
// transactions take full_block_bytes is recorded full, and a run of them is
// tracked until a block with room ends it (protocol/fill.go excuses windows
// by it). Ordinary transactions and transactions refused at admission (no
// fee paid) do not fill a block, however large.
func TestFinalizeBlockRecordsFill(t *testing.T) {
	params := protocol.DefaultParams()
	c := newChain(t, nil, 1_000_000, 1_000_000)
	accept := func(c *testChain, from, nonce int) []byte {
		raw, err := client.SignTx(c.keys[from], chainID, uint64(nonce), 0, feeParams(c.params),
			&client.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: make([]byte, 32)}}})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	one := uint64(len(accept(c, 0, 0)))
	params.FullBlockBytes = 2 * one
	c = newChainParams(t, nil, params, 0, 1_000_000, 1_000_000, 1_000_000)
	bob := addrOf(c.keys[1])
	want := func(start, last int64) {
		t.Helper()
		gotStart, gotLast, err := protocol.FullRun(c.tree.Working())
		if err != nil || gotStart != start || gotLast != last {
			t.Fatalf("full run = %d..%d (%v), want %d..%d", gotStart, gotLast, err, start, last)
		}
	}
	// Accepts of a workload that does not exist: refused by the protocol,
	// but admitted (the fee paid), so they count.
	c.block(accept(c, 0, 0), accept(c, 0, 1))
	want(1, 1)
	c.block(accept(c, 0, 2), accept(c, 0, 3))
	want(1, 2)
	c.block(accept(c, 0, 4))
	want(0, 3)
	c.block(accept(c, 0, 5), accept(c, 0, 6))
	want(4, 4)
	// Transfers of many times the size: ordinary, they never fill a block.
	c.block(c.transfer(1, 0, bob, 1), c.transfer(1, 1, bob, 1), c.transfer(1, 2, bob, 1), c.transfer(1, 3, bob, 1))
	want(0, 5)
	// Accepts refused at admission (a nonce already used): no fee, no fill.
	c.block(accept(c, 2, 5), accept(c, 2, 6), accept(c, 2, 7))
	want(0, 6)
}
