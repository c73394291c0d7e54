package sim

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// Report is what a run measured. Everything but WallS and EventsPerS is a
// function of the Options: the same seed gives the same report.
type Report struct {
	Seed      uint64 `json:"seed"`
	Mechanism string `json:"mechanism"`
	Fidelity  string `json:"fidelity"`
	Command   string `json:"command"` // replays this run

	Provers         int   `json:"provers"`
	Operators       int   `json:"operators"`
	Workloads       int   `json:"workloads"`
	Blocks          int   `json:"blocks"`
	BlocksSimulated int64 `json:"blocks_simulated"` // until the last workload settled

	// Liveness is the share of workloads whose first proof was final by
	// the deadline; Delivered the share with a result the user could open
	// by the deadline that later became final; Final the share final at
	// all; Expired the share no prover delivered.
	Liveness  float64 `json:"liveness"`
	Delivered float64 `json:"delivered"`
	Final     float64 `json:"final"`
	Expired   float64 `json:"expired"`
	// Latencies in blocks from the Run's inclusion, over final workloads:
	// to the first final proof, and to the first result.
	LatencyP50     int64 `json:"latency_p50"`
	LatencyP99     int64 `json:"latency_p99"`
	FirstResultP50 int64 `json:"first_result_p50"`
	FirstResultP99 int64 `json:"first_result_p99"`

	// Income is network reward plus fees (market: prices paid), per
	// operator (an operator runs one or more provers).
	RewardGini             float64 `json:"reward_gini"`
	TopOperator            string  `json:"top_operator"`
	TopOperatorRewardShare float64 `json:"top_operator_reward_share"`
	TopOperatorStakeShare  float64 `json:"top_operator_stake_share"`
	// Nakamoto is the fewest operators earning more than half of all
	// income.
	Nakamoto int `json:"nakamoto_coefficient"`

	ProofsComputed  uint64  `json:"proofs_computed"`
	ProofsPaid      uint64  `json:"proofs_paid"`
	WastedProofs    uint64  `json:"wasted_proofs"`     // computed but unpaid
	WastedWorkShare float64 `json:"wasted_work_share"` // of all cycles proven, whole or partial
	ProofsPerFinal  float64 `json:"proofs_per_final"`
	// Costs per final workload, in uprv: what users paid (fees less
	// refunds) and what the network minted.
	UserCostPerProof float64 `json:"user_cost_per_proof_uprv"`
	MintedPerProof   float64 `json:"minted_per_proof_uprv"`
	// PricePerMcycle is what users paid per mega-cycle of a paid proof:
	// each paid proof's share of its fee (its market price, its clearing
	// price, or its fee under race and votes), over their mega-cycles.
	PricePerMcycle float64 `json:"price_per_mcycle_uprv"`
	// Unmatched counts market Runs that matched no ask and failed at once
	// (no_matching_ask).
	Unmatched int `json:"unmatched_runs"`
	// PoolDrawnNone counts pool Runs no member was drawn for: every slot
	// opened at once to the open market at max_price (MARKET.md, "The
	// pool").
	PoolDrawnNone int `json:"pool_runs_drawn_none"`

	Minted   uint64 `json:"minted_uprv"`
	Burned   uint64 `json:"burned_uprv"`
	Refunded uint64 `json:"refunded_uprv"`
	Slashed  uint64 `json:"slashed_uprv"`
	// SupplyOK says balances + escrow + stake + burned = genesis + minted
	// held at the end, summed account by account.
	SupplyOK bool `json:"supply_ok"`

	// RemovedHonestShare is the share of honest provers that were removed
	// or suspended at any time during the run.
	RemovedHonestShare float64 `json:"removed_honest_share"`
	// FarmedRuns counts the farmer's own Runs (left out of liveness,
	// latency and the per-proof costs, which describe users' Runs).
	FarmedRuns int `json:"farmed_runs"`

	// Honest is what the honest side lost (honest_loss.go).
	Honest HonestLoss `json:"honest"`

	Strategies   []StrategyRow `json:"strategies"`
	TopOperators []OperatorRow `json:"top_operators"` // the five earning most

	Events     uint64  `json:"events"`
	WallS      float64 `json:"wall_s"`
	EventsPerS float64 `json:"events_per_s"`

	lorenz    []float64 // cumulative income share of the poorest operators
	latencies []int64   // to final, per final workload
}

