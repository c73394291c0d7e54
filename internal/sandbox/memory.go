package sandbox

// heapMemory is a linear memory in the Go heap: the fallback when a
// mapping cannot be made, and what wazero itself does.
type heapMemory struct{ buf []byte }

func (m *heapMemory) Reallocate(size uint64) []byte {
	if size > uint64(cap(m.buf)) {
		return nil
	}
	return m.buf[:size]
}

func (m *heapMemory) Free() { m.buf = nil }
