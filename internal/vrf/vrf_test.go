package vrf

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"filippo.io/edwards25519"
)

// rfcVector is one ECVRF-EDWARDS25519-SHA512-TAI example of RFC 9381
// Appendix B.3 (Examples 16, 17 and 18). The keys and alphas are those of
// RFC 8032 Section 7.1, tests 1 to 3.
type rfcVector struct {
	name  string
	sk    string // SK
	pk    string // PK
	alpha string // alpha_string
	h     string // H = encode_to_curve(PK, alpha), ctr = 0 in all three
	k     string // nonce k, reduced mod q, little endian
	u     string // U = k*B
	v     string // V = k*H
	pi    string // pi = Gamma || c || s
	beta  string // beta
}

var rfcVectors = []rfcVector{
	{
		name:  "example16",
		sk:    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		pk:    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		alpha: "",
		h:     "91bbed02a99461df1ad4c6564a5f5d829d0b90cfc7903e7a5797bd658abf3318",
		k:     "8a49edbd1492a8ee09766befe50a7d563051bf3406cbffc20a88def030730f0f",
		u:     "aef27c725be964c6a9bf4c45ca8e35df258c1878b838f37d9975523f09034071",
		v:     "5016572f71466c646c119443455d6cb9b952f07d060ec8286d678615d55f954f",
		pi: "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f" +
			"26f8a57ccaed74ee1b190bed1f479d97" +
			"27d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805",
		beta: "90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff" +
			"66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae",
	},
	{
		name:  "example17",
		sk:    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		pk:    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
		alpha: "72",
		h:     "5b659fc3d4e9263fd9a4ed1d022d75eaacc20df5e09f9ea937502396598dc551",
		k:     "d8c3a66921444cb3427d5d989f9b315aa8ca3375e9ec4d52207711a1fdb44107",
		u:     "1dcb0a4821a2c48bf53548228b7f170962988f6d12f5439f31987ef41f034ab3",
		v:     "fd03c0bf498c752161bae4719105a074630a2aa5f200ff7b3995f7bfb1513423",
		pi: "f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed593" +
			"3bf0864a62558b3ed7f2fea45c92a465" +
			"301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02",
		beta: "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb" +
			"5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031",
	},
	{
		name:  "example18",
		sk:    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
		pk:    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
		alpha: "af82",
		h:     "bf4339376f5542811de615e3313d2b36f6f53c0acfebb482159711201192576a",
		k:     "5ffdbc72135d936014e8ab708585fda379405542b07e3bd2c0bd48437fbac60a",
		u:     "2bae73e15a64042fcebf062abe7e432b2eca6744f3e8265bc38e009cd577ecd5",
		v:     "88cba1cb0d4f9b649d9a86026b69de076724a93a65c349c988954f0961c5d506",
		pi: "9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf80" +
			"96bb474e53895c362d8628ee9f9ea3c0" +
			"e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e",
		beta: "645427e5d00c62a23fb703732fa5d892940935942101e456ecca7bb217c61c45" +
			"2118fec1219202a0edcf038bb6373241578be7217ba85a2687f7a0310b2df19f",
	},
}

// draft10Example16Proof is the proof of Example 16 as computed by
// draft-irtf-cfrg-vrf-10 and earlier, whose challenge hashes only four
// points (no public key). Same Gamma, different c and s: RFC 9381 must
// reject it.
const draft10Example16Proof = "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f" +
	"5e8bd1839b414219e8626d393787a192" +
	"241fc442e6569e96c462f62b8079b9ed83ff2ee21c90c7c398802fdeebea4001"

// smallOrderEncodings are canonical encodings of the eight points of order
// dividing 8; RFC 9381 Section 5.4.5 requires rejecting them as public keys.
var smallOrderEncodings = []string{
	"0100000000000000000000000000000000000000000000000000000000000000", // identity, order 1
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // (0, -1), order 2
	"0000000000000000000000000000000000000000000000000000000000000000", // order 4
	"0000000000000000000000000000000000000000000000000000000000000080", // order 4
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
}

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func TestConstants(t *testing.T) {
	if SecretKeySize != 32 || PublicKeySize != 32 || ProofSize != 80 || OutputSize != 64 {
		t.Fatalf("sizes = %d, %d, %d, %d; want 32, 32, 80, 64",
			SecretKeySize, PublicKeySize, ProofSize, OutputSize)
	}
}

