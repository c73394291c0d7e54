package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Freezing the pools (docs/MARKET.md, "The pool"). At the first block of
// each epoch (height % epoch_length == 0), before the block's market and
// pool Runs are matched, each class's pool is read off the top of its
// score index (poolCandidates: a bounded read), ranked with the block's
// seed (alloc.PoolRank: score, then reputation, then the beacon) and
// stored for the epoch with each member's ask as it stands. Whatever
// changes during the epoch (stake, asks, activity) moves the score index
// at once but the pool only at the next epoch's first block; a member
// that stops being active or fills up stays in the pool and is passed over
// by the draw. The genesis epoch (heights 1..epoch_length-1) has no pool.

// poolFreezeDue reports whether the pools are frozen at height.
func poolFreezeDue(p Params, height int64) bool {
	return p.PoolSize > 0 && p.EpochLength > 0 && height > 0 && height%p.EpochLength == 0
}

// freezePools freezes each class's pool when an epoch starts at
// env.Height. A class whose pool is empty and was empty writes nothing.
func freezePools(kv store.KV, env Env) ([]Event, error) {
	if !poolFreezeDue(env.Params, env.Height) {
		return nil, nil
	}
	seed, err := Seed(kv)
	if err != nil {
		return nil, err
	}
	var evs []Event
	for _, class := range poolClasses {
		pool, err := rankPool(kv, env, seed, class)
		if err != nil {
			return nil, err
		}
		old, err := kv.Get(poolEpochKey(class))
		if err != nil {
			return nil, err
		}
		if len(pool.Members) == 0 && old == nil {
			continue
		}
		if err := setProto(kv, poolEpochKey(class), pool); err != nil {
			return nil, err
		}
		evs = append(evs, event("pool", "class", class, "epoch", strconv.FormatInt(pool.Epoch, 10),
			"members", strconv.Itoa(len(pool.Members))))
	}
	return evs, nil
}

// rankPool ranks class's pool from the score index now.
func rankPool(r store.Reader, env Env, seed []byte, class string) (*pb.Pool, error) {
	size := int(env.Params.PoolSize)
	entries, err := poolCandidates(r, env, class, size)
	if err != nil {
		return nil, err
	}
	pool := &pb.Pool{Class: class, Epoch: env.Height / env.Params.EpochLength, Height: env.Height}
	for _, e := range alloc.PoolRank(seed, entries, size) {
		pool.Members = append(pool.Members, &pb.PoolMember{Prover: bytes.Clone(e.Prover[:]), Score: e.Score, Reputation: e.Reputation,
			AskId: e.AskID, Price: e.Price, Latency: e.Latency, Stake: e.Stake})
	}
	return pool, nil
}

// poolCandidates reads class's score index from the top: the first size
// entries, then those whose score equals the last one's (the ranking
// breaks those ties), at most wire.PoolTieFactor * size in all; each with
// its prover's reputation and stake (one record read each).
func poolCandidates(r store.Reader, env Env, class string, size int) ([]alloc.PoolEntry, error) {
	if size <= 0 {
		return nil, nil
	}
	prefix := poolScorePrefix(class)
	limit := wire.PoolTieFactor * size
	var out []alloc.PoolEntry
	var bad error
	err := r.Iterate(prefix, store.PrefixEnd(prefix), func(k, v []byte) bool {
		tail := k[len(prefix):]
		if len(tail) != 8+address.Size || len(v) != 20 {
			bad = fmt.Errorf("pool score index: malformed entry %x", k)
			return false
		}
		score := ^binary.BigEndian.Uint64(tail)
		if len(out) >= size && score != out[size-1].Score {
			return false
		}
		a := decodePoolAsk(v)
		out = append(out, alloc.PoolEntry{Prover: [20]byte(tail[8:]), Score: score, AskID: a.id, Price: a.price, Latency: a.latency})
		return len(out) < limit
	})
	if err != nil || bad != nil {
		return nil, errors.Join(err, bad)
	}
	for i := range out {
		p, err := GetProver(r, address.Address(out[i].Prover))
		if err != nil {
			return nil, fmt.Errorf("pool score index: prover %x: %w", out[i].Prover, err)
		}
		out[i].Reputation, out[i].Stake = ReputationOf(env.Params, p, env.Height).ScoreBp, p.Stake
	}
	return out, nil
}

// GetPool reads class's frozen pool, or nil when none was ever frozen.
func GetPool(r store.Reader, class string) (*pb.Pool, error) {
	b, err := r.Get(poolEpochKey(class))
	if err != nil || b == nil {
		return nil, err
	}
	p := &pb.Pool{}
	if err := proto.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("failed to decode the %s pool: %w", class, err)
	}
	return p, nil
}
