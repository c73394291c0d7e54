package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The active index. Each block reads the active provers three times: the
// allocator's input, the random challenges and Block.Active (the list
// committees are drawn from). Read from prover/, that would cost every
// block a pass over every prover ever registered, the exited and removed
// ones included; the index makes it a pass over the active ones, and the
// random challenges a walk over the ones challenged (challenge.go).
//
//	active/<20-byte address>                 the prover's allocation view (allocView)
//	chal/<8-byte position><20-byte address>  1; the position is ChallengePosition(address)
//
// Invariant (CheckActiveIndex): both hold exactly the provers whose record
// is active, and each active/ value is the allocation view of the record.
// writeProver (setProver, updateProver) is their only writer, through
// indexProver: every transition writes the record through it
// (registration, admission, suspension, reinstatement, unbonding, removal,
// withdrawal, a change of load), and the genesis writes no provers.

const challengePositionDomain = "provernet/challenge-position/v1"

func activeKey(a address.Address) []byte { return append(append([]byte{}, prefixActive...), a[:]...) }

// ChallengePosition is where the random challenges' draw places prover a:
// the first 8 bytes, big-endian, of SHA-256(domain || address). It is
// uniform over [0, 2^64) and fixed for the address.
func ChallengePosition(a [20]byte) uint64 {
	h := sha256.New()
	h.Write([]byte(challengePositionDomain))
	h.Write(a[:])
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

func challengeKey(a address.Address) []byte {
	k := binary.BigEndian.AppendUint64(append([]byte{}, prefixChallenge...), ChallengePosition(a))
	return append(k, a[:]...)
}

// allocView is what the allocator reads of a prover (allocProver): the
// active/ value. It is never empty, since an active prover has declared
// hardware and a max_concurrent of at least 1.
func allocView(p *pb.Prover) *pb.Prover {
	return &pb.Prover{Hardware: p.Hardware, MaxConcurrent: p.MaxConcurrent, Held: p.Held, LastAllocated: p.LastAllocated}
}

// indexEntry is what the index holds of a prover record: whether the
// prover is in it and, if so, the fields of its allocation view. Records
// with equal entries need the same index. The hardware is compared by
// pointer: a record's hardware is replaced, never edited in place.
type indexEntry struct {
	active        bool
	maxConcurrent uint32
	held          uint32
	lastAllocated int64
	hardware      *pb.Hardware
	// stake is not in the active index but in the pool's score index
	// (pool_index.go), which indexProver keeps too.
	stake uint64
}

func indexEntryOf(p *pb.Prover) indexEntry {
	if p.State != pb.ProverState_PROVER_STATE_ACTIVE {
		return indexEntry{}
	}
	return indexEntry{active: true, maxConcurrent: p.MaxConcurrent, held: p.Held, lastAllocated: p.LastAllocated, hardware: p.Hardware,
		stake: p.Stake}
}

// view is the part of e the active index holds.
func (e indexEntry) view() indexEntry {
	e.stake = 0
	return e
}

// indexProver brings the index in line with p, about to be written: in it,
// with its current allocation view, if p is active; out of it otherwise.
// was is the entry of the record p replaces, as the caller read it, or nil
// to read the index instead. A writer that knows was and changed nothing
// the index holds (a vote paid, a count) costs nothing here; one that does
// not know it costs a read. Only what changed is written. The book follows
// the entry too (ask_book.go): p's asks go in when it becomes active with
// room and out when it stops being either. So does the pool's score index
// (pool_index.go), on a change of activity or stake.
func indexProver(kv store.KV, a address.Address, was *indexEntry, p *pb.Prover) error {
	now := indexEntryOf(p)
	if was != nil && *was == now {
		return nil
	}
	var old []byte
	unknown := was == nil // the stake it replaces is unknown: repool
	if unknown {
		var err error
		if old, err = kv.Get(activeKey(a)); err != nil {
			return fmt.Errorf("failed to read the active index of %s: %w", a, err)
		}
		e, err := indexEntryOfView(old)
		if err != nil {
			return fmt.Errorf("failed to decode the active index of %s: %w", a, err)
		}
		was = &e
	}
	if unknown || was.view() != now.view() {
		if err := writeActive(kv, a, was.active, old, p); err != nil {
			return err
		}
		if was.booked() != now.booked() {
			if err := bookProverAsks(kv, a, now.booked()); err != nil {
				return err
			}
		}
	}
	if unknown || was.active != now.active || was.stake != now.stake {
		return repoolProver(kv, a, now.active, p.Stake)
	}
	return nil
}

// indexEntryOfView is the entry an active/ value (nil: none) stands for,
// as far as the book needs it (hardware aside).
func indexEntryOfView(v []byte) (indexEntry, error) {
	if v == nil {
		return indexEntry{}, nil
	}
	var view pb.Prover
	if err := proto.Unmarshal(v, &view); err != nil {
		return indexEntry{}, err
	}
	return indexEntry{active: true, maxConcurrent: view.MaxConcurrent, held: view.Held, lastAllocated: view.LastAllocated}, nil
}

// writeActive writes a's active/ and chal/ entries for p; inIndex says
// whether a is in the index now, old is its active/ value if read.
func writeActive(kv store.KV, a address.Address, inIndex bool, old []byte, p *pb.Prover) error {
	key := activeKey(a)
	if p.State != pb.ProverState_PROVER_STATE_ACTIVE {
		if !inIndex {
			return nil
		}
		if err := kv.Delete(key); err != nil {
			return err
		}
		return kv.Delete(challengeKey(a))
	}
	view, err := marshal.Marshal(allocView(p))
	if err != nil {
		return fmt.Errorf("failed to encode the allocation view of %s: %w", a, err)
	}
	if bytes.Equal(old, view) {
		return nil
	}
	if err := kv.Set(key, view); err != nil {
		return err
	}
	if !inIndex {
		return kv.Set(challengeKey(a), []byte{1})
	}
	return nil
}

// activeEntry is one active/ entry: the address (from the key) and its
// value, both valid only during the walk.
type activeEntry func(a [20]byte, view []byte) error

// walkActive calls fn for each active prover, in address order.
func walkActive(r store.Reader, fn activeEntry) error {
	var fnErr error
	err := r.Iterate(prefixActive, store.PrefixEnd(prefixActive), func(k, v []byte) bool {
		if len(k) != len(prefixActive)+address.Size {
			fnErr = fmt.Errorf("active index: malformed key %x", k)
			return false
		}
		fnErr = fn([20]byte(k[len(prefixActive):]), v)
		return fnErr == nil
	})
	if err != nil {
		return err
	}
	return fnErr
}

// activeAddresses lists the active provers' addresses, sorted.
func activeAddresses(r store.Reader) ([][20]byte, error) {
	var out [][20]byte
	err := walkActive(r, func(a [20]byte, _ []byte) error { out = append(out, a); return nil })
	return out, err
}

// activeProvers returns the addresses of the active provers, sorted: the
// block's list (Block.Active) when there is one, else read from the index
// (once for all of env.active's users).
func activeProvers(r store.Reader, env Env) ([][20]byte, error) {
	if env.Block != nil {
		return env.Block.Active, nil
	}
	if env.active != nil {
		return env.active.get(r)
	}
	return activeAddresses(r)
}

// activeList is the active provers read at most once, for work that
// changes no prover's state between its reads: BeginBlock's tree timers
// (treeTimers), whose committee redraws read the list once each, 288
// reads of 10,000 provers for one tree's 288 expiring ballots
// (BenchmarkTreeCommitteeExpiry: 2.1 s before, against WeightTreeTimer's
// 1.7 ms).
type activeList struct {
	addrs [][20]byte
	read  bool
}

func (l *activeList) get(r store.Reader) ([][20]byte, error) {
	if !l.read {
		a, err := activeAddresses(r)
		if err != nil {
			return nil, err
		}
		l.addrs, l.read = a, true
	}
	return l.addrs, nil
}

// activeAllocProvers reads the active provers as the allocator sees them,
// in address order.
func activeAllocProvers(r store.Reader, params Params) ([]alloc.Prover, error) {
	var out []alloc.Prover
	var view pb.Prover
	err := walkActive(r, func(a [20]byte, v []byte) error {
		view.Reset()
		if err := proto.Unmarshal(v, &view); err != nil {
			return fmt.Errorf("failed to decode the active index of %s: %w", address.Address(a), err)
		}
		out = append(out, allocProver(params, a, &view))
		return nil
	})
	return out, err
}

// allocProver converts a prover for the allocator, with the hardware it
// may rely on (AllocHardware).
func allocProver(params Params, a [20]byte, p *pb.Prover) alloc.Prover {
	return alloc.Prover{Address: a, Hardware: AllocHardware(params, p.Hardware),
		MaxConcurrent: p.MaxConcurrent, Active: p.Held, LastAllocated: p.LastAllocated}
}