func TestRFC9381Vectors(t *testing.T) {
	for _, v := range rfcVectors {
		t.Run(v.name, func(t *testing.T) {
			sk, pk, alpha := unhex(t, v.sk), unhex(t, v.pk), unhex(t, v.alpha)
			wantPi, wantBeta := unhex(t, v.pi), unhex(t, v.beta)

			gotPK, err := PublicKey(sk)
			if err != nil || !bytes.Equal(gotPK, pk) {
				t.Errorf("PublicKey = %x, %v; want %x", gotPK, err, pk)
			}
			pi, err := Prove(sk, alpha)
			if err != nil || !bytes.Equal(pi, wantPi) {
				t.Errorf("Prove = %x, %v;\nwant %x", pi, err, wantPi)
			}
			beta, err := ProofToHash(wantPi)
			if err != nil || !bytes.Equal(beta, wantBeta) {
				t.Errorf("ProofToHash = %x, %v;\nwant %x", beta, err, wantBeta)
			}
			beta, err = Verify(pk, wantPi, alpha)
			if err != nil || !bytes.Equal(beta, wantBeta) {
				t.Errorf("Verify = %x, %v;\nwant %x", beta, err, wantBeta)
			}
		})
	}
}

// TestRFC9381Intermediates checks the intermediate values H, k, U and V
// listed with each example, to localise a failure of TestRFC9381Vectors.
func TestRFC9381Intermediates(t *testing.T) {
	for _, v := range rfcVectors {
		t.Run(v.name, func(t *testing.T) {
			pk := unhex(t, v.pk)
			h, err := encodeToCurve(pk, unhex(t, v.alpha))
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Bytes(); !bytes.Equal(got, unhex(t, v.h)) {
				t.Errorf("H = %x, want %s", got, v.h)
			}
			_, prefix, err := expandSecret(unhex(t, v.sk))
			if err != nil {
				t.Fatal(err)
			}
			k := nonce(prefix, h.Bytes())
			if got := k.Bytes(); !bytes.Equal(got, unhex(t, v.k)) {
				t.Errorf("k = %x, want %s", got, v.k)
			}
			if got := new(edwards25519.Point).ScalarBaseMult(k).Bytes(); !bytes.Equal(got, unhex(t, v.u)) {
				t.Errorf("U = %x, want %s", got, v.u)
			}
			if got := new(edwards25519.Point).ScalarMult(k, h).Bytes(); !bytes.Equal(got, unhex(t, v.v)) {
				t.Errorf("V = %x, want %s", got, v.v)
			}
		})
	}
}

func TestDraft10ProofRejected(t *testing.T) {
	v := rfcVectors[0]
	_, err := Verify(unhex(t, v.pk), unhex(t, draft10Example16Proof), unhex(t, v.alpha))
	if !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("Verify(draft-10 proof) err = %v, want ErrInvalidProof", err)
	}
}

// mustReject fails the test unless Verify rejects with ErrInvalidProof.
func mustReject(t *testing.T, what string, public, pi, alpha []byte) {
	t.Helper()
	beta, err := Verify(public, pi, alpha)
	if !errors.Is(err, ErrInvalidProof) || beta != nil {
		t.Errorf("%s: Verify = %x, %v; want nil, ErrInvalidProof", what, beta, err)
	}
}

func TestVerifyRejectsBitFlips(t *testing.T) {
	for _, v := range rfcVectors {
		pk, pi, alpha := unhex(t, v.pk), unhex(t, v.pi), unhex(t, v.alpha)
		for i := range pi {
			for bit := 0; bit < 8; bit++ {
				bad := clone(pi)
				bad[i] ^= 1 << bit
				mustReject(t, v.name+": flipped proof bit", pk, bad, alpha)
			}
		}
		for i := range pk {
			bad := clone(pk)
			bad[i] ^= 0x01
			mustReject(t, v.name+": flipped public key byte", bad, pi, alpha)
		}
	}
}

