package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/txn"
)

// PrepareProposal puts this validator's beacon entry first and fills the
// rest of the block with mempool transactions, each sender's in nonce
// order, the protocol-critical ones ahead of the rest (proposalOrder),
// dropping any beacon lookalike, up to the block's bytes and weight
// (weight.go).
func (a *App) PrepareProposal(_ context.Context, req *abci.PrepareProposalRequest) (*abci.PrepareProposalResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.opts.VRFSecret) == 0 {
		return nil, fmt.Errorf("asked to propose block %d but this node has no VRF key", req.Height)
	}
	beacon, err := protocol.ProposeBeacon(a.tree.Working(), req.Height, req.ProposerAddress, a.opts.VRFSecret)
	if err != nil {
		return nil, err
	}
	a.warnUnregisteredVRF(req.Height, req.ProposerAddress)
	room, err := a.blockRoom(req.Height)
	if err != nil {
		return nil, err
	}
	limit := min(req.MaxTxBytes, MaxProposalTxBytes)
	txs := append([][]byte{beacon}, fill(proposalOrder(req.Txs, a.txs.decode), a.env.Params, limit-protoSize(beacon), room)...)
	return &abci.PrepareProposalResponse{Txs: txs}, nil
}

// warnUnregisteredVRF logs, loudly, a proposal every honest validator
// will reject: the state registers another VRF key for this node's
// consensus address, or none (docs/CHAIN.md, "The beacon across validator
// set changes"). It does not refuse to propose: CometBFT halts a node
// whose PrepareProposal fails, while a rejected proposal costs the chain
// one round.
func (a *App) warnUnregisteredVRF(height int64, proposer []byte) {
	registered, err := protocol.VRFKey(a.tree.Working(), proposer)
	if err != nil {
		return
	}
	mine, err := vrf.PublicKey(a.opts.VRFSecret)
	if err != nil || !bytes.Equal(registered, mine) {
		a.logger.Error("proposing with a VRF key the chain does not register for this validator: the block will be rejected and the round lost",
			"height", height, "validator", fmt.Sprintf("%X", proposer), "registered", fmt.Sprintf("%x", registered), "this node's", fmt.Sprintf("%x", mine),
			"hint", "CreateValidator must name this node's config/vrf_key.json")
	}
}

// ProcessProposal accepts a block only if its first transaction is the
// proposer's valid beacon entry, no other transaction is one, and its
// transactions fit the block's bytes and weight (weight.go).
func (a *App) ProcessProposal(_ context.Context, req *abci.ProcessProposalRequest) (*abci.ProcessProposalResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if size := cmttypes.ComputeProtoSizeForTxs(cmttypes.ToTxs(req.Txs)); size > MaxProposalTxBytes {
		a.logger.Info("rejecting proposal", "height", req.Height, "reason", "transactions over the block limit", "bytes", size, "limit", MaxProposalTxBytes)
		return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
	}
	room, err := a.blockRoom(req.Height)
	if err != nil {
		return nil, err
	}
	if len(req.Txs) > 0 {
		if weight := a.proposalWeight(req.Txs[1:]); weight > room {
			a.logger.Info("rejecting proposal", "height", req.Height, "reason", "transactions over the block's weight", "weight", weight, "room", room)
			return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
		}
	}
	if err := a.checkBeacon(req.Height, req.ProposerAddress, req.Txs); err != nil {
		a.logger.Info("rejecting proposal", "height", req.Height, "reason", err)
		return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
	}
	return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_ACCEPT}, nil
}

// MaxProposalTxBytes caps the transactions of a block (protobuf size, as
// CometBFT counts it): the chain's genesis leaves block.max_bytes at -1 so
// that PrepareProposal sees the whole mempool and orders it, and the
// application bounds the block instead, in bytes and in weight
// (weight.go). ProcessProposal refuses larger or heavier blocks.
const MaxProposalTxBytes = 4 << 20

func (a *App) checkBeacon(height int64, proposer []byte, txs [][]byte) error {
	if len(txs) == 0 {
		return fmt.Errorf("%w: block has no beacon entry", protocol.ErrBadBeacon)
	}
	if _, err := protocol.VerifyBeacon(a.tree.Working(), height, proposer, txs[0]); err != nil {
		return err
	}
	for i, tx := range txs[1:] {
		if protocol.IsBeaconTx(tx) {
			return fmt.Errorf("%w: second beacon entry at index %d", protocol.ErrBadBeacon, i+1)
		}
	}
	return nil
}

