//go:build wasip1

package guest

import (
	"runtime"
	"unsafe"

	"github.com/provernet/provernet/sdk/zkabi"
)

// The functions of provernet_zk_v1 (zkabi's FuncProve, FuncVerify,
// FuncLastError). Pointers are passed as unsafe.Pointer, which the wasm
// ABI passes as an i32 address in linear memory; Go's GC does not move
// objects, and runtime.KeepAlive keeps the buffers alive until the call
// returns.

//go:wasmimport provernet_zk_v1 prove
func hostProve(req unsafe.Pointer, reqLen uint32, out unsafe.Pointer, outCap uint32) int64

//go:wasmimport provernet_zk_v1 verify
func hostVerify(req unsafe.Pointer, reqLen uint32) int32

//go:wasmimport provernet_zk_v1 last_error
func hostLastError(buf unsafe.Pointer, bufCap uint32) int32

func proveCall(req []byte) ([]byte, error) {
	size := proofBufSize
	for {
		out := make([]byte, size)
		n := hostProve(ptr(req), uint32(len(req)), ptr(out), uint32(len(out)))
		runtime.KeepAlive(req)
		runtime.KeepAlive(out)
		switch {
		case n >= 0 && n <= int64(len(out)):
			return out[:n:n], nil
		case n >= 0:
			// A host writing past the buffer it was given is broken.
			return nil, &HostError{Op: zkabi.OpProve, Status: zkabi.ErrInternal, Message: "proof length exceeds the buffer"}
		case zkabi.Status(n) == zkabi.ErrOutput && size < maxProofBufSize:
			size = maxProofBufSize
		default:
			return nil, statusError(zkabi.OpProve, zkabi.Status(n))
		}
	}
}

func verifyCall(req []byte) error {
	s := zkabi.Status(hostVerify(ptr(req), uint32(len(req))))
	runtime.KeepAlive(req)
	switch s {
	case zkabi.StatusValid:
		return nil
	case zkabi.StatusInvalid:
		return ErrInvalid
	}
	if s > 0 {
		// Not a status of this ABI version: treat it as a host failure
		// rather than guess a verdict.
		return &HostError{Op: zkabi.OpVerify, Status: zkabi.ErrInternal, Message: "unknown status " + s.String()}
	}
	return statusError(zkabi.OpVerify, s)
}

func lastError() string {
	buf := make([]byte, lastErrorSize)
	n := hostLastError(ptr(buf), uint32(len(buf)))
	runtime.KeepAlive(buf)
	if n <= 0 || int(n) > len(buf) {
		return ""
	}
	return string(buf[:n])
}

// ptr is the address of b's first byte (nil for an empty b: the host reads
// zero bytes there).
func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }
