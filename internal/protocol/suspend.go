package protocol

import (
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// Suspension (docs/WORKLOADS.md, "Misses, suspension and removal"). A
// prover that misses work (silence through an accept window, a time-out, a
// missed challenge) or declines spends its allowance of
// max_declines_per_epoch; past it, the prover is suspended for
// suspend_blocks rather than removed: it takes no new work and does not
// vote, still answers for what it holds, and returns to active by itself
// when the suspension ends. A prover whose stake a slash takes below
// min_prover_stake is suspended until it tops up. Removal is kept for
// misbehaviour that proves intent (a copied result, an invalid challenge
// proof), and even then the address may register again once it exited.

// suspend takes an active prover out of the active set until until (0:
// until its stake is topped up to min_prover_stake) and schedules its
// return.
func suspend(kv store.KV, env Env, p *pb.Prover, why string, until int64) error {
	if p.State != pb.ProverState_PROVER_STATE_ACTIVE {
		return nil
	}
	p.State, p.SuspendedUntil, p.RemovedReason = pb.ProverState_PROVER_STATE_SUSPENDED, until, why
	p.Suspensions++
	if until == 0 {
		return nil
	}
	return kv.Set(reinstateKey(until, p.Address), []byte{1})
}

// reinstate ends the suspensions that fall due at env.Height: a prover
// staked at least min_prover_stake is active again; one below it waits
// for a top-up.
func reinstate(kv store.KV, env Env) ([]Event, error) {
	addrs, err := dueAt(kv, prefixReinstate, env.Height)
	if err != nil {
		return nil, err
	}
	var evs []Event
	for _, a := range addrs {
		if err := kv.Delete(reinstateKey(env.Height, a)); err != nil {
			return nil, err
		}
		var state pb.ProverState
		err := updateProver(kv, a, func(p *pb.Prover) {
			if p.State != pb.ProverState_PROVER_STATE_SUSPENDED || p.SuspendedUntil != env.Height {
				return // left, or suspended again for longer
			}
			p.SuspendedUntil = 0
			if p.Stake >= env.Params.MinProverStake {
				p.State, p.RemovedReason = pb.ProverState_PROVER_STATE_ACTIVE, ""
			}
			state = p.State
		})
		if err != nil {
			return nil, err
		}
		if state != pb.ProverState_PROVER_STATE_UNSPECIFIED {
			evs = append(evs, event("reinstate", "prover", addrString(a), "state", stateName(state)))
		}
	}
	return evs, nil
}

// toppedUp makes a prover suspended for its stake active again once it
// holds min_prover_stake.
func toppedUp(env Env, p *pb.Prover) {
	if p.State == pb.ProverState_PROVER_STATE_SUSPENDED && p.SuspendedUntil == 0 && p.Stake >= env.Params.MinProverStake {
		p.State, p.RemovedReason = pb.ProverState_PROVER_STATE_ACTIVE, ""
	}
}

// countMiss counts a decline, a silence, a time-out or a missed challenge
// against the prover's allowance for the epoch; past it the prover is
// suspended for suspend_blocks.
func countMiss(kv store.KV, env Env, prover []byte, why string) error {
	return countMisses(kv, env, prover, why, 1)
}

// countMisses counts n misses at once (a market slot's miss counts
// marketMissWeight).
func countMisses(kv store.KV, env Env, prover []byte, why string, n uint32) error {
	p, err := proverAt(kv, prover)
	if err != nil {
		return err
	}
	if epoch := env.Height / env.Params.EpochLength; p.DeclineEpoch != epoch {
		p.DeclineEpoch, p.Declines = epoch, 0
	}
	p.Declines += n
	bumpRep(env.Params, env.Height, p, func(b *pb.RepBucket) { b.Allocated += n; b.Declined += n })
	if p.Declines > env.Params.MaxDeclinesPerEpoch {
		if err := suspend(kv, env, p, why, env.Height+env.Params.SuspendBlocks); err != nil {
			return err
		}
	}
	return setProver(kv, p)
}

// stakeFloor suspends an active prover whose stake fell below
// min_prover_stake: its collateral must keep deterring.
func stakeFloor(kv store.KV, env Env, p *pb.Prover) error {
	if p.State == pb.ProverState_PROVER_STATE_ACTIVE && p.Stake < env.Params.MinProverStake {
		return suspend(kv, env, p, "stake_below_minimum", 0)
	}
	return nil
}
