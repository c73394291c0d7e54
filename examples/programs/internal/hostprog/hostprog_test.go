package hostprog

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/provernet/provernet/examples/programs/internal/mimcchain"
	"github.com/provernet/provernet/examples/programs/internal/progio"
	"github.com/provernet/provernet/sdk/guest"
	"github.com/provernet/provernet/sdk/zkabi"
)

var testSpec = &mimcchain.Spec{
	Name: "test", System: zkabi.Groth16, Curve: zkabi.BN254, Magic: "TESTMAG1",
	Modulus: mimcchain.MustElement(new(big.Int).Lsh(big.NewInt(1), 253).String()),
	Chain: func(x mimcchain.Element, n int) mimcchain.Element {
		return mimcchain.MustElement(new(big.Int).Add(new(big.Int).SetBytes(x[:]), big.NewInt(int64(n))).String())
	},
}

func inputs(t *testing.T, input string) []string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "input.json")
	if err := os.WriteFile(in, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"/in/cs.bin", "/in/pk.bin", "/in/vk.bin", in}
}

// TestProveBeforeHost: everything the prover checks before calling the
// host gets the contract's exit code; natively the host call itself fails
// with ErrNoHost (1, a prover failure).
func TestProveBeforeHost(t *testing.T) {
	cases := []struct {
		input string
		n     int // inputs
		want  int
	}{
		{`{"n": 3, "x": "1"}`, 3, progio.ExitMalformed},
		{`{"n": 3, "x": "1"}`, 5, progio.ExitMalformed},
		{`{"n": 3}`, 4, progio.ExitMalformed},
		{`{"n": 3, "x": "1", "y": "5"}`, 4, progio.ExitInvalid}, // 1+3 != 5
		{`{"n": 3, "x": "1", "y": "4"}`, 4, progio.ExitInvalid}, // no host
		{`{"n": 3, "x": "q"}`, 4, progio.ExitMalformed},
	}
	for _, c := range cases {
		in := inputs(t, c.input)
		for len(in) < c.n {
			in = append(in, "/in/extra")
		}
		_, err := Prove(testSpec, in[:c.n])
		if got := progio.ExitCode(err); got != c.want {
			t.Errorf("%s with %d inputs: exit %d (%v), want %d", c.input, c.n, got, err, c.want)
		}
	}
	_, err := Prove(testSpec, inputs(t, `{"n": 3, "x": "1"}`))
	if !errors.Is(err, guest.ErrNoHost) {
		t.Fatalf("natively: %v, want ErrNoHost", err)
	}
}

func TestVerifyBeforeHost(t *testing.T) {
	y := mimcchain.MustElement("4")
	good := testSpec.EncodeProof([]byte{1}, testSpec.PublicWitness(y))
	cases := []struct {
		input string
		proof []byte
		want  int
	}{
		{`{"n": 3, "y": "x"}`, good, progio.ExitMalformed},
		{`{"n": 3}`, []byte("junk"), progio.ExitInvalid},
		{`{"n": 3, "y": "5"}`, good, progio.ExitInvalid}, // another y
		{`{"n": 3, "y": "4"}`, good, progio.ExitInvalid}, // no host
		{`{"n": 3}`, good, progio.ExitInvalid},           // no host
	}
	for _, c := range cases {
		err := Verify(testSpec, inputs(t, c.input), c.proof)
		if got := progio.ExitCode(err); got != c.want {
			t.Errorf("%s: exit %d (%v), want %d", c.input, got, err, c.want)
		}
	}
	if err := Verify(testSpec, inputs(t, `{"n": 3}`)[1:], good); !progio.IsMalformed(err) {
		t.Fatalf("3 inputs: %v, want malformed", err)
	}
}

// TestHostStatuses pins how each status of the host maps to the
// contract's exit codes, for the prover and the verifier.
func TestHostStatuses(t *testing.T) {
	he := func(s zkabi.Status) error { return fmt.Errorf("call: %w", &guest.HostError{Status: s, Message: "m"}) }
	cases := []struct {
		status        zkabi.Status
		prove, verify int
	}{
		{zkabi.ErrRequest, progio.ExitHostFailure, progio.ExitHostFailure},
		{zkabi.ErrNoInput, progio.ExitMalformed, progio.ExitMalformed},
		{zkabi.ErrSystem, progio.ExitMalformed, progio.ExitMalformed},
		{zkabi.ErrKey, progio.ExitMalformed, progio.ExitMalformed},
		{zkabi.ErrWitness, progio.ExitMalformed, progio.ExitMalformed},
		{zkabi.ErrUnsatisfied, progio.ExitMalformed, progio.ExitInvalid},
		{zkabi.ErrProof, progio.ExitInvalid, progio.ExitInvalid},
		{zkabi.ErrTooLarge, progio.ExitMalformed, progio.ExitMalformed},
		{zkabi.ErrOutput, progio.ExitInvalid, progio.ExitInvalid},
		{zkabi.ErrInternal, progio.ExitHostFailure, progio.ExitHostFailure},
	}
	for _, c := range cases {
		if got := progio.ExitCode(proveError(he(c.status), 3)); got != c.prove {
			t.Errorf("prove, %v: exit %d, want %d", c.status, got, c.prove)
		}
		if got := progio.ExitCode(verifyError(he(c.status))); got != c.verify {
			t.Errorf("verify, %v: exit %d, want %d", c.status, got, c.verify)
		}
	}
	if got := progio.ExitCode(verifyError(guest.ErrInvalid)); got != progio.ExitInvalid {
		t.Errorf("verify, invalid: exit %d", got)
	}
	if verifyError(nil) != nil {
		t.Error("verify, valid: not nil")
	}
}