// OperatorRow is one operator's share of stake, income and paid proofs.
type OperatorRow struct {
	Operator    string  `json:"operator"`
	Provers     int     `json:"provers"`
	StakeShare  float64 `json:"stake_share"`
	RewardShare float64 `json:"reward_share"`
	ProofShare  float64 `json:"proof_share"`
}

// StrategyRow sums up the provers of one strategy.
type StrategyRow struct {
	Strategy    string  `json:"strategy"`
	Provers     int     `json:"provers"`
	StakeShare  float64 `json:"stake_share"`
	RewardShare float64 `json:"reward_share"`
	ProofShare  float64 `json:"proof_share"` // of paid proofs
	Removed     int     `json:"removed"`
	Suspended   int     `json:"suspended"` // ever suspended
	Slashed     uint64  `json:"slashed_uprv"`
	// Income is fees and rewards earned (voters' pay included); costs
	// are slashes, transaction fees (an estimate per message, TxFee, and
	// per batched vote entry, VoteFee) and,
	// for the farmer, the fees its own Runs paid. Net is income less
	// costs; ROI is net over what it put at stake (its provers' stake
	// plus, for the farmer, its Runs' fees).
	IncomeUprv uint64  `json:"income_uprv"`
	CostsUprv  uint64  `json:"costs_uprv"`
	NetUprv    int64   `json:"net_uprv"`
	ROI        float64 `json:"roi"`
}

// TxFee estimates the transaction fee of one prover message: the minimum
// fee of a 300-byte transaction carrying one Accept (a sealed result is
// bigger and heavier, so this understates what submitting costs).
func TxFee(o Options) uint64 {
	return o.Params.MinFee(300, []*pb.Msg{{Kind: &pb.Msg_Accept{Accept: &pb.Accept{}}}})
}

// VoteFee estimates what one vote entry adds to a Vote message that
// batches a member's verdicts: 64 bytes (a generous bound on an entry
// with framing) and the entry's weight.
func VoteFee(o Options) uint64 {
	return o.Params.FeePerByte*64 + o.Params.FeePerWeight*wire.WeightVoteEntry
}

