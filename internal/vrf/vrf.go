// Package vrf implements the verifiable random function
// ECVRF-EDWARDS25519-SHA512-TAI of RFC 9381 (suite string 0x03).
//
// A VRF is a keyed hash whose output can be checked by anyone holding the
// public key: Prove(SK, alpha) yields a proof pi, from which ProofToHash
// derives the output beta, and Verify(PK, pi, alpha) checks that pi was made
// by the holder of SK for alpha before returning beta.
//
// The suite is the one of RFC 9381 Section 5.5: edwards25519 with SHA-512,
// try-and-increment encode_to_curve (Section 5.4.1.1), RFC 8032 style nonce
// generation (Section 5.4.2.2) and the five-point challenge generation of
// the final RFC (Section 5.4.3, which includes the public key; the earlier
// drafts did not). Public keys are validated as in Section 5.4.5.
//
// Invariants:
//   - Prove is deterministic: the same secret key and alpha always give the
//     same proof, and the output beta depends only on the public key and alpha.
//   - Sizes are constant: secret and public keys are 32 bytes, proofs
//     80 bytes (Gamma(32) || c(16) || s(32)) and outputs 64 bytes.
//   - Verify never panics; every rejection wraps ErrInvalidProof.
//   - Point decoding is the strict RFC 8032 Section 5.1.3 decoding: non-canonical
//     encodings are rejected, so a valid proof has a single byte encoding.
package vrf

import (
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"

	"filippo.io/edwards25519"
)

const (
	// SecretKeySize is the size of the RFC's SK: an RFC 8032 private key seed.
	SecretKeySize = 32
	// PublicKeySize is the size of an encoded public key (ptLen).
	PublicKeySize = 32
	// ProofSize is the size of a proof pi = Gamma || c || s.
	ProofSize = ptLen + cLen + qLen
	// OutputSize is the size of the VRF output beta (hLen of SHA-512).
	OutputSize = sha512.Size
)

// Suite parameters, RFC 9381 Section 5.5.
const (
	suiteString = 0x03 // ECVRF-EDWARDS25519-SHA512-TAI
	ptLen       = 32   // length of an encoded point
	cLen        = 16   // length of the challenge c
	qLen        = 32   // length of an encoded scalar

	// Domain separators, RFC 9381 Sections 5.2, 5.4.1.1 and 5.4.3.
	encodeToCurveFront  = 0x01
	challengeFront      = 0x02
	proofToHashFront    = 0x03
	domainSeparatorBack = 0x00
)

// ErrInvalidProof is returned, possibly wrapped, by Verify and ProofToHash
// for every proof that does not verify or cannot be decoded.
var ErrInvalidProof = errors.New("vrf: invalid proof")

var (
	errSecretKeySize = errors.New("vrf: invalid secret key size")
	errEncodeFailed  = errors.New("vrf: encode_to_curve found no valid point")

	// Point decoding failures; always wrapped in ErrInvalidProof when returned.
	errInvalidPoint      = errors.New("invalid point encoding")
	errNonCanonicalPoint = errors.New("non-canonical point encoding")
)

// PublicKey derives the public key PK = x*B from the secret key SK, as in
// RFC 8032 Section 5.1.5 (RFC 9381 Section 5.1, step 1).
func PublicKey(secret []byte) ([]byte, error) {
	x, _, err := expandSecret(secret)
	if err != nil {
		return nil, err
	}
	return new(edwards25519.Point).ScalarBaseMult(x).Bytes(), nil
}

// GenerateKey returns a fresh key pair whose secret key is read from rand,
// or from crypto/rand if rand is nil.
func GenerateKey(rand io.Reader) (secret, public []byte, err error) {
	if rand == nil {
		rand = cryptoRand
	}
	secret = make([]byte, SecretKeySize)
	if _, err := io.ReadFull(rand, secret); err != nil {
		return nil, nil, fmt.Errorf("vrf: reading random secret key: %w", err)
	}
	public, err = PublicKey(secret)
	if err != nil {
		return nil, nil, err
	}
	return secret, public, nil
}

// cryptoRand is the default randomness source of GenerateKey.
var cryptoRand io.Reader = rand.Reader

// Prove computes the proof pi for alpha under the secret key, following
// ECVRF_prove of RFC 9381 Section 5.1.
func Prove(secret, alpha []byte) (pi []byte, err error) {
	x, prefix, err := expandSecret(secret) // step 1
	if err != nil {
		return nil, err
	}
	y := new(edwards25519.Point).ScalarBaseMult(x)
	pk := y.Bytes()

	h, err := encodeToCurve(pk, alpha) // step 2
	if err != nil {
		return nil, err
	}
	hString := h.Bytes()                                             // step 3
	gamma := new(edwards25519.Point).ScalarMult(x, h)                // step 4
	k := nonce(prefix, hString)                                      // step 5
	u := new(edwards25519.Point).ScalarBaseMult(k)                   // k*B
	v := new(edwards25519.Point).ScalarMult(k, h)                    // k*H
	c := challenge(pk, hString, gamma.Bytes(), u.Bytes(), v.Bytes()) // step 6
	s := new(edwards25519.Scalar).MultiplyAdd(c, x, k)               // step 7

	return encodeProof(gamma, c, s), nil // step 8
}

