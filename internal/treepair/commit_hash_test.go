package treepair_test

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/std/recursion"

	"github.com/provernet/provernet/internal/treepair"
)

// TestCommitmentHashMatchesGnark: commitmentHash is gnark's
// recursion.NewShort(BN254, BN254) as its Groth16 verifier uses it
// (write, sum, keep the first min(32, Size) bytes), on lengths around its
// 31-byte blocks.
func TestCommitmentHashMatchesGnark(t *testing.T) {
	field := ecc.BN254.ScalarField()
	for _, n := range []int{0, 1, 30, 31, 32, 62, 64, 96, 200} {
		data := bytes.Repeat([]byte{0xa5}, n)
		for i := range data {
			data[i] ^= byte(i)
		}
		h, err := recursion.NewShort(field, field)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(data)
		sum := h.Sum(nil)
		var want fr.Element
		want.SetBytes(sum[:min(fr.Bytes, h.Size())])
		if got := treepair.CommitmentHashForTest(data); got != want {
			t.Errorf("%d bytes: got %s, gnark %s", n, got.String(), want.String())
		}
	}
}