func buildReport(pop *Population, led *ledger) *Report {
	o := pop.Opts
	r := &Report{Seed: o.Seed, Mechanism: o.Mechanism, Fidelity: o.Fidelity, Command: o.Command(),
		Provers: len(pop.Provers), Operators: len(pop.Operators), Workloads: len(pop.Workloads), Blocks: o.Blocks,
		BlocksSimulated: led.height, Events: led.events, ProofsComputed: led.computed, ProofsPaid: led.paid,
		Minted: led.minted, Burned: led.burned, Refunded: led.refunded, SupplyOK: led.supplyErr == nil}
	var finals, live, delivered, expired int
	var firsts []int64
	var userPaid, minted uint64
	var farmedPaid uint64
	users := 0
	for i, out := range led.out {
		w := &pop.Workloads[i]
		if w.Farmed {
			farmedPaid += out.userPaid
			r.FarmedRuns++
			continue
		}
		users++
		userPaid += out.userPaid
		minted += out.minted
		switch out.state {
		case outFinal:
			finals++
			r.latencies = append(r.latencies, out.finalH-w.Height)
			firsts = append(firsts, out.firstResult-w.Height)
			if out.finalH <= w.Deadline {
				live++
			}
			if out.firstResult > 0 && out.firstResult <= w.Deadline {
				delivered++
			}
		case outExpired:
			expired++
		}
	}
	if n := float64(users); n > 0 {
		r.Liveness, r.Delivered = float64(live)/n, float64(delivered)/n
		r.Final, r.Expired = float64(finals)/n, float64(expired)/n
	}
	r.LatencyP50, r.LatencyP99 = percentile(r.latencies, 50), percentile(r.latencies, 99)
	r.FirstResultP50, r.FirstResultP99 = percentile(firsts, 50), percentile(firsts, 99)
	if finals > 0 {
		r.ProofsPerFinal = float64(led.computed) / float64(finals)
		r.UserCostPerProof = float64(userPaid) / float64(finals)
		r.MintedPerProof = float64(minted) / float64(finals)
	}
	r.WastedProofs = led.computed - min(led.paid, led.computed)
	r.Unmatched, r.PoolDrawnNone = led.unmatched, led.drawnNone
	if led.pricedMcycles > 0 {
		r.PricePerMcycle = float64(led.priced) / float64(led.pricedMcycles)
	}
	if led.work > 0 {
		r.WastedWorkShare = float64(led.work-min(led.paidWork, led.work)) / float64(led.work)
	}

	income := make([]uint64, len(pop.Operators))
	stake := make([]uint64, len(pop.Operators))
	proofs := make([]uint64, len(pop.Operators))
	var total, totalStake uint64
	rows := make([]StrategyRow, numStrategies)
	stakes := make([]uint64, numStrategies)
	honestOut := 0
	for i := range pop.Provers {
		p := &pop.Provers[i]
		in := led.reward[i] + led.fees[i]
		income[p.Operator] += in
		stake[p.Operator] += p.Stake
		proofs[p.Operator] += uint64(led.proofs[i])
		total += in
		totalStake += p.Stake
		row := &rows[p.Strategy]
		row.Provers++
		row.RewardShare += float64(in)
		row.StakeShare += float64(p.Stake)
		row.ProofShare += float64(led.proofs[i])
		row.Slashed += led.slashed[i]
		r.Slashed += led.slashed[i]
		if led.removed[i] {
			row.Removed++
		}
		if led.suspended[i] {
			row.Suspended++
		}
		if p.Strategy == Honest && (led.removed[i] || led.suspended[i]) {
			honestOut++
		}
		row.IncomeUprv += in
		row.CostsUprv += led.slashed[i] + uint64(led.msgs[i])*TxFee(o) + uint64(led.votes[i])*VoteFee(o)
		stakes[p.Strategy] += p.Stake
	}
	if r.FarmedRuns > 0 {
		row := &rows[Farmer]
		row.CostsUprv += farmedPaid + uint64(r.FarmedRuns)*TxFee(o)
		stakes[Farmer] += farmedPaid
	}
	if n := rows[Honest].Provers; n > 0 {
		r.RemovedHonestShare = float64(honestOut) / float64(n)
	}
	for s := range rows {
		if rows[s].Provers == 0 {
			continue
		}
		row := rows[s]
		row.Strategy = Strategy(s).String()
		row.RewardShare = share(row.RewardShare, float64(total))
		row.StakeShare = share(row.StakeShare, float64(totalStake))
		row.ProofShare = share(row.ProofShare, float64(led.paid))
		row.NetUprv = int64(row.IncomeUprv) - int64(row.CostsUprv)
		if stakes[s] > 0 {
			row.ROI = float64(row.NetUprv) / float64(stakes[s])
		}
		r.Strategies = append(r.Strategies, row)
	}
	ops := make([]int, len(income))
	for i := range ops {
		ops[i] = i
	}
	slices.SortStableFunc(ops, func(a, b int) int { return cmp.Compare(income[b], income[a]) })
	for _, i := range ops[:min(5, len(ops))] {
		r.TopOperators = append(r.TopOperators, OperatorRow{Operator: pop.Operators[i].Name, Provers: pop.Operators[i].Provers,
			StakeShare: share(float64(stake[i]), float64(totalStake)), RewardShare: share(float64(income[i]), float64(total)),
			ProofShare: share(float64(proofs[i]), float64(led.paid))})
	}
	if len(ops) > 0 {
		top := ops[0]
		r.TopOperator = pop.Operators[top].Name
		r.TopOperatorRewardShare = share(float64(income[top]), float64(total))
		r.TopOperatorStakeShare = share(float64(stake[top]), float64(totalStake))
	}
	r.Honest = honestLoss(pop, led)
	r.RewardGini, r.lorenz = gini(income)
	r.Nakamoto = nakamoto(income)
	return r
}

func share(x, total float64) float64 {
	if total == 0 {
		return 0
	}
	return x / total
}

// percentile is the nearest-rank percentile of xs (0 when empty).
func percentile(xs []int64, p int) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100
	return s[max(rank, 1)-1]
}