// Verify checks that pi is a valid proof for alpha under the public key and
// returns the VRF output beta, following ECVRF_verify of RFC 9381
// Section 5.3 with public key validation. Any failure wraps ErrInvalidProof.
func Verify(public, pi, alpha []byte) (beta []byte, err error) {
	y, err := validateKey(public) // step 1
	if err != nil {
		return nil, err
	}
	return verifyWithKey(y, public, pi, alpha)
}

// verifyWithKey runs steps 2 to 8 of ECVRF_verify (RFC 9381 Section 5.3)
// for a public key Y, encoded as public, that has already been validated.
func verifyWithKey(y *edwards25519.Point, public, pi, alpha []byte) ([]byte, error) {
	gamma, c, s, err := decodeProof(pi) // steps 2-3
	if err != nil {
		return nil, err
	}
	h, err := encodeToCurve(public, alpha) // step 4
	if err != nil {
		return nil, fmt.Errorf("%w: encode_to_curve found no valid point", ErrInvalidProof)
	}

	negC := new(edwards25519.Scalar).Negate(c)
	// Step 5: U = s*B - c*Y.
	u := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(negC, y, s)
	// Step 6: V = s*H - c*Gamma.
	v := new(edwards25519.Point).VarTimeMultiScalarMult(
		[]*edwards25519.Scalar{s, negC}, []*edwards25519.Point{h, gamma})

	cPrime := challenge(public, h.Bytes(), gamma.Bytes(), u.Bytes(), v.Bytes()) // step 7
	if c.Equal(cPrime) != 1 {                                                   // step 8
		return nil, fmt.Errorf("%w: challenge mismatch", ErrInvalidProof)
	}
	return gammaToHash(gamma), nil
}

// ProofToHash returns the VRF output beta of a proof, following
// ECVRF_proof_to_hash of RFC 9381 Section 5.2. It only decodes pi and does
// not verify it: use Verify for proofs from untrusted sources.
func ProofToHash(pi []byte) (beta []byte, err error) {
	gamma, _, _, err := decodeProof(pi)
	if err != nil {
		return nil, err
	}
	return gammaToHash(gamma), nil
}

// expandSecret derives the secret scalar x and the nonce prefix from SK,
// as in RFC 8032 Section 5.1.5: h = SHA-512(SK), x = clamp(h[0:32]) and the
// prefix h[32:64] is what RFC 9381 Section 5.4.2.2 calls
// truncated_hashed_sk_string.
func expandSecret(secret []byte) (x *edwards25519.Scalar, prefix []byte, err error) {
	if len(secret) != SecretKeySize {
		return nil, nil, fmt.Errorf("%w: got %d bytes, want %d", errSecretKeySize, len(secret), SecretKeySize)
	}
	h := sha512.Sum512(secret)
	x, err = new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		return nil, nil, fmt.Errorf("vrf: clamping secret scalar: %w", err)
	}
	return x, h[32:], nil
}

// encodeToCurve hashes alpha to a point of the prime-order subgroup with
// ECVRF_encode_to_curve_try_and_increment, RFC 9381 Section 5.4.1.1, using
// the encoded public key as encode_to_curve_salt.
func encodeToCurve(salt, alpha []byte) (*edwards25519.Point, error) {
	hash := sha512.New()
	for ctr := 0; ctr < 256; ctr++ {
		hash.Reset()
		hash.Write([]byte{suiteString, encodeToCurveFront})
		hash.Write(salt)
		hash.Write(alpha)
		hash.Write([]byte{byte(ctr), domainSeparatorBack})
		digest := hash.Sum(nil)

		// interpret_hash_value_as_a_point is string_to_point on the
		// first ptLen bytes (Section 5.5).
		p, err := stringToPoint(digest[:ptLen])
		if err != nil {
			continue
		}
		p.MultByCofactor(p)
		if p.Equal(edwards25519.NewIdentityPoint()) == 1 {
			continue
		}
		return p, nil
	}
	return nil, errEncodeFailed
}

