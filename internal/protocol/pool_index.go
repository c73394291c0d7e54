package protocol

import (
	"encoding/binary"
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The pool's score index, kept incrementally (docs/MARKET.md, "The
// pool"): no block reads every prover. A prover's standing in a class
// changes only where its asks change (SetAsk, withdraw: poolAsksChanged)
// or where its stake or activity change (indexProver, the active index's
// single writer: repoolProver). Each costs at most two standing records
// and two score entries per class; SetAsk re-reads the prover's own asks
// (at most max_asks_per_prover) to find its cheapest per class.

// poolAsk is an ask as the pool sees it.
type poolAsk struct {
	price   uint64
	latency int64
	id      uint32
}

// less orders asks for a standing: lower price, then latency, then id.
func (a poolAsk) less(b poolAsk) bool {
	if a.price != b.price {
		return a.price < b.price
	}
	if a.latency != b.latency {
		return a.latency < b.latency
	}
	return a.id < b.id
}

// poolStanding is a prover's standing in one class: its cheapest ask
// serving the class (has), and whether the score index holds it and under
// which score.
type poolStanding struct {
	has     bool
	ask     poolAsk
	indexed bool
	score   uint64
}

const poolStandingLen = 8 + 8 + 4 + 1 + 8

func (s poolStanding) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, s.ask.price)
	b = binary.BigEndian.AppendUint64(b, uint64(s.ask.latency))
	b = binary.BigEndian.AppendUint32(b, s.ask.id)
	flag := byte(0)
	if s.indexed {
		flag = 1
	}
	return binary.BigEndian.AppendUint64(append(b, flag), s.score)
}

func decodePoolStanding(v []byte) (poolStanding, error) {
	if v == nil {
		return poolStanding{}, nil
	}
	if len(v) != poolStandingLen {
		return poolStanding{}, fmt.Errorf("pool standing of %d bytes, want %d", len(v), poolStandingLen)
	}
	return poolStanding{has: true, ask: decodePoolAsk(v), indexed: v[20] == 1, score: binary.BigEndian.Uint64(v[21:])}, nil
}

// encodePoolAsk is a score entry's value.
func encodePoolAsk(a poolAsk) []byte {
	b := binary.BigEndian.AppendUint64(nil, a.price)
	b = binary.BigEndian.AppendUint64(b, uint64(a.latency))
	return binary.BigEndian.AppendUint32(b, a.id)
}

func decodePoolAsk(v []byte) poolAsk {
	return poolAsk{price: binary.BigEndian.Uint64(v), latency: int64(binary.BigEndian.Uint64(v[8:])), id: binary.BigEndian.Uint32(v[16:])}
}

func getPoolStanding(r store.Reader, a []byte, class string) (poolStanding, error) {
	v, err := r.Get(poolStandingKey(a, class))
	if err != nil {
		return poolStanding{}, err
	}
	s, err := decodePoolStanding(v)
	if err != nil {
		return s, fmt.Errorf("prover %x, class %s: %w", a, class, err)
	}
	return s, nil
}

// repool brings a's standing in class to want (its cheapest ask, has
// false for none) with its activity and stake: the score entry moves if
// the score, the ask or the activity changed, and the record is
// rewritten if anything did. old is the standing as stored.
func repool(kv store.KV, a []byte, class string, old poolStanding, want poolAsk, has, active bool, stake uint64) error {
	now := poolStanding{has: has, ask: want}
	if has && active {
		now.indexed, now.score = true, PoolScore(stake, want.price)
	}
	if now == old {
		return nil
	}
	if old.indexed && (!now.indexed || old.score != now.score) {
		if err := kv.Delete(poolScoreKey(class, old.score, a)); err != nil {
			return err
		}
	}
	if now.indexed {
		if err := kv.Set(poolScoreKey(class, now.score, a), encodePoolAsk(now.ask)); err != nil {
			return err
		}
	}
	if !now.has {
		return kv.Delete(poolStandingKey(a, class))
	}
	return kv.Set(poolStandingKey(a, class), now.encode())
}

// repoolProver follows a change of a's activity or stake (indexProver):
// its score entries move, its cheapest asks do not.
func repoolProver(kv store.KV, a address.Address, active bool, stake uint64) error {
	for _, class := range poolClasses {
		old, err := getPoolStanding(kv, a[:], class)
		if err != nil {
			return err
		}
		if !old.has {
			continue
		}
		if err := repool(kv, a[:], class, old, old.ask, true, active, stake); err != nil {
			return err
		}
	}
	return nil
}

// poolAsksChanged follows a change of p's asks serving the classes named
// (SetAsk, a removal, withdraw): its cheapest ask per class is found
// again among its asks (at most max_asks_per_prover records).
func poolAsksChanged(kv store.KV, p *pb.Prover, classes []string) error {
	if len(classes) == 0 {
		return nil
	}
	asks, err := ProverAsks(kv, p.Address)
	if err != nil {
		return err
	}
	for _, class := range poolClasses {
		if !contains(classes, class) {
			continue
		}
		best, has := cheapestServing(asks, class)
		old, err := getPoolStanding(kv, p.Address, class)
		if err != nil {
			return err
		}
		if err := repool(kv, p.Address, class, old, best, has, p.State == pb.ProverState_PROVER_STATE_ACTIVE, p.Stake); err != nil {
			return err
		}
	}
	return nil
}

// cheapestServing is the least of asks (poolAsk.less) serving class.
func cheapestServing(asks []*pb.Ask, class string) (best poolAsk, has bool) {
	for _, a := range asks {
		if !contains(a.Classes, class) {
			continue
		}
		pa := poolAsk{price: a.Price, latency: a.Latency, id: a.Id}
		if !has || pa.less(best) {
			best, has = pa, true
		}
	}
	return best, has
}

// askClasses are the classes an old and a new version of an ask serve
// (either may be nil).
func askClasses(old *pb.Ask, now *pb.Ask) []string {
	var out []string
	for _, a := range []*pb.Ask{old, now} {
		for _, c := range a.GetClasses() {
			if !contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}