// gini is the Gini coefficient of xs (0: equal, towards 1: one holds
// all), with the Lorenz curve: the cumulative share held by the poorest
// 1..n.
func gini(xs []uint64) (float64, []float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	var total float64
	for _, x := range s {
		total += float64(x)
	}
	n := float64(len(s))
	if total == 0 || n == 0 {
		return 0, nil
	}
	var acc, weighted float64
	lorenz := make([]float64, len(s))
	for i, x := range s {
		weighted += float64(2*(i+1)-len(s)-1) * float64(x)
		acc += float64(x)
		lorenz[i] = acc / total
	}
	return weighted / (n * total), lorenz
}

// nakamoto is the fewest of xs whose sum exceeds half the total.
func nakamoto(xs []uint64) int {
	s := slices.Clone(xs)
	slices.SortFunc(s, func(a, b uint64) int { return cmp.Compare(b, a) })
	var total, acc uint64
	for _, x := range s {
		total += x
	}
	if total == 0 {
		return 0
	}
	for i, x := range s {
		acc += x
		if 2*acc > total {
			return i + 1
		}
	}
	return len(s)
}

// Command is the command line that replays a run of o (flags at their
// defaults are left out).
func (o Options) Command() string {
	d := DefaultOptions()
	args := []string{"provernet", "sim", "--provers", strconv.Itoa(o.Provers), "--workloads", strconv.Itoa(o.Workloads),
		"--blocks", strconv.Itoa(o.Blocks), "--mechanism", o.Mechanism, "--seed", strconv.FormatUint(o.Seed, 10)}
	if o.Mechanism == MechTree { // no Runs: --workloads and --blocks do not apply
		args = append(args[:4], args[8:]...)
	}
	if o.Fidelity != d.Fidelity {
		args = append(args, "--fidelity", o.Fidelity)
	}
	for _, f := range []struct {
		name   string
		v, def float64
	}{{"fail-rate", o.FailRate, d.FailRate}, {"lazy", o.LazyShare, d.LazyShare}, {"lazy-decline-rate", o.LazyDeclineRate, d.LazyDeclineRate},
		{"silent", o.SilentShare, d.SilentShare}, {"copiers", o.CopierShare, d.CopierShare}, {"sybil", o.SybilShare, d.SybilShare},
		{"undercutter", o.UndercutterShare, d.UndercutterShare}, {"undercut-factor", o.UndercutFactor, d.UndercutFactor},
		{"griefing-minority", o.GriefingShare, d.GriefingShare}, {"false-fail", o.FalseFailShare, d.FalseFailShare},
		{"holder", o.HolderShare, d.HolderShare}, {"farmer", o.FarmerShare, d.FarmerShare},
		{"fast-prover", o.FastProver, d.FastProver}, {"gpu-share", o.GPUShare, d.GPUShare},
		{"k", float64(o.K), float64(d.K)}, {"open-racers", float64(o.OpenRacers), float64(d.OpenRacers)},
		{"race-width", float64(o.RaceWidth), float64(d.RaceWidth)}, {"cartel", o.CartelShare, d.CartelShare},
		{"cartel-price", o.CartelPrice, d.CartelPrice}, {"time-priority", o.TimePriority, d.TimePriority}} {
		if f.v != f.def {
			args = append(args, "--"+f.name, strconv.FormatFloat(f.v, 'g', -1, 64))
		}
	}
	if o.MarketBook != d.MarketBook {
		args = append(args, "--market-book", o.MarketBook)
	}
	if o.Mechanism == MechTree {
		args = append(args, o.treeArgs(d)...)
	}
	for _, a := range o.ParamArgs {
		args = append(args, "--param", a)
	}
	return strings.Join(args, " ")
}

// Run simulates o and reports. It is deterministic: only WallS and
// EventsPerS depend on the machine.
func Run(o Options) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	pop := NewPopulation(o)
	var led *ledger
	var err error
	switch {
	case o.Fidelity == FidelityFull:
		led, err = newFullEngine(pop).run()
	case ownEngine(o.Mechanism):
		led, err = newMarketEngine(pop).run()
	default:
		led, err = newFastEngine(pop).run()
	}
	if err != nil {
		return nil, err
	}
	if led.supplyErr != nil {
		return nil, led.supplyErr
	}
	r := buildReport(pop, led)
	r.WallS = time.Since(start).Seconds()
	if r.WallS > 0 {
		r.EventsPerS = float64(r.Events) / r.WallS
	}
	return r, nil
}