// FinalizeBlock applies a decided block: the beacon, the chain's own work
// for the height, then each transaction.
// A decided block always carries a valid beacon (2/3 of validators checked
// it); if it does not, the state cannot advance and the node halts loudly
// rather than diverge.
func (a *App) FinalizeBlock(ctx context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	t0 := time.Now()
	resp, err := a.finalizeBlock(ctx, req)
	if err == nil {
		a.opts.Metrics.observeBlock(time.Since(t0), resp)
	}
	return resp, err
}

func (a *App) finalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(req.Txs) == 0 {
		return nil, fmt.Errorf("block %d: %w: no beacon entry", req.Height, protocol.ErrBadBeacon)
	}
	// The block's writes gather in a cache and reach the tree once, in key
	// order, at the end. This is a consensus rule, not only an
	// optimisation: an IAVL tree's shape, and so the app hash, depends on
	// the order writes reach it, and every replica must use this one
	// (docs/CHAIN.md). It also makes a key written by many transactions
	// (the supply, a busy account) cost one tree update, and leaves the
	// tree untouched by a failed block.
	kv := store.NewCache(a.tree.Working())
	// The room the block had for transactions, from the state before it,
	// as ProcessProposal reckoned it: how full the block was (fill.go).
	room, err := protocol.TxRoom(kv, a.env.Params, req.Height)
	if err != nil {
		return nil, fmt.Errorf("block %d: weight room: %w", req.Height, err)
	}
	entry, err := protocol.VerifyBeacon(kv, req.Height, req.ProposerAddress, req.Txs[0])
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", req.Height, err)
	}
	ev, err := protocol.ApplyBeacon(kv, entry)
	if err != nil {
		return nil, err
	}
	env := a.env
	env.Height, env.Time = req.Height, req.Time.Unix()
	a.env.Time = env.Time // the next CheckTx view's (loadCommitted keeps it)
	// The chain's own work for this height (allocation, deadlines,
	// challenges) runs right after the beacon; its events are the block's
	// own (FinalizeBlockResponse.Events, CometBFT's NewBlockEvents).
	block, blockEvents, err := protocol.BeginBlock(kv, env)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", req.Height, err)
	}
	env.Block = block
	// issue 19: the evidence the block carries, then who earns its fees.
	punished, err := protocol.ApplyEvidence(kv, env, evidenceOf(req.Misbehavior))
	if err != nil {
		return nil, fmt.Errorf("block %d: evidence: %w", req.Height, err)
	}
	blockEvents = append(blockEvents, punished...)
	// Then who signed the last commit: downtime jails (validator_downtime.go).
	jailed, err := protocol.RecordSignatures(kv, env, signaturesOf(req.DecidedLastCommit))
	if err != nil {
		return nil, fmt.Errorf("block %d: last commit: %w", req.Height, err)
	}
	blockEvents = append(blockEvents, jailed...)
	if err := block.SetProposer(kv, env.Params, req.ProposerAddress); err != nil {
		return nil, fmt.Errorf("block %d: %w", req.Height, err)
	}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	results[0] = &abci.ExecTxResult{Events: toABCIEvents([]protocol.Event{ev})}
	var fill protocol.Fill // what the admitted protocol-critical transactions took (protocol/fill.go)
	// Their weight as the block's limit counts it (each ballot once), not
	// each transaction's own: honest Votes name the same ballots many times.
	critical := protocol.NewWeigher(a.env.Params)
	for i, tx := range req.Txs[1:] {
		key := sha256.Sum256(tx) // once: the cache's key, and the mempool count's
		txEnv := env
		txEnv.Decode = keyedDecoder(key, tx, a.txs)
		res, err := protocol.DeliverTx(kv, txEnv, tx)
		if err != nil {
			return nil, fmt.Errorf("block %d tx %d: %w", req.Height, i+1, err)
		}
		results[i+1] = toExecResult(res)
		if res.Admitted && res.Critical {
			fill.Bytes += uint64(len(tx))
			critical.Add(len(tx), messagesOf(tx, a.txs.lookup(key)), math.MaxUint64)
		}
		a.txs.forgetKey(key)
		a.room.release(key)
	}
	// The chain's own work at the end: the ballots the block's votes
	// decided, its voters' pay, and whether it was full (which excuses
	// windows it closed: protocol/fill.go).
	fill.Weight, fill.Room = critical.Weight(), room
	endEvents, err := protocol.EndBlock(kv, env, fill)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", req.Height, err)
	}
	blockEvents = append(blockEvents, endEvents...)
	hash, err := a.flush(kv)
	if err != nil {
		return nil, fmt.Errorf("block %d: failed to write state: %w", req.Height, err)
	}
	return &abci.FinalizeBlockResponse{Events: toABCIEvents(blockEvents), TxResults: results, AppHash: hash,
		ValidatorUpdates: validatorUpdates(block)}, nil
}