func TestVerifyRejectsWrongAlphaAndKey(t *testing.T) {
	for i, v := range rfcVectors {
		pk, pi, alpha := unhex(t, v.pk), unhex(t, v.pi), unhex(t, v.alpha)
		mustReject(t, v.name+": appended byte", pk, pi, append(clone(alpha), 0))
		mustReject(t, v.name+": other message", pk, pi, []byte("another message"))
		if len(alpha) > 0 {
			bad := clone(alpha)
			bad[0] ^= 0x80
			mustReject(t, v.name+": flipped alpha bit", pk, pi, bad)
			mustReject(t, v.name+": truncated alpha", pk, pi, alpha[:len(alpha)-1])
		}
		other := rfcVectors[(i+1)%len(rfcVectors)]
		mustReject(t, v.name+": other public key", unhex(t, other.pk), pi, alpha)
		mustReject(t, v.name+": other proof", pk, unhex(t, other.pi), alpha)
	}
}

func TestVerifyRejectsWrongLengths(t *testing.T) {
	v := rfcVectors[1]
	pk, pi, alpha := unhex(t, v.pk), unhex(t, v.pi), unhex(t, v.alpha)
	for _, bad := range [][]byte{nil, {}, pi[:1], pi[:ProofSize-1], append(clone(pi), 0), append(clone(pi), pi...)} {
		mustReject(t, "proof length", pk, bad, alpha)
		if _, err := ProofToHash(bad); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("ProofToHash(%d bytes) err = %v, want ErrInvalidProof", len(bad), err)
		}
	}
	for _, bad := range [][]byte{nil, pk[:PublicKeySize-1], append(clone(pk), 0)} {
		mustReject(t, "public key length", bad, pi, alpha)
	}
}

// TestVerifyRejectsNonCanonicalS replaces s by s + L, which is the same
// scalar mod L: a verifier that reduced s instead of rejecting s >= L (RFC
// 9381 Section 5.4.4 step 6) would accept this proof.
func TestVerifyRejectsNonCanonicalS(t *testing.T) {
	order, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	for _, v := range rfcVectors {
		pk, pi, alpha := unhex(t, v.pk), unhex(t, v.pi), unhex(t, v.alpha)
		s := new(big.Int).SetBytes(reversed(pi[ptLen+cLen:]))
		s.Add(s, order)
		bad := clone(pi)
		copy(bad[ptLen+cLen:], reversed(s.FillBytes(make([]byte, qLen))))
		mustReject(t, v.name+": s + L", pk, bad, alpha)
		if _, err := ProofToHash(bad); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("%s: ProofToHash(s + L) err = %v, want ErrInvalidProof", v.name, err)
		}
		allOnes := clone(pi)
		copy(allOnes[ptLen+cLen:], bytes.Repeat([]byte{0xff}, qLen))
		mustReject(t, v.name+": s = 2^256-1", pk, allOnes, alpha)
	}
}

func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return r
}

func TestVerifyRejectsSmallOrderPublicKeys(t *testing.T) {
	identity := edwards25519.NewIdentityPoint()
	v := rfcVectors[0]
	pi, alpha := unhex(t, v.pi), unhex(t, v.alpha)
	for _, enc := range smallOrderEncodings {
		pk := unhex(t, enc)
		p, err := stringToPoint(pk)
		if err != nil {
			t.Fatalf("%s: not a valid canonical encoding: %v", enc, err)
		}
		if new(edwards25519.Point).MultByCofactor(p).Equal(identity) != 1 {
			t.Fatalf("%s: not a small-order point", enc)
		}
		mustReject(t, "small-order key "+enc, pk, pi, alpha)
	}
}

// TestIdentityKeyForgery builds a proof that passes the VRF equations for
// the identity public key (x = 0) and checks that only ECVRF_validate_key
// stands between it and acceptance.
func TestIdentityKeyForgery(t *testing.T) {
	pk := unhex(t, smallOrderEncodings[0])
	y := edwards25519.NewIdentityPoint()
	alpha := []byte("forged")

	h, err := encodeToCurve(pk, alpha)
	if err != nil {
		t.Fatal(err)
	}
	k, err := new(edwards25519.Scalar).SetUniformBytes(bytes.Repeat([]byte{7}, 64))
	if err != nil {
		t.Fatal(err)
	}
	gamma := edwards25519.NewIdentityPoint() // 0*H
	u := new(edwards25519.Point).ScalarBaseMult(k)
	vp := new(edwards25519.Point).ScalarMult(k, h)
	c := challenge(pk, h.Bytes(), gamma.Bytes(), u.Bytes(), vp.Bytes())
	pi := encodeProof(gamma, c, k) // s = k + c*0

	if _, err := verifyWithKey(y, pk, pi, alpha); err != nil {
		t.Fatalf("forged proof does not pass the equations (test is broken): %v", err)
	}
	mustReject(t, "identity key forgery", pk, pi, alpha)
}

