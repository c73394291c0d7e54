//go:build unix

package sandbox

import (
	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sys/unix"
)

// runMemory backs one run's linear memory with an anonymous mapping of its
// maximum size (the runner sets capacity from the maximum). The kernel
// hands out zeroed pages as the program touches them, so a run pays
// neither for zeroing memory it never uses nor for moving it as it grows.
//
// With wazero's default, the whole maximum (2 GiB) was one Go allocation,
// and when the runtime had to zero it (a span it reused rather than fresh
// pages) a 0.35 s verification took 2 to 6 s and 2.2 GB of resident memory:
// a third of Groth16 verifier runs on the development machine.
//
// wazero frees a module's memory when the module closes, and a program's
// proc_exit closes it from inside a host call, with the program still on
// the stack; so Free only marks the mapping, and the run unmaps it once
// its call has returned (release).
type runMemory struct{ maps []*mappedMemory }

func newRunMemory() *runMemory { return &runMemory{} }

func (r *runMemory) allocator() experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(capacity, maximum uint64) experimental.LinearMemory {
		size := max(capacity, maximum)
		b, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
		if err != nil {
			return &heapMemory{buf: make([]byte, capacity, size)}
		}
		m := &mappedMemory{buf: b}
		r.maps = append(r.maps, m)
		return m
	})
}

// release unmaps the run's memory; the run's module is closed and its call
// has returned.
func (r *runMemory) release() {
	for _, m := range r.maps {
		_ = unix.Munmap(m.buf)
		m.buf = nil
	}
	r.maps = nil
}

// mappedMemory is a linear memory in an anonymous mapping that never moves.
type mappedMemory struct{ buf []byte }

func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	return m.buf[:size:size]
}

// Free does nothing: the run unmaps its memory itself (release).
func (m *mappedMemory) Free() {}
