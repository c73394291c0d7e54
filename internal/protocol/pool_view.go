package protocol

import (
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// PoolViewOf is a class's pool for queries (docs/MARKET.md, "The pool"):
// the pool a Run matched at env.Height is drawn in (nil in the genesis
// epoch; when env.Height starts an epoch, the freeze that height will
// make, replayed on a cache with the current seed), and the ranking the
// score index gives now with the current seed: what the next epoch's
// first block would freeze if nothing moved before it (its seed will
// differ, which matters only for ties). env is the state's params and
// the next block's height. Bounded as the freeze is; nothing is written
// to r.
func PoolViewOf(r store.Reader, env Env, class string) (*pb.PoolView, error) {
	if class != ClassCPU && class != ClassGPU {
		return nil, fmt.Errorf("class %q is not cpu or gpu", class)
	}
	v := &pb.PoolView{}
	kv := store.NewCache(r)
	if _, err := freezePools(kv, env); err != nil {
		return nil, err
	}
	pool, err := GetPool(kv, class)
	if err != nil {
		return nil, err
	}
	if pool != nil && env.Params.EpochLength > 0 && pool.Epoch == env.Height/env.Params.EpochLength {
		v.Pool = pool
	}
	seed, err := Seed(r)
	if err != nil {
		return nil, err
	}
	next, err := rankPool(r, env, seed, class)
	if err != nil {
		return nil, err
	}
	v.Next = next.Members
	return v, nil
}
