package bench

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/provernet/provernet/examples/programs/internal/progio"
)

func params(t *testing.T, in string) Params {
	t.Helper()
	p, err := ParseInput([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProveVerify(t *testing.T) {
	all := params(t, `{"seed": "01", "memory_mib": 1, "segments": 6, "passes": 2, "samples": 6}`)
	proof := Compute(all)
	if len(proof) != len(Magic)+4+32*6 {
		t.Fatalf("proof is %d bytes", len(proof))
	}
	if !bytes.Equal(proof, Compute(all)) {
		t.Fatal("Compute is not deterministic")
	}
	if err := VerifyParams(all, proof); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	// With every segment sampled, any wrong digest is caught.
	for i := 12; i < len(proof); i += 7 {
		bad := bytes.Clone(proof)
		bad[i] ^= 0x80
		if err := VerifyParams(all, bad); !errors.Is(err, ErrMismatch) {
			t.Fatalf("byte %d flipped: %v, want ErrMismatch", i, err)
		}
	}
	for _, bad := range [][]byte{nil, proof[:11], proof[:len(proof)-1], append(bytes.Clone(proof), 0), []byte("XXBENCH1" + string(proof[8:]))} {
		if err := VerifyParams(all, bad); err == nil || progio.IsMalformed(err) {
			t.Fatalf("bad proof of %d bytes: %v, want invalid", len(bad), err)
		}
	}
	// Each parameter changes the digests.
	for _, in := range []string{
		`{"seed": "02", "memory_mib": 1, "segments": 6, "passes": 2, "samples": 6}`,
		`{"seed": "01", "memory_mib": 2, "segments": 6, "passes": 2, "samples": 6}`,
		`{"seed": "01", "memory_mib": 1, "segments": 6, "passes": 1, "samples": 6}`,
	} {
		if err := VerifyParams(params(t, in), proof); !errors.Is(err, ErrMismatch) {
			t.Errorf("proof accepted for %s: %v", in, err)
		}
	}
}

func TestSampledVerify(t *testing.T) {
	p := params(t, `{"seed": "01", "memory_mib": 1, "segments": 8, "passes": 1, "samples": 2}`)
	proof := Compute(p)
	if err := VerifyParams(p, proof); err != nil {
		t.Fatal(err)
	}
	s := Samples(p, proof[12:])
	if len(s) != 2 || s[0] == s[1] || !slices.Equal(s, Samples(p, proof[12:])) {
		t.Fatalf("samples %v", s)
	}
	// A wrong digest at a sampled index is caught (it moves the sample, so
	// look for a forgery that keeps it).
	caught := 0
	for i := 0; i < 8; i++ {
		bad := bytes.Clone(proof)
		bad[12+32*i] ^= 1
		if slices.Contains(Samples(p, bad[12:]), i) {
			if err := VerifyParams(p, bad); !errors.Is(err, ErrMismatch) {
				t.Fatalf("sampled forged segment %d accepted: %v", i, err)
			}
			caught++
		}
	}
	t.Logf("%d of 8 single-segment forgeries land in their sample", caught)
}

func TestMalformedInput(t *testing.T) {
	for _, in := range []string{
		``, `{}`, `{"seed": "01", "memory_mib": 0, "segments": 1, "passes": 1, "samples": 1}`,
		`{"seed": "01", "memory_mib": 1, "segments": 1, "passes": 1, "samples": 2}`,
		`{"seed": "01", "memory_mib": 2000, "segments": 1, "passes": 1, "samples": 1}`,
		`{"seed": "", "memory_mib": 1, "segments": 1, "passes": 1, "samples": 1}`,
		`{"seed": "01", "memory_mib": 1, "segments": 1, "passes": 1, "samples": 1, "x": 0}`,
	} {
		if _, err := ParseInput([]byte(in)); !progio.IsMalformed(err) {
			t.Errorf("input %q: %v, want malformed", in, err)
		}
	}
}

func TestSampleInput(t *testing.T) {
	in, err := os.ReadFile("input.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseInput(in); err != nil {
		t.Fatalf("sample input.json: %v", err)
	}
}
