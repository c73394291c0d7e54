package alloc

import (
	"testing"
)

// decode turns fuzz bytes into a block: everything an attacker could choose,
// within sizes that keep AllocateNaive cheap.
type byteReader struct {
	b []byte
}

func (r *byteReader) next() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *byteReader) hardware() Hardware {
	hw := Hardware{CPUCores: uint32(r.next() % 8), MemoryMB: uint64(r.next() % 4), DiskGB: uint64(r.next() % 3)}
	n := int(r.next() % 4)
	for range n {
		hw.GPUs = append(hw.GPUs, GPU{Model: []string{"", "A", "B"}[r.next()%3], MemoryMB: uint64(r.next() % 4)})
	}
	return hw
}

func decodeBlock(data []byte) (seed []byte, height int64, ps []Prover, ws []Workload) {
	r := &byteReader{b: data}
	seed = []byte{r.next(), r.next()}
	height = int64(r.next()%8) - 1
	np := int(r.next() % 40)
	for range np {
		p := Prover{Hardware: r.hardware(), MaxConcurrent: uint32(r.next() % 5), Active: uint32(r.next() % 6)}
		p.Address[0], p.Address[1] = r.next()%48, r.next()%2
		p.LastAllocated = int64(r.next()%8) - 1
		ps = append(ps, p)
	}
	nw := int(r.next() % 24)
	for i := range nw {
		w := Workload{K: int(int8(r.next())) % 12, MinHardware: r.hardware()}
		w.ID[0], w.ID[1] = r.next(), byte(i)
		ws = append(ws, w)
	}
	return seed, height, ps, ws
}

// FuzzAllocate: any block decodes to a valid allocation that the reference
// agrees with, and Explain agrees for every workload.
func FuzzAllocate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 5, 1, 0, 0, 0, 0, 2, 0, 1, 1, 1})
	f.Add([]byte("a fuzz seed with some bytes in it to fill a population of provers and workloads......"))
	for i := range 24 {
		g := newGen(uint64(i))
		b := make([]byte, 64+i*24)
		for j := range b {
			b[j] = byte(g.rng.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		seed, height, ps, ws := decodeBlock(data)
		out := Allocate(seed, height, ps, ws)
		checkInvariants(t, ps, ws, out)
		if err := sameAssignments(out, AllocateNaive(seed, height, ps, ws)); err != nil {
			t.Fatalf("fast vs naive: %v", err)
		}
		for j, w := range ws {
			e := Explain(seed, height, ps, ws, w.ID)
			if e.Position == j {
				if err := sameAssignments([]Assignment{e.Assignment}, out[j:j+1]); err != nil {
					t.Fatalf("explain workload %d: %v", j, err)
				}
			}
		}
	})
}
