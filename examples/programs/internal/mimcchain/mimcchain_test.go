package mimcchain

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"strings"
	"testing"

	"github.com/provernet/provernet/examples/programs/internal/progio"
	"github.com/provernet/provernet/sdk/zkabi"
)

// testSpec is a toy instance: a small modulus and a chain that adds n, so
// the tests need no curve.
var testSpec = &Spec{
	Name:    "test",
	System:  zkabi.Groth16,
	Curve:   zkabi.BN254,
	Magic:   "TESTMAG1",
	Modulus: fromBig(new(big.Int).Lsh(big.NewInt(1), 253)),
	Chain:   func(x Element, n int) Element { return fromBig(new(big.Int).Add(toBig(x), big.NewInt(int64(n)))) },
	CheckProof: func(p []byte) error {
		if len(p) != 3 {
			return errTest
		}
		return nil
	},
}

var errTest = progio.Malformedf("bad proof length")

func toBig(e Element) *big.Int { return new(big.Int).SetBytes(e[:]) }

func fromBig(v *big.Int) (e Element) {
	v.FillBytes(e[:])
	return e
}

func elem(v int64) Element { return fromBig(big.NewInt(v)) }

func TestParseInput(t *testing.T) {
	in, err := testSpec.ParseInput([]byte(`{"n": 5, "x": "0x2a", "y": "47"}`))
	if err != nil || in.N != 5 || *in.X != elem(42) || *in.Y != elem(47) {
		t.Fatalf("%+v, %v", in, err)
	}
	in, err = testSpec.ParseInput([]byte(`{"n": 1}`))
	if err != nil || in.X != nil || in.Y != nil {
		t.Fatalf("without x and y: %+v, %v", in, err)
	}
	mod := new(big.Int).Lsh(big.NewInt(1), 253).String()
	for _, s := range []string{
		``, `{}`, `[]`, `{"n": 0}`, `{"n": 4097}`, `{"n": 1, "x": "-1"}`, `{"n": 1, "x": "abc"}`,
		`{"n": 1, "x": "` + mod + `"}`, `{"n": 1, "y": "0x"}`, `{"n": 1, "z": 1}`, `{"n": 1} {}`, `{"n": "1"}`,
	} {
		if _, err := testSpec.ParseInput([]byte(s)); !progio.IsMalformed(err) {
			t.Errorf("%q: %v, want malformed", s, err)
		}
	}
}

func TestWitness(t *testing.T) {
	x, y := elem(7), elem(0x0102)
	full := testSpec.FullWitness(x, y)
	want := make([]byte, 12+64)
	binary.BigEndian.PutUint32(want[0:], 1)
	binary.BigEndian.PutUint32(want[4:], 1)
	binary.BigEndian.PutUint32(want[8:], 2)
	want[12+30], want[12+31] = 1, 2 // y first: public before secret
	want[12+63] = 7
	if !bytes.Equal(full, want) {
		t.Fatalf("full witness\n%x\nwant\n%x", full, want)
	}
	pub := testSpec.PublicWitness(y)
	if got, err := testSpec.PublicY(pub); err != nil || got != y {
		t.Fatalf("PublicY = %v, %v", got, err)
	}
	if _, err := testSpec.PublicY(full); err == nil {
		t.Fatal("PublicY accepted a full witness")
	}
	unreduced := testSpec.PublicWitness(testSpec.Modulus)
	if _, err := testSpec.PublicY(unreduced); err == nil {
		t.Fatal("PublicY accepted an unreduced element")
	}
}

func TestContainer(t *testing.T) {
	y := elem(99)
	file := testSpec.EncodeProof([]byte{1, 2, 3}, testSpec.PublicWitness(y))
	p, err := testSpec.DecodeProof(file)
	if err != nil || !bytes.Equal(p.Proof, []byte{1, 2, 3}) || p.Y != y {
		t.Fatalf("round trip: %+v, %v", p, err)
	}
	// Every truncation, extension and header change is refused.
	for n := 0; n < len(file); n++ {
		if _, err := testSpec.DecodeProof(file[:n]); err == nil {
			t.Fatalf("truncated to %d: accepted", n)
		}
	}
	if _, err := testSpec.DecodeProof(append(bytes.Clone(file), 0)); err == nil {
		t.Fatal("extended: accepted")
	}
	for _, i := range []int{0, 7, 8, 11, 15, 18, 19, 22, 26, 30} {
		bad := bytes.Clone(file)
		bad[i] ^= 0x80
		if _, err := testSpec.DecodeProof(bad); err == nil {
			t.Fatalf("byte %d flipped: accepted", i)
		}
	}
	// A hostile length is refused before anything allocates by it.
	bad := bytes.Clone(file)
	binary.BigEndian.PutUint32(bad[8:], 0xffffffff)
	if _, err := testSpec.DecodeProof(bad); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("hostile length: %v", err)
	}
	// The shape check runs, and its error means invalid even when it says
	// malformed.
	if _, err := testSpec.DecodeProof(testSpec.EncodeProof([]byte{1, 2}, testSpec.PublicWitness(y))); progio.ExitCode(err) != progio.ExitInvalid {
		t.Fatalf("wrong proof shape: %v, want invalid", err)
	}
	// Decode errors are never "malformed input": a bad proof is invalid.
	if _, err := testSpec.DecodeProof(nil); progio.ExitCode(err) != progio.ExitInvalid {
		t.Fatalf("empty proof: exit %d", progio.ExitCode(err))
	}
}
