package wire

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/provernet/provernet/wire/address"
)

var update = flag.Bool("update", false, "rewrite testdata/ids.txt from the code (review the diff: ids are part of the wire contract)")

const idsFile = "testdata/ids.txt"

// TestIDVectors pins WorkloadID and ProgramID for fixed inputs: a client
// computes a Run's workload id before sending it, and a program's id names
// it on chain, so neither may change without every party changing with it.
// -update rewrites the file; the diff is the review.
func TestIDVectors(t *testing.T) {
	got := renderIDs()
	if *update {
		if err := os.WriteFile(idsFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(idsFile)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the code (if intended, run go test ./wire -run TestIDVectors -update and review the diff):\n--- file\n%s\n--- code\n%s",
			idsFile, want, got)
	}
}

func renderIDs() string {
	var b strings.Builder
	b.WriteString("# WorkloadID(sender, nonce, index) and ProgramID(prover, verifier) for fixed inputs\n")
	b.WriteString("# (TestIDVectors). Regenerate with: go test ./wire -run TestIDVectors -update\n")
	senders := []address.Address{{}, address.FromPublicKey(sha256Of("sender"))}
	for i := range senders[0] {
		senders[0][i] = byte(i + 1)
	}
	for _, s := range senders {
		for _, c := range []struct {
			nonce uint64
			index int
		}{{0, 0}, {1, 0}, {1, 1}, {math.MaxUint64, math.MaxUint32}} {
			fmt.Fprintf(&b, "workload sender=%x nonce=%d index=%d id=%x\n", s[:], c.nonce, c.index, WorkloadID(s, c.nonce, c.index))
		}
	}
	for _, c := range []struct{ prover, verifier []byte }{
		{sha256Of("prover"), sha256Of("verifier")},
		{nil, sha256Of("verifier")}, // verifier-only
		{sha256Of("verifier"), sha256Of("prover")},
	} {
		fmt.Fprintf(&b, "program prover=%x verifier=%x id=%x\n", c.prover, c.verifier, ProgramID(c.prover, c.verifier))
	}
	return b.String()
}

func sha256Of(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// TestIDsSeparate checks what the vectors only show: every input field
// moves the id, the module order matters, and an absent prover module
// hashes as 32 zero bytes.
func TestIDsSeparate(t *testing.T) {
	var a, b address.Address
	b[19] = 1
	ids := [][]byte{
		WorkloadID(a, 0, 0), WorkloadID(b, 0, 0), WorkloadID(a, 1, 0), WorkloadID(a, 0, 1),
		ProgramID(sha256Of("p"), sha256Of("v")), ProgramID(sha256Of("v"), sha256Of("p")), ProgramID(nil, sha256Of("v")),
	}
	for i := range ids {
		if len(ids[i]) != sha256.Size {
			t.Fatalf("id %d is %d bytes", i, len(ids[i]))
		}
		for j := range i {
			if bytes.Equal(ids[i], ids[j]) {
				t.Errorf("ids %d and %d are equal: %x", i, j, ids[i])
			}
		}
	}
	if !bytes.Equal(ProgramID(nil, sha256Of("v")), ProgramID(make([]byte, sha256.Size), sha256Of("v"))) {
		t.Error("an absent prover module must hash as 32 zero bytes")
	}
}