// nonce derives k per RFC 9381 Section 5.4.2.2:
// k = SHA-512(truncated_hashed_sk_string || h_string) mod q.
func nonce(prefix, hString []byte) *edwards25519.Scalar {
	hash := sha512.New()
	hash.Write(prefix)
	hash.Write(hString)
	k, err := new(edwards25519.Scalar).SetUniformBytes(hash.Sum(nil))
	if err != nil {
		panic("vrf: SHA-512 output is not 64 bytes") // unreachable
	}
	return k
}

// challenge computes c from the five encoded points Y, H, Gamma, U, V per
// RFC 9381 Section 5.4.3: the first cLen bytes of
// SHA-512(suite_string || 0x02 || P1 || ... || P5 || 0x00), little endian.
func challenge(points ...[]byte) *edwards25519.Scalar {
	hash := sha512.New()
	hash.Write([]byte{suiteString, challengeFront})
	for _, p := range points {
		hash.Write(p)
	}
	hash.Write([]byte{domainSeparatorBack})
	digest := hash.Sum(nil)

	var buf [32]byte
	copy(buf[:], digest[:cLen])
	c, err := new(edwards25519.Scalar).SetCanonicalBytes(buf[:])
	if err != nil {
		panic("vrf: 128-bit challenge is not a canonical scalar") // unreachable
	}
	return c
}

// encodeProof serialises pi = point_to_string(Gamma) || int_to_string(c, cLen)
// || int_to_string(s, qLen), RFC 9381 Section 5.1 step 8.
func encodeProof(gamma *edwards25519.Point, c, s *edwards25519.Scalar) []byte {
	pi := make([]byte, 0, ProofSize)
	pi = append(pi, gamma.Bytes()...)
	pi = append(pi, c.Bytes()[:cLen]...) // c < 2^128: the high bytes are zero
	pi = append(pi, s.Bytes()...)
	return pi
}

// decodeProof parses pi into (Gamma, c, s), ECVRF_decode_proof of RFC 9381
// Section 5.4.4. It rejects wrong lengths, invalid or non-canonical Gamma
// encodings and s >= q.
func decodeProof(pi []byte) (gamma *edwards25519.Point, c, s *edwards25519.Scalar, err error) {
	if len(pi) != ProofSize {
		return nil, nil, nil, fmt.Errorf("%w: proof is %d bytes, want %d", ErrInvalidProof, len(pi), ProofSize)
	}
	gamma, err = stringToPoint(pi[:ptLen])
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: gamma: %w", ErrInvalidProof, err)
	}
	var cBuf [32]byte
	copy(cBuf[:], pi[ptLen:ptLen+cLen])
	c, err = new(edwards25519.Scalar).SetCanonicalBytes(cBuf[:])
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: challenge: %w", ErrInvalidProof, err) // unreachable
	}
	s, err = new(edwards25519.Scalar).SetCanonicalBytes(pi[ptLen+cLen:])
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: s is not a canonical scalar (s >= q)", ErrInvalidProof)
	}
	return gamma, c, s, nil
}

// validateKey decodes and checks a public key, ECVRF_validate_key of
// RFC 9381 Section 5.4.5: the encoding must be valid and the point must not
// have small order (cofactor*Y must not be the identity).
func validateKey(public []byte) (*edwards25519.Point, error) {
	if len(public) != PublicKeySize {
		return nil, fmt.Errorf("%w: public key is %d bytes, want %d", ErrInvalidProof, len(public), PublicKeySize)
	}
	y, err := stringToPoint(public)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %w", ErrInvalidProof, err)
	}
	if new(edwards25519.Point).MultByCofactor(y).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return nil, fmt.Errorf("%w: public key has small order", ErrInvalidProof)
	}
	return y, nil
}

// gammaToHash computes beta = SHA-512(suite_string || 0x03 ||
// point_to_string(cofactor*Gamma) || 0x00), RFC 9381 Section 5.2 step 5.
func gammaToHash(gamma *edwards25519.Point) []byte {
	hash := sha512.New()
	hash.Write([]byte{suiteString, proofToHashFront})
	hash.Write(new(edwards25519.Point).MultByCofactor(gamma).Bytes())
	hash.Write([]byte{domainSeparatorBack})
	return hash.Sum(nil)
}

// stringToPoint is the strict RFC 8032 Section 5.1.3 decoding required by
// RFC 9381 Section 5.5. edwards25519's SetBytes also accepts non-canonical
// encodings (y >= p, or x = 0 with the sign bit set); those are rejected
// here by requiring the decoded point to re-encode to the same bytes.
func stringToPoint(s []byte) (*edwards25519.Point, error) {
	p, err := new(edwards25519.Point).SetBytes(s)
	if err != nil {
		return nil, errInvalidPoint
	}
	if subtle.ConstantTimeCompare(p.Bytes(), s) != 1 {
		return nil, errNonCanonicalPoint
	}
	return p, nil
}
