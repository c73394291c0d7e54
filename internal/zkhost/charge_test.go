package zkhost

import (
	"math"
	"testing"

	"github.com/provernet/provernet/sdk/zkabi"
)

// TestChargeTableCoversBackends: every backend the host offers has its own
// calibrated entry; the fallback (for backends missing from the table) is
// at least every entry, field by field.
func TestChargeTableCoversBackends(t *testing.T) {
	for _, b := range Backends() {
		c, ok := chargeTable[backendKey{b.System(), b.Curve()}]
		if !ok {
			t.Errorf("%s over %s has no entry in the charge table", b.System(), b.Curve())
			continue
		}
		if c.ProveBase == 0 || c.PerG1 == 0 || c.VerifyBase == 0 || c.ParseSystem == 0 || c.PerInstruction == 0 || c.PerWire == 0 {
			t.Errorf("%s over %s: a zero coefficient prices work as free: %+v", b.System(), b.Curve(), c)
		}
		f := fallbackCoefficients
		if f.ProveBase < c.ProveBase || f.PerG1 < c.PerG1 || f.PerG2 < c.PerG2 || f.PerDomainLog < c.PerDomainLog ||
			f.VerifyBase < c.VerifyBase || f.ParseVerifyingKey < c.ParseVerifyingKey || f.PerWire < c.PerWire {
			t.Errorf("the fallback is below %s over %s", b.System(), b.Curve())
		}
	}
}

// TestChargesSaturate: hostile shapes cannot overflow a charge into a
// small number; every term only ever adds.
func TestChargesSaturate(t *testing.T) {
	huge := Shape{Constraints: math.MaxInt, Domain: math.MaxInt, Wires: math.MaxInt, G1Points: math.MaxInt, G2Points: math.MaxInt, Instructions: math.MaxInt, Calldata: math.MaxInt}
	if got := chargeProve(zkabi.Groth16, zkabi.BN254, huge); got != math.MaxInt64 {
		t.Fatalf("huge shape charged %d", got)
	}
	base := Shape{Constraints: 1 << 10, Domain: 1 << 10, Wires: 1 << 10, G1Points: 1 << 12, G2Points: 1 << 10}
	c0 := chargeProve(zkabi.PLONK, zkabi.BLS12381, base)
	for i, grow := range []func(*Shape){
		func(s *Shape) { s.Constraints++ }, func(s *Shape) { s.Domain *= 2 }, func(s *Shape) { s.Wires++ },
		func(s *Shape) { s.G1Points++ }, func(s *Shape) { s.G2Points++ }, func(s *Shape) { s.Instructions++ }, func(s *Shape) { s.Calldata++ },
	} {
		s := base
		grow(&s)
		if c := chargeProve(zkabi.PLONK, zkabi.BLS12381, s); c <= c0 {
			t.Errorf("term %d: growing it charged %d, not more than %d", i, c, c0)
		}
	}
	if chargeParse(zkabi.Groth16, zkabi.BN254, kindSystem, math.MaxUint64) != math.MaxInt64 {
		t.Fatal("parse charge overflowed")
	}
}

// TestCacheForgetsPanics: a parse that panics fails like one that errs and
// leaves nothing behind (a worker, and its cache, outlive a job).
func TestCacheForgetsPanics(t *testing.T) {
	c := NewCache(0)
	b := &fakeBackend{}
	data := []byte("cs:5")
	_, err := c.get(b, kindSystem, data, func([]byte) (Parsed, error) { panic("boom") })
	if StatusOf(err) != zkabi.ErrInternal {
		t.Fatalf("a panicking parse: %v", err)
	}
	obj, err := c.get(b, kindSystem, data, b.ParseSystem)
	if err != nil || obj.(fakeObj).n != 5 || c.Len() != 1 {
		t.Fatalf("after a panic, the same bytes parse to %v %v (%d cached)", obj, err, c.Len())
	}
}
