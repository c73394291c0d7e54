//go:build wasip1

// Command guest is the sandbox tests' program. Its first input file names
// what to do, so one module covers the well-behaved and the hostile cases.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 3 {
		os.Exit(2)
	}
	role, inputs := os.Args[1], os.Args[2:]
	cmd, err := os.ReadFile(inputs[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "read:", err)
		os.Exit(2)
	}
	fields := strings.Fields(string(cmd))
	switch fields[0] {
	case "hash": // hash N: SHA-256 of the input iterated N times
		n, _ := strconv.Atoi(fields[1])
		sum := sha256.Sum256(cmd)
		for i := 0; i < n; i++ {
			sum = sha256.Sum256(sum[:])
		}
		if role == "verify" {
			proof, err := os.ReadFile(inputs[len(inputs)-1])
			if err != nil || string(proof) != fmt.Sprintf("%x", sum) {
				os.Exit(1)
			}
			return
		}
		write(fmt.Sprintf("%x", sum))
	case "random": // the prover's entropy, as its proof
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		write(fmt.Sprintf("%x", b))
	case "loop":
		for i := 0; ; i++ {
			if i < 0 {
				break
			}
		}
	case "membomb":
		var keep [][]byte
		for {
			keep = append(keep, make([]byte, 64<<20))
			keep[len(keep)-1][0] = 1
		}
	case "escape": // try to read the host's files and write outside /out
		for _, p := range []string{"/etc/passwd", "/in/../../etc/passwd", "/tmp/x"} {
			if _, err := os.ReadFile(p); err == nil {
				write("escaped via " + p)
				return
			}
		}
		if err := os.WriteFile("/out/other", []byte("x"), 0o600); err == nil {
			write("wrote /out/other")
			return
		}
		if err := os.WriteFile("/in/x", []byte("x"), 0o600); err == nil {
			write("wrote /in/x")
			return
		}
		write("contained")
	case "bigout":
		write(strings.Repeat("x", 4<<20))
	case "exit":
		code, _ := strconv.Atoi(fields[1])
		os.Exit(code)
	case "recurse": // recurse N: nested calls N deep
		n, _ := strconv.Atoi(fields[1])
		write(strconv.Itoa(depth(n)))
	case "noproof":
	default:
		os.Exit(2)
	}
}

func write(s string) {
	if err := os.WriteFile("/out/proof", []byte(s), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		os.Exit(3)
	}
}

//go:noinline
func depth(n int) int {
	if n == 0 {
		return 0
	}
	return depth(n-1) + 1
}
