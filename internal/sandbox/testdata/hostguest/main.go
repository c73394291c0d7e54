// Command hostguest calls the sandbox tests' host module
// (provernet_test_v1): `prove /in/cmd`, where cmd is "charge N" (a host
// call charging N cycles), "sum" (the host sums 1 MiB of guest memory) or
// "outside" (a range outside memory). Its proof is the host's answer.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

//go:wasmimport provernet_test_v1 charge
func hostCharge(cycles uint64) uint32

//go:wasmimport provernet_test_v1 sum
func hostSum(ptr unsafe.Pointer, n uint32) uint64

//go:wasmimport provernet_test_v1 sum
func hostSumAt(ptr uint32, n uint32) uint64

func main() {
	b, err := os.ReadFile(os.Args[2])
	if err != nil {
		os.Exit(2)
	}
	f := strings.Fields(string(b))
	var out string
	switch f[0] {
	case "charge":
		n, _ := strconv.ParseUint(f[1], 10, 64)
		out = fmt.Sprint(hostCharge(n))
	case "sum":
		buf := make([]byte, 1<<20)
		for i := range buf {
			buf[i] = byte(i)
		}
		out = fmt.Sprint(hostSum(unsafe.Pointer(unsafe.SliceData(buf)), uint32(len(buf))))
	case "outside":
		out = fmt.Sprint(hostSumAt(0xFFFF0000, 1<<20))
	}
	if err := os.WriteFile("/out/proof", []byte(out), 0o644); err != nil {
		os.Exit(3)
	}
}
