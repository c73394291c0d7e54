package protocol

import (
	"encoding/binary"
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// Full blocks excuse the windows they closed.
//
// Protocol-critical messages (Accept, Decline, SubmitResult, RevealKey,
// Vote) go first in every proposal (internal/chain/order.go), so an honest
// one misses its window only when the blocks of the window were full. A
// window whose every block was full therefore excuses what it would
// punish: a silent allocated prover is not counted a miss, a slot that
// timed out after its last accept_window blocks were full is not counted a
// miss, and a slot not revealed while its reveal window was full is not
// slashed. The slot itself moves on as it would (the user's work does not
// wait), and is marked excused.
//
// A block is full when its protocol-critical transactions that paid their
// fee take at least full_block_bytes, or weigh full_block_weight_bp of the
// block's weight room (max_block_weight less the work due at its height),
// facts every validator reads from the block itself and the state before
// it (the chain passes the counts: internal/chain FinalizeBlock, Fill).
// Only those count: ordinary transactions go after every critical one in
// a proposal, so they never crowd one out, and a transaction refused at
// admission costs nothing, so it must not excuse anything. To excuse its
// own window an attacker must fill every block of it with critical
// messages of its own (an active prover's Votes): at the default fees
// about 3 PRV a block by bytes, 30 PRV for a reveal window, against the
// 10 PRV slash_no_reveal takes from the minimum stake; by weight about
// 0.19 PRV a block (docs/CHAIN.md, "Block weight", weighs that price).
//
// The state keeps one record under "fill": the height at which the current
// run of full blocks began (0: the last block was not full) and the last
// recorded height.

// Fill is what a block's protocol-critical transactions that paid their
// fee took (the chain counts them: internal/chain), and the weight room
// the block had for transactions (max_block_weight less the work due at
// its height, TxRoom).
type Fill struct {
	Bytes  uint64
	Weight uint64
	Room   uint64
}

// EmptyFill is a block whose critical transactions took nothing, with all
// of max_block_weight as its room: what the simulator and tests pass for a
// block that was not full. (The zero Fill has no room: full.)
func EmptyFill(p Params) Fill { return Fill{Room: p.MaxBlockWeight} }

// Full reports whether a block that took f was full: by bytes
// (full_block_bytes), by weight (full_block_weight_bp of its room), or
// because the work due at its height left its transactions less room
// than the heaviest critical transaction takes (a result of max_tx_bytes):
// a user can make many Runs' timers fall due at one height, and a block
// that could not carry an honest prover's largest result must excuse what
// closes in it. (A flat 1% left a band in which a large result did not
// fit and nothing was excused: found by review.)
func (f Fill) Full(p Params) bool {
	byBytes := p.FullBlockBytes > 0 && f.Bytes >= p.FullBlockBytes
	byWeight := p.FullBlockWeightBP > 0 && f.Weight*10000 >= f.Room*uint64(p.FullBlockWeightBP)
	byDue := p.FullBlockWeightBP > 0 && f.Room < p.largestCriticalWeight()
	return byBytes || byWeight || byDue
}

// recordFill notes whether block env.Height, whose transactions took f,
// was full (EndBlock).
func recordFill(kv store.KV, env Env, f Fill) error {
	start, last, err := FullRun(kv)
	if err != nil {
		return err
	}
	switch {
	case !f.Full(env.Params):
		start = 0
	case start == 0 || last != env.Height-1:
		start = env.Height
	}
	v := binary.BigEndian.AppendUint64(nil, uint64(start))
	return kv.Set(keyFill, binary.BigEndian.AppendUint64(v, uint64(env.Height)))
}

// FullRun reads the current run of full blocks: its first height (0 for
// none) and the last recorded height.
func FullRun(r store.Reader) (start, last int64, err error) {
	v, err := r.Get(keyFill)
	if err != nil {
		return 0, 0, fmt.Errorf("failed to read the block fill: %w", err)
	}
	if len(v) != 16 {
		return 0, 0, nil
	}
	return int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:])), nil
}

// excused reports whether every block from from to to (inclusive) was
// full.
func excused(r store.Reader, from, to int64) (bool, error) {
	start, last, err := FullRun(r)
	if err != nil || start == 0 {
		return false, err
	}
	return start <= max(from, 1) && last >= to, nil
}

// largestCriticalWeight is the weight of the heaviest protocol-critical
// transaction: a SubmitResult of max_tx_bytes.
func (p Params) largestCriticalWeight() uint64 {
	return p.TxWeight(int(min(p.MaxTxBytes, 1<<40)), []*pb.Msg{{Kind: &pb.Msg_SubmitResult{}}})
}
