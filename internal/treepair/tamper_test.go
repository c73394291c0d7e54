package treepair_test

import (
	"errors"
	"sync"
	"testing"

	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/provernet/provernet/internal/treepair"
)

// Offsets in a compressed proof with one commitment:
// Ar 0..32, Bs 32..96, Krs 96..128, count 128..132, C 132..164, PoK 164..196.
const (
	offAr, offBs, offKrs, offC, offPok = 0, 32, 96, 132, 164
)

func g1Bytes(p bn254.G1Affine) []byte { b := p.Bytes(); return b[:] }
func g2Bytes(p bn254.G2Affine) []byte { b := p.Bytes(); return b[:] }

// TestTamperEveryPoint (from the gnark review): every point of a proof with a commitment
// replaced by another valid point (its double, its negation, infinity):
// gnark and treepair agree, and both reject.
func TestTamperEveryPoint(t *testing.T) {
	f := fixtures[1]()
	p, err := treepair.ParseProof(f.raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.raw) != 196 {
		t.Fatalf("proof is %d bytes", len(f.raw))
	}
	var inf1 bn254.G1Affine
	var inf2 bn254.G2Affine
	dbl1 := func(q bn254.G1Affine) bn254.G1Affine { var r bn254.G1Affine; r.Double(&q); return r }
	neg1 := func(q bn254.G1Affine) bn254.G1Affine { var r bn254.G1Affine; r.Neg(&q); return r }
	neg2 := func(q bn254.G2Affine) bn254.G2Affine { var r bn254.G2Affine; r.Neg(&q); return r }
	type tc struct {
		name string
		off  int
		b    []byte
	}
	cases := []tc{
		{"Bs negated", offBs, g2Bytes(neg2(p.Bs))},
		{"Bs infinity", offBs, g2Bytes(inf2)},
		{"Ar infinity", offAr, g1Bytes(inf1)},
		{"Krs doubled", offKrs, g1Bytes(dbl1(p.Krs))},
		{"Krs infinity", offKrs, g1Bytes(inf1)},
		{"commitment doubled", offC, g1Bytes(dbl1(p.Commitments[0]))},
		{"commitment negated", offC, g1Bytes(neg1(p.Commitments[0]))},
		{"commitment infinity", offC, g1Bytes(inf1)},
		{"PoK doubled", offPok, g1Bytes(dbl1(p.CommitmentPok))},
		{"PoK infinity", offPok, g1Bytes(inf1)},
		// commitment and PoK both scaled by 2: the Pedersen PoK still holds
		// (e(2C, Gσ⁻)e(2π, G) = 1), only the Groth16 equation can catch it
		{"commitment and PoK doubled", -1, nil},
	}
	for _, c := range cases {
		bad := append([]byte{}, f.raw...)
		if c.off >= 0 {
			copy(bad[c.off:], c.b)
		} else {
			copy(bad[offC:], g1Bytes(dbl1(p.Commitments[0])))
			copy(bad[offPok:], g1Bytes(dbl1(p.CommitmentPok)))
		}
		g, o := gnarkVerify(f, bad, f.public), ours(f, bad, f.public)
		if g == nil || o == nil {
			t.Errorf("%s: gnark %v, ours %v; want both to reject", c.name, g, o)
		}

	}
}

// TestBasePokIsFree: with no commitment (the base circuit's shape),
// the proof's last point (CommitmentPok) is never checked by gnark nor by
// treepair: any valid G1 point there verifies. Proof bytes are malleable
// (proof_sha256 is not an identity of the proof); the statement is not.
func TestBasePokIsFree(t *testing.T) {
	f := fixtures[0]()
	n := len(f.raw)
	_, _, g1, _ := bn254.Generators()
	var inf bn254.G1Affine
	for name, pt := range map[string]bn254.G1Affine{"generator": g1, "infinity": inf} {
		bad := append([]byte{}, f.raw...)
		copy(bad[n-32:], g1Bytes(pt))
		g, o := gnarkVerify(f, bad, f.public), ours(f, bad, f.public)
		t.Logf("base-shaped proof, PoK := %s: gnark=%v ours=%v", name, g, o)
		if (g == nil) != (o == nil) {
			t.Errorf("disagreement")
		}
	}
}

