package alloc

import (
	"encoding/binary"
	"slices"
	"strings"
)

// GPU is one graphics card as declared by a prover or required by a program.
type GPU struct {
	Model    string // exact model name; in a requirement, "" accepts any model
	MemoryMB uint64
}

// Hardware is a prover's declared hardware, or a program's minimum.
type Hardware struct {
	CPUCores uint32
	MemoryMB uint64
	DiskGB   uint64
	GPUs     []GPU
}

// Meets reports whether have satisfies the requirement need:
//
//   - have.CPUCores >= need.CPUCores, have.MemoryMB >= need.MemoryMB and
//     have.DiskGB >= need.DiskGB; and
//   - the required GPUs can be matched one-to-one to distinct GPUs of have
//     such that each matched GPU has at least the required MemoryMB and, when
//     the required Model is non-empty, exactly that Model (byte-wise equal,
//     case-sensitive). A required GPU with an empty Model accepts any model.
//     Extra GPUs are fine; a requirement with no GPUs is met by any GPUs.
//
// The order of the GPUs in either list does not matter. Meets runs in
// O(G log G) for G GPUs in total; it sorts copies and never modifies its
// arguments.
func Meets(have, need Hardware) bool {
	return have.CPUCores >= need.CPUCores && have.MemoryMB >= need.MemoryMB &&
		have.DiskGB >= need.DiskGB && gpusMeet(have.GPUs, need.GPUs)
}

// gpusMeet decides the GPU matching greedily, which is exact here:
//
// Named requirements of a model can only use GPUs of that model. Within one
// model, requirements taken in ascending memory each take the smallest free
// GPU that is large enough; this matches them whenever any matching does and
// leaves the free GPUs as large as possible (element-wise), which is all the
// any-model requirements care about. Those are then matched the same way
// against every GPU left over, whatever its model. The tests check this
// against an exhaustive bipartite matching.
func gpusMeet(have, need []GPU) bool {
	if len(need) == 0 {
		return true
	}
	if len(need) > len(have) {
		return false
	}
	h, n := sortedGPUs(have), sortedGPUs(need)
	used := make([]bool, len(h))
	i := 0
	for i < len(n) && n[i].Model == "" { // any-model requirements sort first
		i++
	}
	anyModel := n[:i]
	j := 0
	for i < len(n) {
		m := n[i].Model
		for j < len(h) && h[j].Model < m {
			j++
		}
		for ; i < len(n) && n[i].Model == m; i++ {
			for j < len(h) && h[j].Model == m && h[j].MemoryMB < n[i].MemoryMB {
				j++
			}
			if j == len(h) || h[j].Model != m {
				return false
			}
			used[j] = true
			j++
		}
	}
	free := make([]uint64, 0, len(h))
	for k, g := range h {
		if !used[k] {
			free = append(free, g.MemoryMB)
		}
	}
	slices.Sort(free)
	j = 0
	for _, g := range anyModel { // ascending memory
		for j < len(free) && free[j] < g.MemoryMB {
			j++
		}
		if j == len(free) {
			return false
		}
		j++
	}
	return true
}

// sortedGPUs returns a copy sorted by model, then memory.
func sortedGPUs(gs []GPU) []GPU {
	c := slices.Clone(gs)
	slices.SortFunc(c, compareGPU)
	return c
}

func compareGPU(a, b GPU) int {
	if c := strings.Compare(a.Model, b.Model); c != 0 {
		return c
	}
	switch {
	case a.MemoryMB < b.MemoryMB:
		return -1
	case a.MemoryMB > b.MemoryMB:
		return 1
	}
	return 0
}

// appendKey appends a canonical encoding of hw to buf: two Hardware values
// have the same key if and only if they are equal up to the order of their
// GPUs (which Meets ignores).
func appendKey(buf []byte, hw Hardware) []byte {
	buf = binary.BigEndian.AppendUint32(buf, hw.CPUCores)
	buf = binary.BigEndian.AppendUint64(buf, hw.MemoryMB)
	buf = binary.BigEndian.AppendUint64(buf, hw.DiskGB)
	gs := hw.GPUs
	if len(gs) > 1 && !slices.IsSortedFunc(gs, compareGPU) {
		gs = sortedGPUs(gs)
	}
	for _, g := range gs {
		buf = binary.AppendUvarint(buf, uint64(len(g.Model)))
		buf = append(buf, g.Model...)
		buf = binary.BigEndian.AppendUint64(buf, g.MemoryMB)
	}
	return buf
}