// evidenceOf is the misbehaviour CometBFT found proven in the block's
// evidence, in its order; a kind this code does not know is skipped.
func evidenceOf(ms []abci.Misbehavior) []protocol.Evidence {
	var out []protocol.Evidence
	for _, m := range ms {
		kind := ""
		switch m.Type {
		case abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE:
			kind = "duplicate_vote"
		case abci.MISBEHAVIOR_TYPE_LIGHT_CLIENT_ATTACK:
			kind = "light_client_attack"
		default:
			continue
		}
		out = append(out, protocol.Evidence{ConsensusAddress: m.Validator.Address, Height: m.Height, Kind: kind})
	}
	return out
}

// signaturesOf is who of the previous height's set signed its commit, in
// CometBFT's order: a vote CometBFT reports absent is a miss.
func signaturesOf(c abci.CommitInfo) []protocol.Signature {
	out := make([]protocol.Signature, 0, len(c.Votes))
	for _, v := range c.Votes {
		out = append(out, protocol.Signature{ConsensusAddress: v.Validator.Address, Signed: v.BlockIdFlag != cmtproto.BlockIDFlagAbsent})
	}
	return out
}

// validatorUpdates are the power changes the block's evidence and
// transactions made (issue 19). CometBFT applies the updates of block H
// from block H+2: a new validator proposes from H+2 at the earliest, and
// its VRF key, registered at H, is in the state every such proposal is
// checked against; an unbonded or jailed one may still propose H+1, and
// its key stays until it withdraws, validator_unbond_cooldown >= 2 blocks
// later (docs/CHAIN.md, "The beacon across validator set changes").
func validatorUpdates(b *protocol.Block) []abci.ValidatorUpdate {
	us := b.ValidatorUpdates()
	if len(us) == 0 {
		return nil
	}
	out := make([]abci.ValidatorUpdate, len(us))
	for i, u := range us {
		out[i] = abci.ValidatorUpdate{PubKeyType: ed25519.KeyType, PubKeyBytes: u.PubKey, Power: u.Power}
	}
	return out
}

// flush writes the block's buffered writes to the tree, noting the records
// they create for the index, and returns the new working hash. It holds
// treeMu: writing the tree detaches child pointers of nodes that committed
// versions share (IAVL copies on write), so no reader of a committed
// version may run meanwhile.
func (a *App) flush(kv *store.Cache) ([]byte, error) {
	a.treeMu.Lock()
	defer a.treeMu.Unlock()
	a.staged = indexBatch{}
	if err := kv.Write(recorder{a.tree.Working(), &a.staged}); err != nil {
		return nil, err
	}
	return a.tree.WorkingHash(), nil
}

// CheckTx admits a transaction to the mempool if it would execute against
// the committed state plus the transactions already admitted. Only an
// admitted transaction enters the decoded-transaction cache (and names
// pending blob references); one that fails, or fails a recheck, leaves it.
func (a *App) CheckTx(ctx context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	t0 := time.Now()
	resp, err := a.checkTx(ctx, req)
	a.opts.Metrics.observeCheckTx(time.Since(t0))
	return resp, err
}

func (a *App) checkTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	pre := a.preDecode(req.Tx) // verify the signature before taking a lock
	if !a.checkLive.Load() {
		a.mu.Lock() // the view reads the working set: no block may run
		defer a.mu.Unlock()
	}
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	if a.check == nil {
		return &abci.CheckTxResponse{Code: uint32(wire.CodeNotAllowed), Codespace: wire.Codespace, Log: "the chain has not started yet"}, nil
	}
	env := a.checkEnv
	env.Decode = pre.decodeFor(req.Tx, a.txs)
	tx, decodeErr := env.Decode(req.Tx)
	ordinary := decodeErr == nil && !protocol.Critical(tx)
	var owner address.Address // whose share of the room the transaction takes
	if decodeErr == nil {
		owner = a.roomOwner(tx, ordinary)
	}
	if decodeErr == nil && req.Type != abci.CHECK_TX_TYPE_RECHECK {
		if ok, why := a.room.admits(int64(len(req.Tx)), owner, ordinary); !ok {
			return busy(why), nil
		}
	}
	if decodeErr == nil {
		if why, refused := a.strikes.refuses(tx, env.Height); refused {
			return &abci.CheckTxResponse{Code: uint32(wire.CodeNotAllowed), Codespace: wire.Codespace, Log: why}, nil
		}
	}
	a.treeMu.RLock() // a.check reads the committed version
	res, err := protocol.CheckTx(a.check, env, req.Tx)
	a.treeMu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("check tx: %w", err)
	}
	if res.ProofInvalid && decodeErr == nil {
		a.strikes.strike(tx, env.Height)
	}
	switch {
	case res.Code == wire.CodeOK:
		a.txs.admit(pre.key, req.Tx, pre.tx)
		a.pending.note(pre.tx)
		if decodeErr == nil {
			a.room.hold(pre.key, int64(len(req.Tx)), owner, ordinary)
		}
	default:
		a.txs.forgetKey(pre.key)
		a.room.release(pre.key)
	}
	return &abci.CheckTxResponse{Code: uint32(res.Code), Log: res.Log, Codespace: codespace(res.Code), GasWanted: 1}, nil
}

