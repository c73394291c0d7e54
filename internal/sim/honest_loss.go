package sim

// HonestLoss is what the honest side of a run lost, in uprv: the
// accounting of `provernet bench attack`. The honest side is the users'
// Runs (every Run but the farmer's) and the provers of strategy honest.
// A redistribution of work is no loss (an adversary that takes a slot an
// honest prover would have proved takes its pay too); what counts is
// value an honest party held or earned and did not keep:
//
//   - SlashedUprv: stake slashed from honest provers;
//   - UserLostUprv: what users paid (fee less refund) for Runs that ended
//     without a final proof (expired, rejected or failed);
//   - DeniedPayUprv: the pay honest provers' revealed proofs (all correct
//     in the simulation) would have earned had their committees not left
//     them undecided or judged them invalid (ledger.denied).
//
// TotalUprv is their sum.
type HonestLoss struct {
	SlashedUprv   uint64 `json:"slashed_uprv"`
	UserLostUprv  uint64 `json:"user_lost_uprv"`
	DeniedPayUprv uint64 `json:"denied_pay_uprv"`
	TotalUprv     uint64 `json:"total_uprv"`
	// UserRunsNotFinal counts the users' Runs that ended without a final
	// proof (whether or not they cost the user anything).
	UserRunsNotFinal int `json:"user_runs_not_final"`
	// UserRunsFailed counts those of them that ended failed: a fail
	// outcome confirmed by a second prover, the share burned.
	UserRunsFailed int `json:"user_runs_failed"`
	// IncomeUprv is what honest provers earned (fees and voter pay), for
	// comparison with a run without the adversary.
	IncomeUprv uint64 `json:"income_uprv"`
}

func honestLoss(pop *Population, led *ledger) HonestLoss {
	var h HonestLoss
	for i := range pop.Provers {
		if pop.Provers[i].Strategy != Honest {
			continue
		}
		h.SlashedUprv += led.slashed[i]
		h.DeniedPayUprv += led.denied[i]
		h.IncomeUprv += led.reward[i] + led.fees[i]
	}
	for i, out := range led.out {
		if pop.Workloads[i].Farmed || out.state == outFinal {
			continue
		}
		h.UserRunsNotFinal++
		if out.state == outFailed {
			h.UserRunsFailed++
		}
		h.UserLostUprv += out.userPaid
	}
	h.TotalUprv = h.SlashedUprv + h.UserLostUprv + h.DeniedPayUprv
	return h
}