// nonCanonicalEncodings returns encodings that edwards25519's lenient
// SetBytes accepts but RFC 8032 Section 5.1.3 rejects: y >= p, and x = 0
// with the sign bit set.
func nonCanonicalEncodings(t *testing.T) [][]byte {
	var out [][]byte
	for _, low := range []byte{0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff} {
		for _, sign := range []byte{0x00, 0x80} {
			enc := bytes.Repeat([]byte{0xff}, 32)
			enc[0] = low
			enc[31] = 0x7f | sign
			if low == 0xec && sign == 0 {
				continue // y = p-1: canonical
			}
			if _, err := new(edwards25519.Point).SetBytes(enc); err == nil {
				out = append(out, enc)
			}
		}
	}
	out = append(out, unhex(t, "0100000000000000000000000000000000000000000000000000000000000080"))
	if len(out) < 5 {
		t.Fatalf("only %d lenient non-canonical encodings found", len(out))
	}
	return out
}

func TestStringToPointStrict(t *testing.T) {
	for _, enc := range nonCanonicalEncodings(t) {
		if _, err := stringToPoint(enc); err == nil {
			t.Errorf("stringToPoint(%x) accepted a non-canonical encoding", enc)
		}
	}
	// A y with no x on the curve: y = 2 (2²-1 over 2²d+1 is a non-square).
	notOnCurve := make([]byte, 32)
	notOnCurve[0] = 2
	if _, err := new(edwards25519.Point).SetBytes(notOnCurve); err == nil {
		t.Fatal("y = 2 unexpectedly decodes; pick another off-curve value")
	}
	if _, err := stringToPoint(notOnCurve); err == nil {
		t.Error("stringToPoint accepted an off-curve encoding")
	}
	for _, v := range rfcVectors {
		if _, err := stringToPoint(unhex(t, v.pk)); err != nil {
			t.Errorf("stringToPoint(%s) = %v", v.pk, err)
		}
	}
}

func TestVerifyRejectsMalformedPoints(t *testing.T) {
	v := rfcVectors[2]
	pk, pi, alpha := unhex(t, v.pk), unhex(t, v.pi), unhex(t, v.alpha)
	notOnCurve := make([]byte, 32)
	notOnCurve[0] = 2
	bad := append([][]byte{notOnCurve, bytes.Repeat([]byte{0xff}, 32)}, nonCanonicalEncodings(t)...)
	for _, enc := range bad {
		mustReject(t, "malformed public key", enc, pi, alpha)
		withGamma := clone(pi)
		copy(withGamma, enc)
		mustReject(t, "malformed gamma", pk, withGamma, alpha)
	}
}

func TestRoundTrip(t *testing.T) {
	var prevBeta []byte
	for i := 0; i < 32; i++ {
		sk, pk, err := GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(sk) != SecretKeySize || len(pk) != PublicKeySize {
			t.Fatalf("GenerateKey sizes = %d, %d", len(sk), len(pk))
		}
		alpha := make([]byte, i*5)
		rand.Read(alpha)

		pi, err := Prove(sk, alpha)
		if err != nil {
			t.Fatal(err)
		}
		if len(pi) != ProofSize {
			t.Fatalf("len(pi) = %d", len(pi))
		}
		again, err := Prove(sk, alpha)
		if err != nil || !bytes.Equal(pi, again) {
			t.Fatalf("Prove is not deterministic: %x vs %x (%v)", pi, again, err)
		}
		beta, err := Verify(pk, pi, alpha)
		if err != nil {
			t.Fatalf("Verify(valid proof) = %v", err)
		}
		hash, err := ProofToHash(pi)
		if err != nil || !bytes.Equal(beta, hash) || len(beta) != OutputSize {
			t.Fatalf("Verify beta %x != ProofToHash %x (%v)", beta, hash, err)
		}
		if bytes.Equal(beta, prevBeta) {
			t.Fatal("two different keys and messages gave the same beta")
		}
		prevBeta = beta

		mustReject(t, "round trip: other alpha", pk, pi, append(clone(alpha), 1))
		_, otherPK, err := GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		mustReject(t, "round trip: other key", otherPK, pi, alpha)
	}
}

