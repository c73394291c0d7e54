package alloc

import (
	"bytes"
	"slices"
	"sort"
)

// Prover is an active prover as the allocator sees it.
type Prover struct {
	Address       [20]byte
	Hardware      Hardware
	MaxConcurrent uint32 // its declared maximum of concurrent workloads
	Active        uint32 // workloads it holds now, before this block
	LastAllocated int64  // height it was last allocated any workload; 0: never
}

// Workload is a workload to allocate: its id, the number k of provers it
// asks for, and its program's minimum hardware.
type Workload struct {
	ID          [32]byte
	K           int
	MinHardware Hardware
	// Rank orders the block's workloads before the seed does (lower
	// first; Order): the chain ranks the workloads waiting from earlier
	// blocks by their place in the wait list and the block's new Runs all
	// alike after them, so the oldest wait is served first and the new
	// Runs' order is the seed's, not the proposer's.
	Rank uint64
}

// Assignment is the outcome for one workload: up to k distinct provers, in
// draw order (slot i goes to Provers[i]). Fewer than k (possibly none) when
// fewer provers were eligible.
type Assignment struct {
	Workload [32]byte
	Provers  [][20]byte
}

// Allocate allocates workloads to provers, in the order Order draws from
// the seed (not the order given), returning one Assignment per workload in
// the order given. seed is seed[height] and
// height the allocation height (h+1 for Runs included at h); provers are the
// active provers. The rules are in the package documentation.
//
// provers should be sorted by address without repeats; Allocate checks this
// in O(N) and otherwise works on a sorted copy (stable, so among provers
// sharing an address the first in the given order is kept and the others
// are ignored). Allocate never modifies its arguments.
func Allocate(seed []byte, height int64, provers []Prover, workloads []Workload) []Assignment {
	s := newState(seed, height, provers)
	out := make([]Assignment, len(workloads))
	for _, i := range Order(seed, workloads) {
		out[i] = s.allocate(workloads[i])
	}
	return out
}

// state is one block's allocation in progress.
type state struct {
	seed    []byte
	height  int64
	ps      []Prover // sorted by address, no repeats
	dropped []Prover // provers ignored for a repeated address

	held    []uint64 // Active + workloads assigned in this block
	fresh   []bool   // not allocated at height-1
	class   []int    // hardware class of each prover
	classes []Hardware
	// classLists[c] are the lists (indices into lists) admitting class c.
	classLists [][]int
	lists      []*eligibleList
	byReq      map[string]int // requirement key -> list
	bySig      map[string]int // set of admitted classes -> list
	buf        []byte
	rbuf       []byte
}

// eligibleList is, for one set of admitted hardware classes, the provers of
// those classes in address order, with two order-statistic trees over them:
// cap marks those below capacity, fresh those below capacity and not
// excluded for the previous round. Provers that fill up during the block are
// removed from both, so the trees always describe the current eligible lists.
type eligibleList struct {
	members []int // indices into state.ps, ascending
	cap     fenwick
	fresh   fenwick
}

func newState(seed []byte, height int64, provers []Prover) *state {
	s := &state{seed: seed, height: height, byReq: map[string]int{}, bySig: map[string]int{}}
	s.ps, s.dropped = sortedProvers(provers)
	n := len(s.ps)
	s.held = make([]uint64, n)
	s.fresh = make([]bool, n)
	s.class = make([]int, n)
	classOf := map[string]int{}
	for i := range s.ps {
		p := &s.ps[i]
		s.held[i] = uint64(p.Active)
		s.fresh[i] = !previousRound(p.LastAllocated, height)
		s.buf = appendKey(s.buf[:0], p.Hardware)
		c, ok := classOf[string(s.buf)]
		if !ok {
			c = len(s.classes)
			classOf[string(s.buf)] = c
			s.classes = append(s.classes, p.Hardware)
		}
		s.class[i] = c
	}
	s.classLists = make([][]int, len(s.classes))
	return s
}

// previousRound reports whether a prover last allocated at last is excluded
// at height: last == height-1, where 0 means never.
func previousRound(last, height int64) bool {
	return last != 0 && last == height-1
}

