package zkhost

import (
	"testing"

	"github.com/provernet/provernet/sdk/zkabi"
)

// The fuzz targets feed mutated serialized objects through the backend as
// the host would, with the other arguments real. Any status but
// ErrInternal is fine: ErrInternal is what a recovered panic in parsing,
// proving or verifying becomes, input the validators should have stopped
// (a recovered solver panic is ErrSystem by design, see plonkSystem.solve).
// A panic in one of gnark's goroutines kills the fuzz worker and is
// reported as a crash. Seeds are real objects of a small circuit (a 64-row
// domain) on BN254 and BLS12-381.

const plonkFuzzRounds = 20

func plonkFuzzFixtures(f *testing.F) [2]*plonkFixture {
	return [2]*plonkFixture{
		getPlonkFixture(f, zkabi.BN254, plonkFuzzRounds, 0),
		getPlonkFixture(f, zkabi.BLS12381, plonkFuzzRounds, 0),
	}
}

func plonkPick(fx [2]*plonkFixture, bls bool) *plonkFixture {
	if bls {
		return fx[1]
	}
	return fx[0]
}

func plonkNoInternal(t *testing.T, what string, err error) {
	t.Helper()
	if StatusOf(err) == zkabi.ErrInternal {
		t.Fatalf("%s: %v", what, err)
	}
}

func FuzzPlonkVerifyingKey(f *testing.F) {
	fx := plonkFuzzFixtures(f)
	for i, x := range fx {
		f.Add(i == 1, x.vkBytes)
	}
	f.Fuzz(func(t *testing.T, bls bool, vk []byte) {
		x := plonkPick(fx, bls)
		err := plonkVerifyBytes(plonkBackendFor(t, x.curve), vk, x.proof, x.public)
		plonkNoInternal(t, "verify", err)
	})
}

func FuzzPlonkProvingKey(f *testing.F) {
	fx := plonkFuzzFixtures(f)
	for i, x := range fx {
		f.Add(i == 1, x.pkBytes)
	}
	f.Fuzz(func(t *testing.T, bls bool, pk []byte) {
		x := plonkPick(fx, bls)
		_, err := plonkProveBytes(plonkBackendFor(t, x.curve), x.csBytes, pk, x.witness)
		plonkNoInternal(t, "prove", err)
	})
}

func FuzzPlonkProof(f *testing.F) {
	fx := plonkFuzzFixtures(f)
	var vks [2]Parsed
	for i, x := range fx {
		f.Add(i == 1, x.proof, x.public)
		vks[i] = plonkMustParse(f, plonkBackendFor(f, x.curve).ParseVerifyingKey, x.vkBytes)
	}
	f.Fuzz(func(t *testing.T, bls bool, proof, public []byte) {
		x, vk := plonkPick(fx, bls), vks[plonkIndex(bls)]
		b := plonkBackendFor(t, x.curve)
		err := guard(func() error {
			if _, err := b.VerifyShape(vk, proof, public); err != nil {
				return err
			}
			return b.Verify(vk, proof, public)
		})
		plonkNoInternal(t, "verify", err)
	})
}

func FuzzPlonkWitness(f *testing.F) {
	fx := plonkFuzzFixtures(f)
	var css, pks [2]Parsed
	for i, x := range fx {
		f.Add(i == 1, x.witness)
		b := plonkBackendFor(f, x.curve)
		css[i] = plonkMustParse(f, b.ParseSystem, x.csBytes)
		pks[i] = plonkMustParse(f, b.ParseProvingKey, x.pkBytes)
	}
	f.Fuzz(func(t *testing.T, bls bool, wit []byte) {
		x, i := plonkPick(fx, bls), plonkIndex(bls)
		b := plonkBackendFor(t, x.curve)
		err := guard(func() error {
			if _, err := b.ProveShape(css[i], pks[i], wit); err != nil {
				return err
			}
			_, err := b.Prove(css[i], pks[i], wit, 1)
			return err
		})
		plonkNoInternal(t, "prove", err)
	})
}

func plonkIndex(bls bool) int {
	if bls {
		return 1
	}
	return 0
}

func plonkMustParse(tb testing.TB, parse func([]byte) (Parsed, error), data []byte) Parsed {
	tb.Helper()
	p, err := parse(data)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// FuzzPlonkSystem mutates the constraint system; a mutant that still fits
// the key's domain is proven, which runs gnark's solver and prover on it.
func FuzzPlonkSystem(f *testing.F) {
	fx := plonkFuzzFixtures(f)
	for i, x := range fx {
		f.Add(i == 1, x.csBytes)
	}
	f.Fuzz(func(t *testing.T, bls bool, cs []byte) {
		x := plonkPick(fx, bls)
		_, err := plonkProveBytes(plonkBackendFor(t, x.curve), cs, x.pkBytes, x.witness)
		plonkNoInternal(t, "prove", err)
	})
}
