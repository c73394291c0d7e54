package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// CheckPoolIndex verifies the pool's standing records and score index
// (pool_keys.go, pool_index.go) against a scan of every prover and its
// asks, written from the rules: a prover with an ask serving a class has a
// standing in it naming its cheapest such ask (lowest price, then
// latency, then id); the score index holds, per class, exactly the
// active provers with a standing, under PoolScore(stake, that ask's
// price), with the ask. Tests call it after every block (CheckInvariants)
// and TestActiveIndexDifferential after every prover state transition.
func CheckPoolIndex(r store.Reader) error {
	wantStanding, wantScore := map[string][]byte{}, map[string][]byte{}
	var errs []error
	err := Scan(r, prefixProver, func(p *pb.Prover) bool {
		asks, err := ProverAsks(r, p.Address)
		if err != nil {
			errs = append(errs, err)
			return false
		}
		for _, class := range poolClasses {
			var best *pb.Ask
			for _, a := range asks {
				if contains(a.Classes, class) && (best == nil || naiveAskBefore(a, best)) {
					best = a
				}
			}
			if best == nil {
				continue
			}
			ask := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, best.Price), uint64(best.Latency)), best.Id)
			if p.State != pb.ProverState_PROVER_STATE_ACTIVE {
				wantStanding[string(poolStandingKey(p.Address, class))] = append(bytes.Clone(ask), make([]byte, 9)...)
				continue
			}
			score := PoolScore(p.Stake, best.Price)
			wantStanding[string(poolStandingKey(p.Address, class))] = binary.BigEndian.AppendUint64(append(bytes.Clone(ask), 1), score)
			wantScore[string(poolScoreKey(class, score, p.Address))] = ask
		}
		return true
	})
	if err != nil || len(errs) > 0 {
		return errors.Join(append(errs, err)...)
	}
	return errors.Join(checkExactly(r, prefixPoolStanding, "pool standing", wantStanding),
		checkExactly(r, prefixPoolScore, "pool score index", wantScore))
}

// naiveAskBefore: a is a cheaper standing than b.
func naiveAskBefore(a, b *pb.Ask) bool {
	switch {
	case a.Price != b.Price:
		return a.Price < b.Price
	case a.Latency != b.Latency:
		return a.Latency < b.Latency
	}
	return a.Id < b.Id
}

// checkExactly checks that the entries under prefix are exactly want.
func checkExactly(r store.Reader, prefix []byte, what string, want map[string][]byte) error {
	seen := 0
	err := checkIndexed(r, prefix, func(k, v []byte) error {
		w, ok := want[string(k)]
		switch {
		case !ok:
			return fmt.Errorf("%s: entry %x should not be there", what, k)
		case !bytes.Equal(v, w):
			return fmt.Errorf("%s: entry %x holds %x, want %x", what, k, v, w)
		}
		seen++
		return nil
	})
	if err == nil && seen != len(want) {
		err = fmt.Errorf("%s: %d entries, want %d", what, seen, len(want))
	}
	return err
}
