package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
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
	if err := VerifyParams(all, proof, nil); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	// With every segment sampled, any wrong digest is caught.
	for i := 12; i < len(proof); i += 7 {
		bad := bytes.Clone(proof)
		bad[i] ^= 0x80
		if err := VerifyParams(all, bad, nil); !errors.Is(err, ErrMismatch) {
			t.Fatalf("byte %d flipped: %v, want ErrMismatch", i, err)
		}
	}
	for _, bad := range [][]byte{nil, proof[:11], proof[:len(proof)-1], append(bytes.Clone(proof), 0), []byte("XXBENCH1" + string(proof[8:]))} {
		if err := VerifyParams(all, bad, nil); err == nil || progio.IsMalformed(err) {
			t.Fatalf("bad proof of %d bytes: %v, want invalid", len(bad), err)
		}
	}
	// Each parameter changes the digests.
	for _, in := range []string{
		`{"seed": "02", "memory_mib": 1, "segments": 6, "passes": 2, "samples": 6}`,
		`{"seed": "01", "memory_mib": 2, "segments": 6, "passes": 2, "samples": 6}`,
		`{"seed": "01", "memory_mib": 1, "segments": 6, "passes": 1, "samples": 6}`,
	} {
		if err := VerifyParams(params(t, in), proof, nil); !errors.Is(err, ErrMismatch) {
			t.Errorf("proof accepted for %s: %v", in, err)
		}
	}
}

func TestSampledVerify(t *testing.T) {
	p := params(t, `{"seed": "01", "memory_mib": 1, "segments": 8, "passes": 1, "samples": 2}`)
	proof := Compute(p)
	if err := VerifyParams(p, proof, nil); err != nil {
		t.Fatal(err)
	}
	s := Samples(p, proof[12:], nil)
	if len(s) != 2 || s[0] == s[1] || !slices.Equal(s, Samples(p, proof[12:], nil)) {
		t.Fatalf("samples %v", s)
	}
	// A wrong digest at a sampled index is caught (it moves the sample, so
	// look for a forgery that keeps it).
	caught := 0
	for i := 0; i < 8; i++ {
		bad := bytes.Clone(proof)
		bad[12+32*i] ^= 1
		if slices.Contains(Samples(p, bad[12:], nil), i) {
			if err := VerifyParams(p, bad, nil); !errors.Is(err, ErrMismatch) {
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

// TestBeaconDefeatsGrinding: a prover that computed two segments of 16 and
// made up the rest can grind the made-up digests until the Fiat-Shamir
// sample lands on its two (a hash a try), and passes without a beacon; the
// same proof sampled with a beacon it could not know passes about as often
// as chance allows (2 of 16, then 1 of 15).
func TestBeaconDefeatsGrinding(t *testing.T) {
	p := params(t, `{"seed": "02", "memory_mib": 1, "segments": 16, "passes": 1, "samples": 2}`)
	honest := Compute(p)
	forged := bytes.Clone(honest)
	tries := 0
	for ; ; tries++ {
		for i := 2; i < 16; i++ { // made up, re-drawn each try
			binary.BigEndian.PutUint64(forged[12+32*i:], uint64(tries)<<8|uint64(i))
		}
		s := Samples(p, forged[12:], nil)
		if s[0] < 2 && s[1] < 2 {
			break
		}
	}
	if err := VerifyParams(p, forged, nil); err != nil {
		t.Fatalf("the ground forgery should pass without a beacon (after %d tries): %v", tries, err)
	}
	passed := 0
	for b := range 200 {
		if VerifyParams(p, forged, []byte{byte(b), byte(b >> 8)}) == nil {
			passed++
		}
	}
	if passed > 10 { // expected 200 * (2/16) * (1/15), about 1.7
		t.Fatalf("the forgery passed %d of 200 beacons", passed)
	}
	if err := VerifyParams(p, honest, []byte("any beacon")); err != nil {
		t.Fatalf("the honest proof with a beacon: %v", err)
	}
	t.Logf("ground in %d tries; with a beacon it passed %d of 200", tries, passed)
}

// TestVerifyReadsTheBeaconFile: Verify takes the beacon from an input file
// named "beacon" beside the input.
func TestVerifyReadsTheBeaconFile(t *testing.T) {
	dir := t.TempDir()
	in := `{"seed": "03", "memory_mib": 1, "segments": 4, "passes": 1, "samples": 1}`
	inPath, beaconPath := filepath.Join(dir, "input.json"), filepath.Join(dir, BeaconInput)
	if err := os.WriteFile(inPath, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	p := params(t, in)
	proof := Compute(p)
	for b := range 64 {
		beacon := []byte{byte(b)}
		if err := os.WriteFile(beaconPath, beacon, 0o600); err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(proof)
		i := Samples(p, bad[12:], beacon)[0]
		bad[12+32*i] ^= 1 // breaks the sampled segment unless the sample moves
		if !slices.Equal(Samples(p, bad[12:], beacon), []int{i}) {
			continue
		}
		if err := Verify([]string{inPath, beaconPath}, bad); !errors.Is(err, ErrMismatch) {
			t.Fatalf("beacon %d: the forged sampled segment passed: %v", b, err)
		}
		if err := Verify([]string{inPath, beaconPath}, proof); err != nil {
			t.Fatalf("beacon %d: %v", b, err)
		}
		return
	}
	t.Fatal("no beacon kept the sample on the forged segment")
}
