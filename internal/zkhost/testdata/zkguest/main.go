// Command zkguest passes a request to provernet_zk_v1 untouched, for the
// host's tests: `prove /in/op /in/req [other inputs]`, where op is
// "prove", "verify", "outside" (a request range outside memory) or
// "twice" (prove, then prove again). Its proof, and its standard error,
// are "status N err MESSAGE" followed by the output bytes after a newline.
package main

import (
	"fmt"
	"os"
	"strings"
	"unsafe"
)

//go:wasmimport provernet_zk_v1 prove
func zkProve(reqPtr unsafe.Pointer, reqLen uint32, outPtr unsafe.Pointer, outCap uint32) int64

//go:wasmimport provernet_zk_v1 prove
func zkProveAt(reqPtr uint32, reqLen uint32, outPtr uint32, outCap uint32) int64

//go:wasmimport provernet_zk_v1 verify
func zkVerify(reqPtr unsafe.Pointer, reqLen uint32) int32

//go:wasmimport provernet_zk_v1 last_error
func zkLastError(ptr unsafe.Pointer, capacity uint32) int32

func main() {
	op, err := os.ReadFile(os.Args[2])
	if err != nil {
		os.Exit(2)
	}
	req, err := os.ReadFile(os.Args[3])
	if err != nil {
		os.Exit(2)
	}
	out := make([]byte, 64<<10)
	var status int64
	switch strings.TrimSpace(string(op)) {
	case "prove":
		status = zkProve(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req)), unsafe.Pointer(unsafe.SliceData(out)), uint32(len(out)))
	case "twice":
		zkProve(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req)), unsafe.Pointer(unsafe.SliceData(out)), uint32(len(out)))
		status = zkProve(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req)), unsafe.Pointer(unsafe.SliceData(out)), uint32(len(out)))
	case "verify":
		status = int64(zkVerify(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req))))
	case "outside":
		status = zkProveAt(0xFFFF0000, 1<<20, 0, 16)
	case "small":
		status = zkProve(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req)), unsafe.Pointer(unsafe.SliceData(out)), 1)
	}
	msg := make([]byte, 1024)
	n := zkLastError(unsafe.Pointer(unsafe.SliceData(msg)), uint32(len(msg)))
	res := fmt.Sprintf("status %d err %s\n", status, msg[:n])
	if status > 0 && op[0] != 'v' {
		res += string(out[:status])
	}
	os.Stderr.WriteString(res) // a verifier has no /out: the tests read stderr
	if err := os.WriteFile("/out/proof", []byte(res), 0o644); err != nil {
		os.Exit(3)
	}
}
