package treepair

import (
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/mimc"
)

// commitmentHash is the hash-to-field of a BSB22 commitment that gnark's
// in-circuit Groth16 verifier computes, natively: gnark's
// std/recursion.NewShort(BN254, BN254). Its input bytes are cut into
// blocks of 31, each left-padded with a zero byte to a scalar and fed to
// MiMC (the last block padded on the right with zeros); the result is the
// last 31 bytes of MiMC's output, read as a scalar. A node proof's
// commitment must be hashed so for its parent's circuit to verify it, and
// so the chain hashes it the same way (GetNativeVerifierOptions in gnark).
func commitmentHash(data []byte) fr.Element {
	const chunk = fr.Bytes - 1
	h := mimc.NewMiMC()
	var block [fr.Bytes]byte
	for len(data) >= chunk {
		copy(block[1:], data[:chunk])
		_, _ = h.Write(block[:]) // below 2^248: a canonical scalar
		data = data[chunk:]
	}
	block = [fr.Bytes]byte{}
	copy(block[1:], data)
	_, _ = h.Write(block[:])
	sum := h.Sum(nil)
	var e fr.Element
	e.SetBytes(sum[len(sum)-chunk:])
	return e
}