// fixtures are the two proof shapes' fixtures, made once for this file's
// tests and fuzz targets (a setup each).
var fixtures = [2]func() fixture{
	sync.OnceValue(func() fixture { return newFixture(&testing.T{}, false) }),
	sync.OnceValue(func() fixture { return newFixture(&testing.T{}, true) }),
}

func diffFix() fixture { return fixtures[1]() }

// FuzzVerifyDifferential: any proof bytes; treepair never panics and
// accepts exactly what gnark accepts.
func FuzzVerifyDifferential(f *testing.F) {
	fx := diffFix()
	f.Add(fx.raw, uint8(0))
	f.Add(fx.raw[:164], uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, pub uint8) {
		public := append([]fr.Element{}, fx.public...)
		if pub&1 == 1 {
			public[int(pub>>1)%len(public)].SetUint64(uint64(pub))
		}
		o := ours(fx, raw, public)
		if o == nil {
			if g := gnarkVerify(fx, raw, public); g != nil {
				t.Fatalf("treepair accepts, gnark rejects: %v", g)
			}
		} else if errors.Is(o, treepair.ErrInvalid) {
			if g := gnarkVerify(fx, raw, public); g == nil {
				t.Fatalf("gnark accepts, treepair rejects: %v", o)
			}
		}
	})
}

// FuzzParse: the parsers never panic on any bytes.
func FuzzParse(f *testing.F) {
	fx := diffFix()
	f.Add(fx.raw)
	f.Add(fx.vkRaw)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = treepair.ParseProof(b)
		if vk, err := treepair.ParseVerifyingKey(b); err == nil {
			if p, err := treepair.ParseProof(fx.raw); err == nil {
				pub := make([]fr.Element, max(0, vk.NumPublic()))
				_ = treepair.Verify(vk, p, pub)
			}
		}
	})
}

// BenchmarkParseVerifyingKey: the key's parsing alone (the chain now
// parses each key once and keeps it, internal/protocol/tree_gnark.go).
func BenchmarkParseVerifyingKey(b *testing.B) {
	f := newFixture(&testing.T{}, true)
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := treepair.ParseVerifyingKey(f.vkRaw); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
}

// TestCheckBinding: the fixtures' keys bind their public inputs; a key
// whose gamma equals its delta, whose public input's point is the point
// at infinity or shared with another input's, or with another count of
// commitments than its level's circuit, is refused.
func TestCheckBinding(t *testing.T) {
	for want, fx := range fixtures {
		f, commit := fx(), want == 1
		parse := func() *treepair.VerifyingKey {
			vk, err := treepair.ParseVerifyingKey(f.vkRaw)
			if err != nil {
				t.Fatal(err)
			}
			return vk
		}
		if err := parse().CheckBinding(want); err != nil {
			t.Fatalf("commit %v: the fixture's key: %v", commit, err)
		}
		if err := parse().CheckBinding(1 - want); err == nil {
			t.Errorf("commit %v: a key with another count of commitments passed", commit)
		}
		vk := parse()
		vk.DeltaNeg = vk.GammaNeg
		if err := vk.CheckBinding(want); err == nil {
			t.Errorf("commit %v: gamma = delta passed", commit)
		}
		vk = parse()
		vk.K[1] = bn254.G1Affine{}
		if err := vk.CheckBinding(want); err == nil {
			t.Errorf("commit %v: a public input at infinity passed", commit)
		}
		vk = parse()
		vk.K[3] = vk.K[2]
		if err := vk.CheckBinding(want); err == nil {
			t.Errorf("commit %v: two public inputs sharing a point passed", commit)
		}
	}
}