func TestGenerateKeyReader(t *testing.T) {
	v := rfcVectors[0]
	sk, pk, err := GenerateKey(bytes.NewReader(unhex(t, v.sk)))
	if err != nil || hex.EncodeToString(sk) != v.sk || hex.EncodeToString(pk) != v.pk {
		t.Fatalf("GenerateKey(fixed reader) = %x, %x, %v", sk, pk, err)
	}
	if _, _, err := GenerateKey(bytes.NewReader(make([]byte, SecretKeySize-1))); err == nil {
		t.Fatal("GenerateKey(short reader) succeeded")
	}
}

func TestBadSecretKey(t *testing.T) {
	for _, n := range []int{0, 16, SecretKeySize - 1, SecretKeySize + 1, 64} {
		secret := make([]byte, n)
		if pk, err := PublicKey(secret); err == nil || pk != nil || !strings.HasPrefix(err.Error(), "vrf: ") {
			t.Errorf("PublicKey(%d bytes) = %x, %v", n, pk, err)
		}
		if pi, err := Prove(secret, nil); err == nil || pi != nil || !strings.HasPrefix(err.Error(), "vrf: ") {
			t.Errorf("Prove(%d bytes) = %x, %v", n, pi, err)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	v := rfcVectors[0]
	_, err := Verify(unhex(t, smallOrderEncodings[0]), unhex(t, v.pi), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "vrf: invalid proof: ") {
		t.Errorf("Verify(identity key) error = %v", err)
	}
}

// FuzzVerify checks that Verify never panics, that every rejection wraps
// ErrInvalidProof and that an accepted proof's beta is ProofToHash(pi).
func FuzzVerify(f *testing.F) {
	for _, v := range rfcVectors {
		pk, pi, alpha := unhex(f, v.pk), unhex(f, v.pi), unhex(f, v.alpha)
		f.Add(pk, pi, alpha)
		f.Add(pk, pi, append(clone(alpha), 0))
		f.Add(pk, pi[:ProofSize-1], alpha)
	}
	f.Add(unhex(f, smallOrderEncodings[0]), make([]byte, ProofSize), []byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, ProofSize), []byte("garbage"))
	f.Add([]byte{}, []byte{}, []byte{})

	f.Fuzz(func(t *testing.T, public, pi, alpha []byte) {
		beta, err := Verify(public, pi, alpha)
		if err != nil {
			if !errors.Is(err, ErrInvalidProof) || beta != nil {
				t.Fatalf("Verify = %x, %v; want nil, ErrInvalidProof", beta, err)
			}
			return
		}
		hash, err := ProofToHash(pi)
		if err != nil || !bytes.Equal(beta, hash) || len(beta) != OutputSize {
			t.Fatalf("accepted proof: beta %x, ProofToHash %x, %v", beta, hash, err)
		}
	})
}

// FuzzProveVerify proves with a fuzzed secret key and alpha and checks that
// the proof verifies.
func FuzzProveVerify(f *testing.F) {
	for _, v := range rfcVectors {
		f.Add(unhex(f, v.sk), unhex(f, v.alpha))
	}
	f.Add(make([]byte, SecretKeySize), []byte("zero key"))
	f.Add(bytes.Repeat([]byte{0xff}, SecretKeySize), bytes.Repeat([]byte{0xaa}, 300))
	f.Add([]byte("short"), []byte{})

	f.Fuzz(func(t *testing.T, secret, alpha []byte) {
		pi, err := Prove(secret, alpha)
		if len(secret) != SecretKeySize {
			if err == nil {
				t.Fatalf("Prove accepted a %d-byte secret", len(secret))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		pk, err := PublicKey(secret)
		if err != nil {
			t.Fatal(err)
		}
		beta, err := Verify(pk, pi, alpha)
		if err != nil {
			t.Fatalf("Verify(Prove(secret, alpha)) = %v", err)
		}
		hash, err := ProofToHash(pi)
		if err != nil || !bytes.Equal(beta, hash) {
			t.Fatalf("beta %x != ProofToHash %x (%v)", beta, hash, err)
		}
	})
}

func BenchmarkProve(b *testing.B) {
	sk, _, err := GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	alpha := []byte("benchmark message")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Prove(sk, alpha); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	sk, pk, err := GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	alpha := []byte("benchmark message")
	pi, err := Prove(sk, alpha)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(pk, pi, alpha); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProofToHash(b *testing.B) {
	pi := unhex(b, rfcVectors[0].pi)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ProofToHash(pi); err != nil {
			b.Fatal(err)
		}
	}
}
