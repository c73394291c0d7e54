package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The invariants of PROTOCOL.md 9. They read every account and workload, so
// tests (and the node's AfterCommit hook in tests) call them after every
// block; the production path never does.

// CheckInvariants checks the supply, every workload, every prover's
// counts of what it holds, and the active index.
func CheckInvariants(r store.Reader) error {
	return errors.Join(CheckSupply(r), CheckWorkloads(r), CheckProverCounts(r), CheckActiveIndex(r), CheckBook(r), CheckPoolIndex(r), CheckTrees(r), CheckValidators(r), CheckHotKeys(r))
}

// CheckActiveIndex verifies the active index (active.go) against a scan of
// every prover: active/ holds exactly the active provers, each with the
// allocation view of its record, and chal/ exactly the active provers, each
// at its position.
func CheckActiveIndex(r store.Reader) error {
	views, chal := map[string][]byte{}, map[string]bool{}
	var errs []error
	err := Scan(r, prefixProver, func(p *pb.Prover) bool {
		if p.State != pb.ProverState_PROVER_STATE_ACTIVE {
			return true
		}
		a, err := address.FromBytes(p.Address)
		if err != nil {
			errs = append(errs, fmt.Errorf("active prover %x: %w", p.Address, err))
			return false
		}
		v, err := marshal.Marshal(allocView(p))
		if err != nil {
			errs = append(errs, err)
			return false
		}
		views[string(activeKey(a))], chal[string(challengeKey(a))] = v, true
		return true
	})
	if err != nil || len(errs) > 0 {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, checkIndexed(r, prefixActive, func(k, v []byte) error {
		want, ok := views[string(k)]
		switch {
		case !ok:
			return fmt.Errorf("active index: %s is not an active prover", indexKeyString(prefixActive, k))
		case !bytes.Equal(v, want):
			return fmt.Errorf("active index: %s holds %x, its record says %x", indexKeyString(prefixActive, k), v, want)
		}
		delete(views, string(k))
		return nil
	}), checkIndexed(r, prefixChallenge, func(k, _ []byte) error {
		if !chal[string(k)] {
			return fmt.Errorf("challenge index: %s is not an active prover at its position", indexKeyString(prefixChallenge, k))
		}
		delete(chal, string(k))
		return nil
	}))
	for _, k := range slices.Sorted(maps.Keys(views)) {
		errs = append(errs, fmt.Errorf("active index: %s, an active prover, is missing", indexKeyString(prefixActive, []byte(k))))
	}
	for _, k := range slices.Sorted(maps.Keys(chal)) {
		errs = append(errs, fmt.Errorf("challenge index: %s, an active prover, is missing", indexKeyString(prefixChallenge, []byte(k))))
	}
	return errors.Join(errs...)
}

// indexKeyString shows an index key: its prefix, then the rest in hex.
func indexKeyString(prefix, k []byte) string {
	return string(prefix) + hex.EncodeToString(k[min(len(prefix), len(k)):])
}

// checkIndexed calls check for each key under prefix and joins at most 10
// of its errors.
func checkIndexed(r store.Reader, prefix []byte, check func(k, v []byte) error) error {
	var errs []error
	err := r.Iterate(prefix, store.PrefixEnd(prefix), func(k, v []byte) bool {
		if err := check(k, v); err != nil {
			errs = append(errs, err)
		}
		return len(errs) < 10
	})
	return errors.Join(append(errs, err)...)
}

