// Command sha256prog is the test program of package meter: it hashes its
// standard input, then hashes the digest again N times (N from its first
// argument), and prints the final digest in hex. Its control flow does not
// depend on the data, so its instruction count is exactly affine in N for
// arguments of equal length.
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"strconv"
)

func main() {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	h := sha256.Sum256(in)
	for i := 0; i < n; i++ {
		h = sha256.Sum256(h[:])
	}
	fmt.Printf("%x\n", h)
}