// sortedProvers returns provers sorted by address without repeats (the
// slice itself when it already is), and the entries dropped as repeats.
func sortedProvers(provers []Prover) (ps, dropped []Prover) {
	ok := true
	for i := 1; i < len(provers); i++ {
		if bytes.Compare(provers[i-1].Address[:], provers[i].Address[:]) >= 0 {
			ok = false
			break
		}
	}
	if ok {
		return provers, nil
	}
	c := slices.Clone(provers)
	sort.SliceStable(c, func(i, j int) bool { return bytes.Compare(c[i].Address[:], c[j].Address[:]) < 0 })
	ps = c[:0]
	for i := range c {
		if i > 0 && c[i].Address == c[i-1].Address {
			dropped = append(dropped, c[i])
			continue
		}
		ps = append(ps, c[i])
	}
	return ps, dropped
}

// list returns the eligible list for requirement need, building it the first
// time a requirement admitting the same set of classes is seen.
func (s *state) list(need Hardware) *eligibleList {
	s.buf = appendKey(s.buf[:0], need)
	if li, ok := s.byReq[string(s.buf)]; ok {
		return s.lists[li]
	}
	reqKey := string(s.buf)
	admit := make([]bool, len(s.classes))
	sig := make([]byte, (len(s.classes)+7)/8)
	for c, hw := range s.classes {
		if Meets(hw, need) {
			admit[c] = true
			sig[c/8] |= 1 << (c % 8)
		}
	}
	if li, ok := s.bySig[string(sig)]; ok {
		s.byReq[reqKey] = li
		return s.lists[li]
	}
	li := len(s.lists)
	l := &eligibleList{}
	var capOK, freshOK []bool
	for i := range s.ps {
		if !admit[s.class[i]] {
			continue
		}
		l.members = append(l.members, i)
		c := s.held[i] < uint64(s.ps[i].MaxConcurrent)
		capOK = append(capOK, c)
		freshOK = append(freshOK, c && s.fresh[i])
	}
	l.cap, l.fresh = newFenwick(capOK), newFenwick(freshOK)
	for c, ok := range admit {
		if ok {
			s.classLists[c] = append(s.classLists[c], li)
		}
	}
	s.lists = append(s.lists, l)
	s.byReq[reqKey] = li
	s.bySig[string(sig)] = li
	return l
}

// pick returns the chosen provers (indices into s.ps) for w, in draw order,
// without recording the assignment. With trace non-nil the draws are
// appended to it, with their provers.
func (s *state) pick(w Workload, trace *[]Draw) []int {
	if w.K <= 0 {
		return nil
	}
	l := s.list(w.MinHardware)
	t := &l.fresh
	if t.total < w.K {
		t = &l.cap // too few fresh: add back the previous round
	}
	start := 0
	if trace != nil {
		start = len(*trace)
	}
	var r [32]byte
	r, s.rbuf = workloadR(s.rbuf, s.seed, w.ID)
	idx := drawIndices(r, uint64(t.total), w.K, trace)
	chosen := make([]int, len(idx))
	for i, x := range idx {
		chosen[i] = l.members[t.find(int(x))]
	}
	if trace != nil {
		for i, a := start, 0; i < len(*trace); i++ {
			if (*trace)[i].Outcome == DrawAccepted {
				(*trace)[i].Prover = s.ps[chosen[a]].Address
				a++
			}
		}
	}
	return chosen
}

// commit records that chosen were assigned a workload, removing those that
// are now full from every eligible list built so far.
func (s *state) commit(chosen []int) {
	for _, i := range chosen {
		s.held[i]++
		if s.held[i] != uint64(s.ps[i].MaxConcurrent) {
			continue // still room (or, impossible for a chosen prover, already over)
		}
		for _, li := range s.classLists[s.class[i]] {
			l := s.lists[li]
			pos, found := slices.BinarySearch(l.members, i)
			if !found {
				continue // cannot happen: the list admits i's class
			}
			l.cap.add(pos, -1)
			if s.fresh[i] {
				l.fresh.add(pos, -1)
			}
		}
	}
}

func (s *state) allocate(w Workload) Assignment {
	chosen := s.pick(w, nil)
	s.commit(chosen)
	return s.assignment(w.ID, chosen)
}

func (s *state) assignment(id [32]byte, chosen []int) Assignment {
	a := Assignment{Workload: id}
	if len(chosen) > 0 {
		a.Provers = make([][20]byte, len(chosen))
		for i, c := range chosen {
			a.Provers[i] = s.ps[c].Address
		}
	}
	return a
}
