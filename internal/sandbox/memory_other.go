//go:build !unix

package sandbox

import "github.com/tetratelabs/wazero/experimental"

// memoryAllocator is wazero's own (a Go allocation) where there is no mmap.
var memoryAllocator experimental.MemoryAllocator