// WriteTable prints reports side by side, one column per report.
func WriteTable(w io.Writer, rs []*Report) {
	rows := []struct {
		name string
		f    func(r *Report) string
	}{
		{"mechanism", func(r *Report) string { return r.Mechanism }},
		{"liveness (final by deadline)", func(r *Report) string { return pct(r.Liveness) }},
		{"delivered by deadline", func(r *Report) string { return pct(r.Delivered) }},
		{"final / expired", func(r *Report) string { return pct(r.Final) + " / " + pct(r.Expired) }},
		{"latency p50 / p99 (blocks)", func(r *Report) string { return fmt.Sprintf("%d / %d", r.LatencyP50, r.LatencyP99) }},
		{"first result p50 / p99", func(r *Report) string { return fmt.Sprintf("%d / %d", r.FirstResultP50, r.FirstResultP99) }},
		{"reward Gini (operators)", func(r *Report) string { return fmt.Sprintf("%.3f", r.RewardGini) }},
		{"top operator", func(r *Report) string { return r.TopOperator }},
		{"  its reward / stake share", func(r *Report) string {
			return pct(r.TopOperatorRewardShare) + " / " + pct(r.TopOperatorStakeShare)
		}},
		{"  its share of paid proofs", func(r *Report) string {
			if len(r.TopOperators) == 0 {
				return "-"
			}
			return pct(r.TopOperators[0].ProofShare)
		}},
		{"Nakamoto coefficient", func(r *Report) string { return strconv.Itoa(r.Nakamoto) }},
		{"proofs computed / paid", func(r *Report) string { return fmt.Sprintf("%d / %d", r.ProofsComputed, r.ProofsPaid) }},
		{"wasted proofs", func(r *Report) string { return strconv.FormatUint(r.WastedProofs, 10) }},
		{"wasted work (cycles)", func(r *Report) string { return pct(r.WastedWorkShare) }},
		{"proofs per final workload", func(r *Report) string { return fmt.Sprintf("%.2f", r.ProofsPerFinal) }},
		{"user cost per proof (uprv)", func(r *Report) string { return fmt.Sprintf("%.0f", r.UserCostPerProof) }},
		{"price per mega-cycle (uprv)", func(r *Report) string { return fmt.Sprintf("%.2f", r.PricePerMcycle) }},
		{"market Runs unmatched", func(r *Report) string { return strconv.Itoa(r.Unmatched) }},
		{"pool Runs drawn on nobody", func(r *Report) string { return strconv.Itoa(r.PoolDrawnNone) }},
		{"undercutter income / proofs", func(r *Report) string { return strategyShares(r, Undercutter) }},
		{"cartel income / proofs", func(r *Report) string { return strategyShares(r, Cartel) }},
		{"minted per proof (uprv)", func(r *Report) string { return fmt.Sprintf("%.0f", r.MintedPerProof) }},
		{"slashed (uprv)", func(r *Report) string { return strconv.FormatUint(r.Slashed, 10) }},
		{"honest provers removed or suspended", func(r *Report) string { return pct(r.RemovedHonestShare) }},
		{"supply invariant", func(r *Report) string {
			if r.SupplyOK {
				return "ok"
			}
			return "BROKEN"
		}},
		{"blocks simulated", func(r *Report) string { return strconv.FormatInt(r.BlocksSimulated, 10) }},
		{"events / wall s", func(r *Report) string { return fmt.Sprintf("%d / %.2f", r.Events, r.WallS) }},
	}
	width := 0
	for _, row := range rows {
		width = max(width, len(row.name))
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%-*s", width, row.name)
		for _, r := range rs {
			fmt.Fprintf(w, "  %-18s", row.f(r))
		}
		fmt.Fprintln(w)
	}
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

// strategyShares is a strategy's share of income and of paid proofs, or
// "-" when the population has none of it.
func strategyShares(r *Report, s Strategy) string {
	for _, row := range r.Strategies {
		if row.Strategy == s.String() {
			return pct(row.RewardShare) + " / " + pct(row.ProofShare)
		}
	}
	return "-"
}
