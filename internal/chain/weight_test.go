package chain_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// weightChain is a chain whose blocks carry at most perBlock transfers of
// its first account by weight, far below the byte cap.
func weightChain(t *testing.T, perBlock uint64) (*testChain, []byte) {
	t.Helper()
	p := protocol.DefaultParams()
	probe := newChain(t, nil, 1_000_000)
	one := probe.transfer(0, 0, addrOf(probe.keys[0]), 1)
	w := p.BlockWeight(len(one), []*pb.Msg{{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{}}}})
	p.MaxTxBytes, p.MaxBlockWeight = 4096, perBlock*w
	p.AdmissionChallenges = 0 // a Stake issues none: so tiny a block could not carry one (Validate)
	return newChainParams(t, nil, p, 0, 1_000_000, 1_000_000, 1_000_000), one
}

// TestProcessProposalWeightLimit: PrepareProposal fills a block to
// max_block_weight and no further, however many transactions CometBFT
// offers; ProcessProposal accepts that block, refuses it with one more
// transaction, and a validator that never saw the transactions (its cache
// of verified decodes empty) weighs them alike.
func TestProcessProposalWeightLimit(t *testing.T) {
	const perBlock = 10
	c, _ := weightChain(t, perBlock)
	bob := addrOf(c.keys[1])
	var mempool [][]byte
	for n := range 3 * perBlock {
		mempool = append(mempool, c.transfer(0, n, bob, 1))
	}
	for _, tx := range mempool {
		if res := c.checkTx(tx); res.Code != 0 {
			t.Fatalf("CheckTx: %d %s", res.Code, res.Log)
		}
	}
	proposal := c.prepare(1, mempool)
	if len(proposal) != perBlock+1 {
		t.Fatalf("PrepareProposal made a block of %d transactions and the beacon, want %d: the weight limit fills it", len(proposal)-1, perBlock)
	}
	if st := c.process(1, c.valAddr, proposal); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("a block at the weight limit was %v", st)
	}
	over := append(slices.Clone(proposal), mempool[perBlock])
	if st := c.process(1, c.valAddr, over); st != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("a block one transfer over the weight limit was %v, want reject", st)
	}
	// A validator that admitted none of them decides the same.
	other := newChainParams(t, iavltree.OpenMemory(), c.params, 0, 1_000_000, 1_000_000, 1_000_000)
	if st := other.process(1, other.valAddr, proposal); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("a fresh validator refused the block at the limit: %v", st)
	}
	if st := other.process(1, other.valAddr, over); st != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("a fresh validator accepted the block over the limit: %v", st)
	}
	resp, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: proposal, Height: 1, Time: time.Unix(1_700_000_001, 0), ProposerAddress: c.valAddr})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range resp.TxResults[1:] {
		if r.Code != 0 {
			t.Fatalf("tx %d of the block at the limit failed: %s", i, r.Log)
		}
	}
}

// TestPrepareProposalSkipsWhatDoesNotFit: a transaction too heavy for the
// room left does not end the block: it is left out with its sender's
// later transactions (their nonces would fail), and lighter ones from
// other senders still fill the block.
func TestPrepareProposalSkipsWhatDoesNotFit(t *testing.T) {
	const perBlock = 10
	c, _ := weightChain(t, perBlock)
	sign := func(from, nonce int, m *client.Msg) []byte {
		raw, err := client.SignTx(c.keys[from], chainID, uint64(nonce), 0, feeParams(c.params), m)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	vote := func(first uint64, n int) *client.Msg {
		entries := make([]wire.Ballot, n)
		for i := range entries {
			entries[i] = wire.Ballot{Number: first + uint64(i), Verdict: wire.VerdictValid}
		}
		v, err := wire.EncodeVote(entries)
		if err != nil {
			t.Fatal(err)
		}
		return &client.Msg{Kind: &pb.Msg_Vote{Vote: v}}
	}
	// Two votes of account 1 on distinct ballots, each more than half the
	// block; an Accept of account 2; transfers of account 0.
	entries := int(c.params.MaxBlockWeight/2/(wire.WeightVoteEntry+wire.WeightBallot)) + 1
	vote0, vote1 := sign(1, 0, vote(1, entries)), sign(1, 1, vote(1_000_000, entries))
	accept := sign(2, 0, &client.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: make([]byte, 32)}}})
	mempool := [][]byte{vote0, vote1, accept}
	for n := range perBlock {
		mempool = append(mempool, c.transfer(0, n, addrOf(c.keys[2]), 1))
	}
	proposal := c.prepare(1, mempool)[1:]
	has := func(tx []byte) bool {
		return slices.ContainsFunc(proposal, func(p []byte) bool { return bytes.Equal(p, tx) })
	}
	if !has(vote0) || has(vote1) || !has(accept) {
		t.Fatalf("proposal has vote0 %v, vote1 %v, accept %v; want the first vote and the Accept, not the second vote", has(vote0), has(vote1), has(accept))
	}
	if !has(mempool[3]) {
		t.Fatal("no transfer filled the room the second vote left")
	}
	if st := c.process(1, c.valAddr, c.prepare(1, mempool)); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("its own proposal was %v", st)
	}
	with := append(c.prepare(1, mempool), vote1)
	if st := c.process(1, c.valAddr, with); st != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("the proposal with the second vote was %v, want reject", st)
	}
}

// TestCheckTxTooHeavy: a transaction no block could carry is refused at
// admission with its own code.
func TestCheckTxTooHeavy(t *testing.T) {
	c, _ := weightChain(t, 10)
	entries := make([]wire.Ballot, 1000)
	for i := range entries {
		entries[i] = wire.Ballot{Number: uint64(i + 1), Verdict: wire.VerdictValid}
	}
	v, err := wire.EncodeVote(entries)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := client.SignTx(c.keys[1], chainID, 0, 0, feeParams(c.params), &client.Msg{Kind: &pb.Msg_Vote{Vote: v}})
	if err != nil {
		t.Fatal(err)
	}
	if res := c.checkTx(raw); res.Code != uint32(wire.CodeTooHeavy) || res.Codespace != wire.Codespace {
		t.Fatalf("a vote of %d entries with max_block_weight %d: code %d %s, want too_heavy", len(entries), c.params.MaxBlockWeight, res.Code, res.Log)
	}
}
