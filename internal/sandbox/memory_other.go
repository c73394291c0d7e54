//go:build !unix

package sandbox

import "github.com/tetratelabs/wazero/experimental"

// runMemory is wazero's own memory (a Go allocation) where there is no mmap.
type runMemory struct{}

func newRunMemory() *runMemory                             { return &runMemory{} }
func (*runMemory) allocator() experimental.MemoryAllocator { return nil }
func (*runMemory) release()                                {}
