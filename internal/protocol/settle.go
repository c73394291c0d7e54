package protocol

import (
	"slices"
	"strconv"

	"github.com/provernet/provernet/internal/address"
	"github.com/provernet/provernet/internal/pb"
	"github.com/provernet/provernet/internal/store"
)

// Settlement (PROTOCOL.md 5.6), once every slot is decided:
//
//   - The final proofs, ordered by inclusion (submit_seq), take the speed
//     tiers of the network reward (minted), normalised for k; with k = 1
//     the reward decays linearly from 100% at allocation to
//     single_prover_floor at the deadline. Each also takes its slot's share
//     of the fee, fee / k.
//   - A slot that says fail gets nothing and its fee share is burned; any
//     other slot without a final proof has its share refunded to the user.
//   - With no final proof: every submitted slot says fail -> failed; some
//     result was submitted -> rejected; none -> expired, and the whole fee
//     is refunded.
//   - Whatever is left in escrow (the remainder of fee / k) is burned.
//
// Challenges pay challenge_reward and no fee; a challenge that did not end
// in a final proof removes its prover.

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
	if err := returnShares(kv, w); err != nil {
		return nil, err
	}
	if err := challengeConsequences(kv, env, w); err != nil {
		return nil, err
	}
	for _, s := range w.Slots { // their stake is no longer answerable for these results
		if s.SubmitHeight > 0 {
			if err := updateProver(kv, s.Prover, func(p *pb.Prover) { p.OpenResults = max(p.OpenResults, 1) - 1 }); err != nil {
				return nil, err
			}
		}
	}
	w.Settled, w.SettledHeight = true, env.Height
	return []Event{event("settle", "workload", hexID(w.Id), "state", WorkloadStateName(w.State),
		"minted", strconv.FormatUint(w.Minted, 10), "refunded", strconv.FormatUint(w.Refunded, 10),
		"burned", strconv.FormatUint(w.Burned, 10))}, nil
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
	slices.SortFunc(finals, func(a, b *pb.Slot) int { return cmpU64(a.SubmitSeq, b.SubmitSeq) })
	return finals, submitted, fails
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// payFinals pays each final proof its tier of the network reward and its
// slot's fee share.
func payFinals(kv store.KV, env Env, w *pb.Workload, finals []*pb.Slot) error {
	tiers := TiersFor(env.Params.RewardTiersBP, int(w.K))
	for i, s := range finals {
		s.Tier = uint32(i + 1)
		s.Reward = networkReward(env, w, s, tiers[min(i, len(tiers)-1)])
		s.FeePaid = slotShare(w)
		if err := credit(kv, s.Prover, s.Reward+s.FeePaid); err != nil {
			return err
		}
		if err := mint(kv, s.Reward); err != nil {
			return err
		}
		w.Minted += s.Reward
		w.Escrow -= s.FeePaid
		if err := countFinalProof(kv, s.Prover); err != nil {
			return err
		}
	}
	return nil
}

// networkReward is what slot s earns from the network (minted).
func networkReward(env Env, w *pb.Workload, s *pb.Slot, tierBP uint32) uint64 {
	if w.Challenge {
		return env.Params.ChallengeReward
	}
	base := bpOf(env.Params.WorkloadReward, tierBP)
	if w.K != 1 {
		return base
	}
	return bpOf(base, DecayBP(env.Params.SingleProverFloorBP, w.AllocatedHeight, w.Deadline, s.SubmitHeight))
}

// DecayBP is the single-prover reward share: 10000 at allocation, falling
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
// to sum to 10000 (rounded down; the rounding is burned).
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

func slotShare(w *pb.Workload) uint64 {
	if w.K == 0 {
		return 0
	}
	return w.Fee / uint64(w.K)
}

// returnShares refunds or burns the fee shares of the slots without a
// final proof, then burns what the division left over. An expired
// workload refunds its whole escrow.
func returnShares(kv store.KV, w *pb.Workload) error {
	var refund, burnt uint64
	if w.State == pb.WorkloadState_WORKLOAD_STATE_EXPIRED {
		refund = w.Escrow
	} else {
		for _, s := range w.Slots {
			switch {
			case s.State == pb.SlotState_SLOT_STATE_VALID:
			case s.SubmitHeight > 0 && s.Outcome == pb.Outcome_OUTCOME_FAIL:
				burnt += slotShare(w)
			default:
				refund += slotShare(w)
			}
		}
		burnt += w.Escrow - refund - burnt
	}
	if refund > 0 {
		if err := credit(kv, w.Owner, refund); err != nil {
			return err
		}
	}
	if err := burn(kv, burnt); err != nil {
		return err
	}
	w.Refunded, w.Burned, w.Escrow = refund, burnt, 0
	return nil
}

// challengeConsequences admits a pending prover that passed its admission
// challenges and removes one that failed a challenge.
func challengeConsequences(kv store.KV, env Env, w *pb.Workload) error {
	if !w.Challenge || len(w.Slots) != 1 {
		return nil
	}
	s := w.Slots[0]
	return updateProver(kv, s.Prover, func(p *pb.Prover) {
		switch {
		case s.State != pb.SlotState_SLOT_STATE_VALID:
			removeProver(env, p, "failed_challenge")
		case w.Admission:
			p.AdmissionPassed++
			admitProver(env, p)
		}
	})
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

func countFinalProof(kv store.KV, prover []byte) error {
	return updateProver(kv, prover, func(p *pb.Prover) { p.ProofsFinal++ })
}

// removeByAddress removes the prover at addr from the active set.
func removeByAddress(kv store.KV, env Env, addr []byte, why string) error {
	return updateProver(kv, addr, func(p *pb.Prover) { removeProver(env, p, why) })
}