// CheckProverCounts verifies that every prover's held (allocated slots
// not yet delivered) and open_results (results in unsettled workloads,
// and node proofs pending before committees) equal what the workloads
// and trees say: a count that drifts locks a stake for
// good or frees one that should answer for a result; and that nobody holds
// more than its max_concurrent.
func CheckProverCounts(r store.Reader) error {
	held, open := map[string]uint32{}, map[string]uint32{}
	err := Scan(r, prefixWorkload, func(w *pb.Workload) bool {
		if w.Settled {
			return true
		}
		for _, s := range w.Slots {
			switch {
			case !w.Challenge && !s.Filled && (s.State == pb.SlotState_SLOT_STATE_ASSIGNED || s.State == pb.SlotState_SLOT_STATE_ACCEPTED):
				held[string(s.Prover)]++
			case s.SubmitHeight > 0 && holdsResult(s.State):
				open[string(s.Prover)]++
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	err = Scan(r, prefixTree, func(t *pb.Tree) bool { // a pending node proof is an open result too
		for _, nd := range t.Nodes {
			for _, pf := range nd.Pending {
				open[string(pf.Prover)]++
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	var errs []error
	err = Scan(r, prefixProver, func(p *pb.Prover) bool {
		if p.Held != held[string(p.Address)] || p.OpenResults != open[string(p.Address)] {
			errs = append(errs, fmt.Errorf("prover %s: held %d and open_results %d, but the workloads say %d and %d",
				addrString(p.Address), p.Held, p.OpenResults, held[string(p.Address)], open[string(p.Address)]))
		}
		if p.Held > p.MaxConcurrent { // every allotment checks room (the lottery's, the market's, the pool's)
			errs = append(errs, fmt.Errorf("prover %s holds %d slots, above its max_concurrent %d", addrString(p.Address), p.Held, p.MaxConcurrent))
		}
		return len(errs) < 10
	})
	return errors.Join(append(errs, err)...)
}

// CheckSupply verifies balances + escrow + stake + burned = genesis +
// minted; stake is the provers' and the validators' (issue 19).
func CheckSupply(r store.Reader) error {
	s, err := GetSupply(r)
	if err != nil {
		return err
	}
	var balances, stakes, escrow uint64
	if err := Scan(r, prefixAccount, func(a *pb.Account) bool { balances += a.Balance; return true }); err != nil {
		return err
	}
	if err := Scan(r, prefixProver, func(p *pb.Prover) bool { stakes += p.Stake; return true }); err != nil {
		return err
	}
	if err := Scan(r, prefixWorkload, func(w *pb.Workload) bool { escrow += w.Escrow; return true }); err != nil {
		return err
	}
	if err := Scan(r, prefixTree, func(t *pb.Tree) bool { escrow += t.Escrow + t.VoteEscrow; return true }); err != nil { // issue 16
		return err
	}
	vstakes, err := validatorStakes(r) // issue 19
	if err != nil {
		return err
	}
	stakes += vstakes
	if have, want := balances+escrow+stakes+s.Burned, s.Genesis+s.Minted; have != want {
		return fmt.Errorf("supply invariant broken: balances %d + escrow %d + stake %d + burned %d = %d, genesis %d + minted %d = %d",
			balances, escrow, stakes, s.Burned, have, s.Genesis, s.Minted, want)
	}
	return nil
}

// CheckWorkloads verifies, for every workload: at most k rewarded proofs,
// each rewarded once and only after finality; only challenges mint; a settled workload is in
// exactly one terminal state with its escrow fully paid out, refunded or
// burned; a workload with a final proof is final, never expired.
func CheckWorkloads(r store.Reader) error {
	var errs []error
	err := Scan(r, prefixWorkload, func(w *pb.Workload) bool {
		if err := checkWorkload(w); err != nil {
			errs = append(errs, fmt.Errorf("workload %x: %w", w.Id, err))
		}
		return len(errs) < 10
	})
	return errors.Join(append(errs, err)...)
}

func checkWorkload(w *pb.Workload) error {
	if len(w.Slots) > int(w.K) {
		return fmt.Errorf("%d slots for k = %d", len(w.Slots), w.K)
	}
	var rewarded int
	var paid, minted, voters, burned uint64
	valid := false
	for _, s := range w.Slots {
		if s.State == pb.SlotState_SLOT_STATE_VALID {
			valid = true
		}
		voters += s.VotersPaid
		burned += s.Burned
		if (s.VotersPaid > 0 || s.Burned > 0) && !w.Settled {
			return fmt.Errorf("slot %d paid voters or burned before settlement", s.Index)
		}
		if s.Reward == 0 && s.FeePaid == 0 && s.Tier == 0 {
			continue
		}
		rewarded++
		if s.State != pb.SlotState_SLOT_STATE_VALID || !w.Settled {
			return fmt.Errorf("slot %d paid while %s (settled %v)", s.Index, SlotStateName(s.State), w.Settled)
		}
		paid += s.FeePaid
		minted += s.Reward
	}
	if err := checkMarketSlots(w); err != nil {
		return err
	}
	if rewarded > int(w.K) {
		return fmt.Errorf("%d rewarded proofs for k = %d", rewarded, w.K)
	}
	if valid && w.State != pb.WorkloadState_WORKLOAD_STATE_FINAL {
		return fmt.Errorf("a proof is final but the workload is %s", WorkloadStateName(w.State))
	}
	if minted != w.Minted {
		return fmt.Errorf("slots were paid %d of network reward, the workload records %d", minted, w.Minted)
	}
	if minted > 0 && !w.Challenge {
		return fmt.Errorf("a Run minted %d: only challenges mint", minted)
	}
	if voters != w.VotersPaid || burned > w.Burned {
		return fmt.Errorf("slots paid voters %d and burned %d; the workload records %d and %d", voters, burned, w.VotersPaid, w.Burned)
	}
	if !w.Settled {
		if paid+w.VotersPaid+w.Refunded+w.Burned != 0 || w.Escrow != w.Fee {
			return fmt.Errorf("unsettled but escrow %d of fee %d, %d paid, %d to voters, %d refunded, %d burned", w.Escrow, w.Fee, paid, w.VotersPaid, w.Refunded, w.Burned)
		}
		return nil
	}
	if !Terminal(w.State) {
		return fmt.Errorf("settled in non-terminal state %s", WorkloadStateName(w.State))
	}
	if !allDecided(w) {
		return errors.New("settled with undecided slots")
	}
	if w.Escrow != 0 || paid+w.VotersPaid+w.Refunded+w.Burned != w.Fee {
		return fmt.Errorf("settled with escrow %d: fee %d != paid %d + voters %d + refunded %d + burned %d", w.Escrow, w.Fee, paid, w.VotersPaid, w.Refunded, w.Burned)
	}
	return nil
}

// checkMarketSlots: a market Run's slots cost at most what it escrowed,
// and no slot pays out more than its price (issue 17).
func checkMarketSlots(w *pb.Workload) error {
	if w.Market == nil {
		return nil
	}
	var prices uint64
	for _, s := range w.Slots {
		prices += s.Price
		if out := s.FeePaid + s.Burned + s.VotersPaid; out > s.Price {
			return fmt.Errorf("market slot %d paid out %d, above its price %d", s.Index, out, s.Price)
		}
	}
	if prices > w.Fee {
		return fmt.Errorf("market slots priced %d in all, above the escrow of %d", prices, w.Fee)
	}
	return nil
}
