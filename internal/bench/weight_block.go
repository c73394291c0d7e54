package bench

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/pprof"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// wtFill builds one measured block of the weight benchmark: transactions
// are added while their weight, estimated from an upper bound of their
// signed size, fits the room the chain gives the block, and their bytes
// the proposal cap. A transaction that does not fit is not created, so no
// sender's nonce is spent on it.
type wtFill struct {
	h      *wlHarness
	room   uint64            // weight the block's transactions may take
	weight *protocol.Weigher // estimated so far
	bytes  int64             // proposal bytes left
	txs    []*wlTx
	full   bool // a transaction did not fit
}

// newFill starts the next block of h: its room is what PrepareProposal
// will allow (max_block_weight less the work due at the height).
func newFill(h *wlHarness) (*wtFill, error) {
	room, err := protocol.TxRoom(h.state(), h.params, h.height+1)
	if err != nil {
		return nil, err
	}
	return &wtFill{h: h, room: room, weight: protocol.NewWeigher(h.params), bytes: chain.MaxProposalTxBytes - 256}, nil // 256: the beacon entry
}

// add adds a transaction of msgs from a if it fits; it reports whether it
// did.
func (f *wtFill) add(kind string, a *wlAccount, msgs ...*pb.Msg) bool {
	body := &pb.TxBody{ChainId: wlChainID, Nonce: a.nonce, Messages: msgs}
	size := proto.Size(body) + 34 + 66 + 6 + 10 + 8 // as sign estimates it, plus CometBFT's framing
	if int64(size) > f.bytes || !f.weight.Add(size, msgs, f.room) {
		f.full = true
		return false
	}
	f.bytes -= int64(size)
	a.nonce++
	f.txs = append(f.txs, &wlTx{kind: kind, from: a, body: body})
	return true
}

// wtMeasured is one measured block.
type wtMeasured struct {
	height      int64
	txs, bytes  int
	weight, due uint64
	timers      uint64 // workloads whose timers fell due
	checkMs     float64
	finalizeMs  float64
	finalizeCPU float64
	finalizeGC  float64
}

// measure signs f's transactions, admits each through CheckTx (as a node's
// mempool would), has the application propose them and accept its own
// proposal, then times FinalizeBlock and commits. It fails unless the
// proposal holds every transaction and every one succeeds.
func (f *wtFill) measure(ctx context.Context) (*wtMeasured, error) {
	kind := "empty"
	if len(f.txs) > 0 {
		kind = f.txs[0].kind
	}
	h := f.h
	height := h.height + 1
	if err := h.sign(f.txs); err != nil {
		return nil, err
	}
	raws := make([][]byte, len(f.txs))
	m := &wtMeasured{height: height, txs: len(f.txs)}
	weigher := protocol.NewWeigher(h.params)
	for i, t := range f.txs {
		raws[i] = t.raw
		m.bytes += len(t.raw)
		weigher.Add(len(t.raw), t.body.Messages, math.MaxUint64)
	}
	runtime.GC()
	check0 := time.Now()
	for i, t := range f.txs {
		resp, err := h.app.CheckTx(ctx, &abci.CheckTxRequest{Tx: t.raw, Type: abci.CHECK_TX_TYPE_CHECK})
		if err == nil && resp.Code != 0 {
			err = fmt.Errorf("code %d: %s", resp.Code, resp.Log)
		}
		if err != nil {
			return nil, fmt.Errorf("height %d: CheckTx of %s tx %d: %w", height, t.kind, i, err)
		}
	}
	m.checkMs = wlMs(time.Since(check0))
	m.weight = weigher.Weight()
	due, err := protocol.DueWeight(h.state(), h.params, height)
	if err != nil {
		return nil, err
	}
	m.due = due
	if _, m.timers, err = protocol.DueWork(h.state(), height); err != nil {
		return nil, err
	}
	t := time.Unix(1_700_000_000+height, 0)
	prep, err := h.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{MaxTxBytes: 100 << 20, Txs: raws, Height: height, Time: t, ProposerAddress: h.valAddr})
	if err != nil {
		return nil, err
	}
	if len(prep.Txs) != len(raws)+1 {
		return nil, fmt.Errorf("height %d: PrepareProposal took %d of the block's %d transactions (weight %d, room %d)", height, len(prep.Txs)-1, len(raws), m.weight, f.room)
	}
	proc, err := h.app.ProcessProposal(ctx, &abci.ProcessProposalRequest{Txs: prep.Txs, Height: height, Time: t, ProposerAddress: h.valAddr})
	if err != nil || proc.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		return nil, fmt.Errorf("height %d: ProcessProposal refused the application's own proposal: %v %v", height, proc, err)
	}
	for _, t := range f.txs {
		t.body = nil // the harness's garbage is not the block's to collect
	}
	runtime.GC()
	cpu0, gc0 := wlProcessCPU(), wlGCCPU()
	t0 := time.Now()
	var resp *abci.FinalizeBlockResponse
	pprof.Do(ctx, pprof.Labels("bench", kind), func(ctx context.Context) {
		resp, err = h.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: prep.Txs, Height: height, Time: t,
			ProposerAddress: h.valAddr, Hash: bytes.Repeat([]byte{byte(height)}, 32)})
	})
	m.finalizeMs = wlMs(time.Since(t0))
	m.finalizeCPU, m.finalizeGC = wlMs(wlProcessCPU()-cpu0), wlMs(wlGCCPU()-gc0)
	if err != nil {
		return nil, fmt.Errorf("height %d: FinalizeBlock: %w", height, err)
	}
	for i, r := range resp.TxResults[1:] {
		if r.Code != 0 {
			return nil, fmt.Errorf("height %d: tx %d failed: code %d: %s", height, i+1, r.Code, r.Log)
		}
	}
	if _, err := h.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		return nil, fmt.Errorf("height %d: Commit: %w", height, err)
	}
	h.height = height
	return m, nil
}

// state is the state after the last block: the committed one, or before
// the first commit the working set.
func (h *wlHarness) state() store.Reader {
	if snap := h.app.Committed(); snap != nil {
		return snap
	}
	return h.tree.Working()
}

// plain runs one unmeasured setup block of txs (no weight limit: the
// harness calls FinalizeBlock itself).
func (h *wlHarness) plain(ctx context.Context, txs []*wlTx) error {
	if err := h.sign(txs); err != nil {
		return err
	}
	_, err := h.execute(ctx, txs, wlPlain)
	return err
}

// newTx is a setup transaction of msgs from a with its next nonce.
func newTx(kind string, a *wlAccount, msgs ...*pb.Msg) *wlTx {
	body := &pb.TxBody{ChainId: wlChainID, Nonce: a.nonce, Messages: msgs}
	a.nonce++
	return &wlTx{kind: kind, from: a, body: body}
}
