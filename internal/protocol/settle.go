package protocol

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Settlement (PROTOCOL.md 5.6, changed: docs/WORKLOADS.md "Who pays
// whom"), once every slot is decided. A Run mints nothing; its fee pays
// for everything:
//
//   - Each slot's share is S = fee / k. Of a slot decided by a committee
//     vote, vote_reward_bp of S goes to the members whose votes decided it,
//     split evenly (the remainder of the split is burned).
//   - Of each final proof's S, fee_burn_bp is burned. What is left of the
//     k shares after the burn and the voters' part is the provers' pool:
//     the final proofs, ordered by inclusion (submit_seq), take its speed
//     tiers, normalised for k; with k = 1 the share decays linearly from
//     100% at allocation to single_prover_floor at the deadline.
//   - The share of a slot its committee left undecided is burned.
//   - Everything else in escrow (slots without a final proof, fail
//     outcomes, the tiers and the decay nobody earned, rounding) is
//     refunded to the user.
//   - With no final proof: every submitted slot says fail -> failed; some
//     result was submitted -> rejected; none -> expired.
//
// So the user never pays more than its fee, and a user whose own provers
// take every slot gets back at most fee * (1 - fee_burn_bp) and pays the
// voters besides: farming loses money. Challenges pay challenge_reward
// (minted) and no fee; a challenge that did not end in a final proof
// counts against its prover (see challengeConsequences).

func settle(kv store.KV, env Env, w *pb.Workload) ([]Event, error) {
	finals, submitted, fails := tally(w)
	switch {
	case len(finals) > 0:
		w.State = pb.WorkloadState_WORKLOAD_STATE_FINAL
	case submitted > 0 && fails == submitted:
		w.State, w.Reason = pb.WorkloadState_WORKLOAD_STATE_FAILED, "cycle_limit"
	case submitted > 0:
		w.State, w.Reason = pb.WorkloadState_WORKLOAD_STATE_REJECTED, "proofs_not_verified"
	default:
		w.State, w.Reason = pb.WorkloadState_WORKLOAD_STATE_EXPIRED, "no_prover_delivered"
	}
	if err := payFinals(kv, env, w, finals); err != nil {
		return nil, err
	}
	if err := payCommittees(kv, env, w); err != nil {
		return nil, err
	}
	if err := refundRest(kv, env, w); err != nil {
		return nil, err
	}
	if err := challengeConsequences(kv, env, w); err != nil {
		return nil, err
	}
	for _, s := range w.Slots { // their stake is no longer answerable for these results
		if s.SubmitHeight > 0 && holdsResult(s.State) { // (a fail claim's re-opened slot holds none)
			if err := updateProver(kv, s.Prover, func(p *pb.Prover) { p.OpenResults = max(p.OpenResults, 1) - 1 }); err != nil {
				return nil, err
			}
		}
	}
	w.Settled, w.SettledHeight = true, env.Height
	return []Event{event("settle", "workload", hexID(w.Id), "state", WorkloadStateName(w.State),
		"minted", strconv.FormatUint(w.Minted, 10), "refunded", strconv.FormatUint(w.Refunded, 10),
		"burned", strconv.FormatUint(w.Burned, 10), "voters_paid", strconv.FormatUint(w.VotersPaid, 10))}, nil
}

// tally returns the valid slots in inclusion order, and how many slots
// received a result and how many of those said fail.
func tally(w *pb.Workload) (finals []*pb.Slot, submitted, fails int) {
	for _, s := range w.Slots {
		if s.State == pb.SlotState_SLOT_STATE_VALID {
			finals = append(finals, s)
		}
		if s.SubmitHeight > 0 {
			submitted++
			if s.Outcome == pb.Outcome_OUTCOME_FAIL {
				fails++
			}
		}
	}
	slices.SortFunc(finals, func(a, b *pb.Slot) int { return cmp.Compare(a.SubmitSeq, b.SubmitSeq) })
	return finals, submitted, fails
}

// Payout is how one workload's fee divides (docs/WORKLOADS.md): the
// pure arithmetic that settlement and the simulator share.
type Payout struct {
	Share     uint64   // fee / k
	Burn      uint64   // burned from each final proof's share
	VotePool  uint64   // each committee-decided slot's voters' part
	Pool      uint64   // the provers' pool: k * (share - burn - vote pool)
	TiersBP   []uint32 // normalised speed tiers of the pool
	FloorBP   uint32   // single_prover_floor_bp
	K         uint32
	Challenge bool
	// Fixed: a market slot (issue 17): its prover is paid the pool whole,
	// no speed tiers and no decay: it is paid the ask it was matched on.
	Fixed bool
}

// MarketPayout is how a market slot of price divides (docs/MARKET.md):
// fee_burn_bp burned and vote_reward_bp to its voters as for any slot,
// the rest to its prover.
func MarketPayout(p Params, price uint64) Payout {
	out := Payout{K: 1, Fixed: true, Share: price, FloorBP: 10000, TiersBP: []uint32{10000}}
	out.Burn = bpOf(price, p.FeeBurnBP)
	out.VotePool = bpOf(price, p.VoteRewardBP)
	out.Pool = price - out.Burn - out.VotePool
	return out
}

// slotPayout is the payout that applies to slot s of w: the workload's
// (PayoutFor), or for a market Run the slot's own (MarketPayout).
func slotPayout(p Params, w *pb.Workload, s *pb.Slot) Payout {
	if w.Market != nil {
		return MarketPayout(p, s.Price)
	}
	return PayoutFor(p, w.Fee, w.K, w.Challenge)
}

// PayoutFor is the payout of a workload with fee and k under p.
func PayoutFor(p Params, fee uint64, k uint32, challenge bool) Payout {
	out := Payout{K: k, Challenge: challenge, FloorBP: p.SingleProverFloorBP, TiersBP: TiersFor(p.RewardTiersBP, int(k))}
	if k == 0 {
		return out
	}
	out.Share = fee / uint64(k)
	out.Burn = bpOf(out.Share, p.FeeBurnBP)
	out.VotePool = bpOf(out.Share, p.VoteRewardBP)
	out.Pool = uint64(k) * (out.Share - out.Burn - out.VotePool)
	return out
}

// ProverPay is what the i-th final proof (0-based, by inclusion) earns
// from the fee; with k = 1 it decays from allocation to the deadline.
func (po Payout) ProverPay(i int, allocated, deadline, submitted int64) uint64 {
	if po.Challenge || len(po.TiersBP) == 0 {
		return 0
	}
	if po.Fixed {
		return po.Pool
	}
	pay := bpOf(po.Pool, po.TiersBP[min(i, len(po.TiersBP)-1)])
	if po.K == 1 {
		pay = bpOf(pay, DecayBP(po.FloorBP, allocated, deadline, submitted))
	}
	return pay
}

// VoterPay is what each of n deciding voters earns; the split's
// remainder is burned.
func (po Payout) VoterPay(n int) (each, burned uint64) {
	if n == 0 || po.Challenge {
		return 0, 0
	}
	each = po.VotePool / uint64(n)
	return each, po.VotePool - each*uint64(n)
}

// payFinals pays each final proof its tier of the provers' pool and burns
// fee_burn_bp of its share; a challenge pays challenge_reward, minted.
func payFinals(kv store.KV, env Env, w *pb.Workload, finals []*pb.Slot) error {
	for i, s := range finals {
		po := slotPayout(env.Params, w, s)
		s.Tier = uint32(i + 1)
		if w.Challenge {
			// Its share of challenge_reward, fixed when the piece was issued:
			// a challenge mints the same however many pieces it has, and
			// re-registering with other hardware meanwhile changes nothing.
			s.Reward = w.PieceReward
		} else {
			s.FeePaid = po.ProverPay(i, w.AllocatedHeight, w.Deadline, s.SubmitHeight)
			s.Burned = po.Burn
		}
		if err := credit(kv, s.Prover, s.Reward+s.FeePaid); err != nil {
			return err
		}
		if err := mint(kv, s.Reward); err != nil {
			return err
		}
		if err := burn(kv, s.Burned); err != nil {
			return err
		}
		w.Minted += s.Reward
		w.Burned += s.Burned
		w.Escrow -= s.FeePaid + s.Burned
		if err := countFinalProof(kv, env, s.Prover); err != nil {
			return err
		}
	}
	return recordClearing(kv, env, w, finals)
}

// payCommittees pays, for every slot a committee decided, the members whose
// vote decided it (voted with the outcome before it was reached).
func payCommittees(kv store.KV, env Env, w *pb.Workload) error {
	if w.Challenge {
		return nil // a challenge has no fee to pay voters from
	}
	for _, s := range w.Slots {
		po := slotPayout(env.Params, w, s)
		winners := Deciders(s)
		each, rest := po.VoterPay(len(winners))
		if len(winners) == 0 {
			continue
		}
		for _, m := range winners {
			if err := payVoter(kv, env, m, each); err != nil {
				return err
			}
		}
		if err := burn(kv, rest); err != nil {
			return err
		}
		s.VotersPaid = each * uint64(len(winners))
		s.Burned += rest
		w.VotersPaid += s.VotersPaid
		w.Burned += rest
		w.Escrow -= po.VotePool
	}
	return nil
}

// Deciders are the committee members of s that voted with its decision:
// valid for a valid slot, invalid for an invalid one, copied for a copied
// one (and for an invalid one that a copied verdict decided); none for a
// slot no committee decided.
func Deciders(s *pb.Slot) [][]byte {
	var want byte
	switch {
	case s.State == pb.SlotState_SLOT_STATE_VALID && len(s.Committee) > 0:
		want = voteValid
	case s.State == pb.SlotState_SLOT_STATE_INVALID && s.InvalidVotes > 0 && Decides(s.InvalidVotes, len(s.Committee)):
		want = voteInvalid
	case s.State == pb.SlotState_SLOT_STATE_INVALID && Decides(s.CopiedVotes, len(s.Committee)):
		want = voteCopied // a copied verdict the chain could not confirm stands as invalid (confirmCopied)
	case s.State == pb.SlotState_SLOT_STATE_COPIED && s.CopiedVotes > 0:
		want = voteCopied
	default:
		return nil
	}
	var out [][]byte
	for i, v := range s.Votes {
		if v == want && i < len(s.Committee) {
			out = append(out, s.Committee[i])
		}
	}
	return out
}

// DecayBP is the single-prover share: 10000 at allocation, falling
// linearly to floor at the deadline, floor after it.
func DecayBP(floor uint32, from, to, at int64) uint32 {
	floor = min(floor, 10000)
	if at <= from {
		return 10000
	}
	if at >= to || to <= from {
		return floor
	}
	drop := uint64(10000-floor) * uint64(at-from) / uint64(to-from)
	return 10000 - uint32(drop)
}

// TiersFor normalises the reward tiers (basis points, fastest first) for
// k provers: the first k tiers, the last repeated if k is larger, scaled
// to sum to 10000 (rounded down; the rounding is refunded).
func TiersFor(tiers []uint32, k int) []uint32 {
	if k <= 0 || len(tiers) == 0 {
		return []uint32{0}
	}
	out := make([]uint32, k)
	var sum uint64
	for i := range out {
		out[i] = tiers[min(i, len(tiers)-1)]
		sum += uint64(out[i])
	}
	if sum == 0 {
		return out
	}
	for i := range out {
		out[i] = uint32(uint64(out[i]) * 10000 / sum)
	}
	return out
}

// refundRest returns what is left in escrow to the user (the shares of
// slots without a final proof, undecided ones included, the tiers and the
// decay nobody earned, the rounding), except the share of a fail two
// provers confirmed: that is burned, so the user pays for a program that
// does not finish and nobody profits from saying fail. A challenge has no
// owner: what is left is burned.
func refundRest(kv store.KV, env Env, w *pb.Workload) error {
	var forfeit uint64 // the shares of confirmed fails
	for _, s := range w.Slots {
		if s.State == pb.SlotState_SLOT_STATE_FAILED && len(s.FailClaim) > 0 {
			forfeit += slotPayout(env.Params, w, s).Share
		}
	}
	burnt := min(w.Escrow, forfeit)
	refund := w.Escrow - burnt
	if len(w.Owner) == 0 {
		burnt, refund = w.Escrow, 0
	}
	if refund > 0 {
		if err := credit(kv, w.Owner, refund); err != nil {
			return err
		}
	}
	if err := burn(kv, burnt); err != nil {
		return err
	}
	w.Burned += burnt
	w.Refunded, w.Escrow = refund, 0
	return nil
}

// challengeConsequences admits a pending prover that passed its admission
// challenges. A challenge that ended without a final proof through the
// prover's own silence (timed out, never revealed) is a miss: an active
// prover counts it against its allowance, a pending one may stake again to
// be challenged afresh (a challenge answered fail counts as missed: the
// benchmark program always fits its budget). An invalid or copied
// challenge proof already
// removed its prover; an undecided vote is nobody's fault.
func challengeConsequences(kv store.KV, env Env, w *pb.Workload) error {
	if !w.Challenge || len(w.Slots) != 1 {
		return nil
	}
	s := w.Slots[0]
	switch s.State {
	case pb.SlotState_SLOT_STATE_VALID:
		if w.Admission {
			return updateProver(kv, s.Prover, func(p *pb.Prover) { passAdmission(env, p, w) })
		}
		return nil
	case pb.SlotState_SLOT_STATE_EMPTY, pb.SlotState_SLOT_STATE_UNREVEALED, pb.SlotState_SLOT_STATE_FAILED:
		if w.Admission { // no penalty: the next Stake issues a new round
			return updateProver(kv, s.Prover, func(p *pb.Prover) { p.AdmissionHeight = 0 })
		}
		if s.Excused && s.State != pb.SlotState_SLOT_STATE_FAILED {
			return nil // its window closed while every block was full (fill.go)
		}
		return countMiss(kv, env, s.Prover, "missed_challenge")
	}
	return nil
}

// credit adds amount to an account.
func credit(kv store.KV, addr []byte, amount uint64) error {
	if amount == 0 {
		return nil
	}
	a, err := address.FromBytes(addr)
	if err != nil {
		return err
	}
	acct, err := GetAccount(kv, a)
	if err != nil {
		return err
	}
	return addBalance(kv, a, acct, +1, amount)
}

// mint records amount as newly created.
func mint(kv store.KV, amount uint64) error {
	if amount == 0 {
		return nil
	}
	s, err := GetSupply(kv)
	if err != nil {
		return err
	}
	s.Minted += amount
	return setSupply(kv, s)
}

func countFinalProof(kv store.KV, env Env, prover []byte) error {
	return updateProver(kv, prover, func(p *pb.Prover) {
		p.ProofsFinal++
		bumpRep(env.Params, env.Height, p, func(b *pb.RepBucket) { b.Allocated++; b.Final++ })
	})
}