// roomOwner is whose share of the mempool tx takes (room.go): its
// sender's, or, for a critical transaction a prover's hot key sends, the
// prover's (issue 19), so that hot keys, named and replaced, give a prover
// no more room than its own key has. It reads the check state; the caller
// holds checkMu.
func (a *App) roomOwner(tx *txn.Tx, ordinary bool) address.Address {
	if ordinary {
		return tx.Sender
	}
	a.treeMu.RLock() // a.check reads the committed version
	defer a.treeMu.RUnlock()
	if p, ok, err := protocol.HotKeyOf(a.check, tx.Sender); err == nil && ok {
		return p
	}
	return tx.Sender
}

// busy refuses a transaction that does not fit its share of this node's
// mempool (room.go).
func busy(why refusal) *abci.CheckTxResponse {
	log := fmt.Sprintf("mempool_busy: ordinary transactions fill %d.%02d%% of their share of this node's mempool; "+
		"the rest is kept for Accept, Decline, SubmitResult, RevealKey, Vote and SubmitNodeProof; send it again in a few blocks", why.fullBP/100, why.fullBP%100)
	if why.sender {
		log = fmt.Sprintf("mempool_busy: this sender's transactions fill %d.%02d%% of what one sender may hold in this node's mempool; "+
			"send it again once some of them are in a block", why.fullBP/100, why.fullBP%100)
	}
	return &abci.CheckTxResponse{Code: uint32(wire.CodeMempoolBusy), Codespace: wire.Codespace, Log: log}
}

// preDecoded is CheckTx's decoding of its own transaction.
type preDecoded struct {
	key  [32]byte // SHA-256 of the transaction: its key in the cache, hashed once
	done bool
	tx   *txn.Tx
	err  error
}

// preDecode decodes and verifies raw before any lock is taken, if it is
// small enough to be worth the speculation.
func (a *App) preDecode(raw []byte) *preDecoded {
	p := &preDecoded{key: sha256.Sum256(raw)}
	if len(raw) <= warmLimit {
		p.tx, p.err = a.txs.decodeKeyed(p.key, raw)
		p.done = true
	}
	return p
}

// decodeFor is the decoder CheckTx hands the protocol: raw's own decoding
// (done once, before the lock, or on first use under it) and the cache for
// anything else.
func (p *preDecoded) decodeFor(raw []byte, cache *txCache) func([]byte) (*txn.Tx, error) {
	return func(b []byte) (*txn.Tx, error) {
		if !bytes.Equal(b, raw) {
			return cache.decode(b)
		}
		if !p.done {
			p.tx, p.err = cache.decodeKeyed(p.key, b)
			p.done = true
		}
		return p.tx, p.err
	}
}

// keyedDecoder decodes raw, whose SHA-256 is key, through the cache
// without hashing it again; anything else goes through the cache as
// usual. raw is recognised by identity (the protocol hands back the slice
// it was given), not by comparing bytes.
func keyedDecoder(key [32]byte, raw []byte, cache *txCache) func([]byte) (*txn.Tx, error) {
	return func(b []byte) (*txn.Tx, error) {
		if len(b) == len(raw) && len(b) > 0 && &b[0] == &raw[0] {
			return cache.decodeKeyed(key, b)
		}
		return cache.decode(b)
	}
}

// protoSize is what tx adds to a block's size as CometBFT counts it
// against MaxTxBytes: the bytes plus their protobuf framing.
func protoSize(tx []byte) int64 { return cmttypes.ComputeProtoSizeForTxs(cmttypes.Txs{tx}) }

func toExecResult(res protocol.Result) *abci.ExecTxResult {
	return &abci.ExecTxResult{
		Code: uint32(res.Code), Log: res.Log, Codespace: codespace(res.Code),
		Events: toABCIEvents(res.Events),
	}
}

func codespace(c wire.Code) string {
	if c == wire.CodeOK {
		return ""
	}
	return wire.Codespace
}

func toABCIEvents(evs []protocol.Event) []abci.Event {
	out := make([]abci.Event, len(evs))
	for i, e := range evs {
		out[i].Type = e.Type
		for _, at := range e.Attrs {
			out[i].Attributes = append(out[i].Attributes, abci.EventAttribute{Key: at.Key, Value: at.Value, Index: at.Index})
		}
	}
	return out
}
