package zkhost

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"strings"
	"testing"

	fftbls12377 "github.com/consensys/gnark-crypto/ecc/bls12-377/fr/fft"
	fftbls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381/fr/fft"
	fftbn254 "github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	fftbw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761/fr/fft"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"

	"github.com/provernet/provernet/sdk/zkabi"
)

// The chain circuit of plonkTestRounds rounds has a few hundred
// constraints (a 512-row domain).
const plonkTestRounds = 150

var plonkTestCurves = []zkabi.Curve{zkabi.BN254, zkabi.BLS12381}

func plonkWantStatus(t *testing.T, err error, want zkabi.Status) {
	t.Helper()
	if got := StatusOf(err); got != want {
		t.Fatalf("status %v (%d), want %v (%d); err: %v", got, got, want, want, err)
	}
}

func TestPlonkProveVerify(t *testing.T) {
	for _, curve := range plonkTestCurves {
		t.Run(curve.String(), func(t *testing.T) {
			f := getPlonkFixture(t, curve, plonkTestRounds, 0)
			b := plonkBackendFor(t, curve)
			proof, err := plonkProveBytes(b, f.csBytes, f.pkBytes, f.witness)
			if err != nil {
				t.Fatalf("prove: %v", err)
			}
			if err := plonkVerifyBytes(b, f.vkBytes, proof, f.public); err != nil {
				t.Fatalf("backend verify: %v", err)
			}
			// natively with gnark
			p := plonk.NewProof(f.id)
			if _, err := p.ReadFrom(bytes.NewReader(proof)); err != nil {
				t.Fatal(err)
			}
			_, pub, err := plonkChainWitness(f.id, f.rounds, f.k, 3, 5, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := plonk.Verify(p, f.vk, pub); err != nil {
				t.Fatalf("gnark verify: %v", err)
			}
			// and gnark's own proof through the backend
			if err := plonkVerifyBytes(b, f.vkBytes, f.proof, f.public); err != nil {
				t.Fatalf("backend verify of gnark's proof: %v", err)
			}
		})
	}
}

func TestPlonkConcurrentProofs(t *testing.T) {
	// the host's cache shares parsed systems and keys between calls
	f := getPlonkFixture(t, zkabi.BN254, plonkTestRounds, 0)
	b := plonkBackendFor(t, zkabi.BN254)
	cs, err := b.ParseSystem(f.csBytes)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := b.ParseProvingKey(f.pkBytes)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 3)
	for range cap(errs) {
		go func() {
			proof, err := b.Prove(cs, pk, f.witness, 1)
			if err == nil {
				err = plonkVerifyBytes(b, f.vkBytes, proof, f.public)
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestPlonkLegacyKeys(t *testing.T) {
	// gnark still reads keys written before the version header; so do we
	f := getPlonkFixture(t, zkabi.BN254, plonkTestRounds, 0)
	b := plonkBackendFor(t, zkabi.BN254)
	proof, err := plonkProveBytes(b, f.csBytes, f.pkBytes[16:], f.witness)
	if err != nil {
		t.Fatalf("prove with a legacy key: %v", err)
	}
	if err := plonkVerifyBytes(b, f.vkBytes[16:], proof, f.public); err != nil {
		t.Fatalf("verify with a legacy key: %v", err)
	}
}

func TestPlonkOtherCurves(t *testing.T) {
	if testing.Short() {
		t.Skip("slow curves")
	}
	for _, curve := range []zkabi.Curve{zkabi.BLS12377, zkabi.BW6761} {
		t.Run(curve.String(), func(t *testing.T) {
			f := getPlonkFixture(t, curve, 20, 0)
			b := plonkBackendFor(t, curve)
			proof, err := plonkProveBytes(b, f.csBytes, f.pkBytes, f.witness)
			if err != nil {
				t.Fatalf("prove: %v", err)
			}
			if err := plonkVerifyBytes(b, f.vkBytes, proof, f.public); err != nil {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

func TestPlonkTinyCircuits(t *testing.T) {
	// domains of 4 and 2 rows: gnark's quotient domain takes a special
	// size below 6 rows
	b := plonkBackendFor(t, zkabi.BN254)
	for _, c := range []struct{ circuit, assignment frontend.Circuit }{
		{&plonkSquare{}, &plonkSquare{X: 9, W: 3}},
		{&plonkSquareSecret{}, &plonkSquareSecret{W: 3}},
	} {
		cs, pk, vk, full, public := plonkSetupBytes(t, plonkBN254.id, c.circuit, c.assignment)
		proof, err := plonkProveBytes(b, cs, pk, full)
		if err != nil {
			t.Fatalf("%T: prove: %v", c.circuit, err)
		}
		if err := plonkVerifyBytes(b, vk, proof, public); err != nil {
			t.Fatalf("%T: verify: %v", c.circuit, err)
		}
	}
}

func TestPlonkShape(t *testing.T) {
	f := getPlonkFixture(t, zkabi.BN254, plonkTestRounds, 0)
	b := plonkBackendFor(t, zkabi.BN254)
	cs, err := b.ParseSystem(f.csBytes)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := b.ParseProvingKey(f.pkBytes)
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.ProveShape(cs, pk, f.witness)
	if err != nil {
		t.Fatal(err)
	}
	n := f.cs.GetNbConstraints()
	if s.Constraints != n || s.Public != 2 || s.Domain != 512 || s.G1Points != 10*512+18 || s.G2Points != 0 {
		t.Fatalf("shape %+v (constraints %d)", s, n)
	}
	if s.Wires != f.cs.GetNbInternalVariables()+3 {
		t.Fatalf("wires %d", s.Wires)
	}
	if pk.MemSize() < int64(len(f.pkBytes)) || cs.MemSize() < int64(len(f.csBytes)) {
		t.Fatalf("mem sizes pk %d cs %d", pk.MemSize(), cs.MemSize())
	}
	vk, err := b.ParseVerifyingKey(f.vkBytes)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := b.VerifyShape(vk, f.proof, f.public)
	if err != nil {
		t.Fatal(err)
	}
	if vs.Domain != 512 || vs.Public != 2 || vs.G1Points != plonkVerifyG1Points {
		t.Fatalf("verify shape %+v", vs)
	}
}

func TestPlonkWrongStatement(t *testing.T) {
	for _, curve := range plonkTestCurves {
		t.Run(curve.String(), func(t *testing.T) {
			f := getPlonkFixture(t, curve, plonkTestRounds, 0)
			b := plonkBackendFor(t, curve)
			y := plonkChainOutput(f.id, f.rounds, f.k, 3, 5)
			_, pub, err := plonkChainWitness(f.id, f.rounds, f.k, 3, 5, y.Add(y, big.NewInt(1)))
			if err != nil {
				t.Fatal(err)
			}
			err = plonkVerifyBytes(b, f.vkBytes, f.proof, plonkMarshalWitness(t, pub))
			plonkWantStatus(t, err, zkabi.StatusInvalid)
		})
	}
}

func TestPlonkUnsatisfied(t *testing.T) {
	for _, curve := range plonkTestCurves {
		t.Run(curve.String(), func(t *testing.T) {
			f := getPlonkFixture(t, curve, plonkTestRounds, 0)
			b := plonkBackendFor(t, curve)
			full, _, err := plonkChainWitness(f.id, f.rounds, f.k, 3, 5, big.NewInt(7))
			if err != nil {
				t.Fatal(err)
			}
			_, err = plonkProveBytes(b, f.csBytes, f.pkBytes, plonkMarshalWitness(t, full))
			plonkWantStatus(t, err, zkabi.ErrUnsatisfied)
		})
	}
}

func TestPlonkKeysOfAnotherCircuit(t *testing.T) {
	f := getPlonkFixture(t, zkabi.BN254, plonkTestRounds, 0)
	b := plonkBackendFor(t, zkabi.BN254)
	t.Run("other size", func(t *testing.T) {
		g := getPlonkFixture(t, zkabi.BN254, 20, 0)
		_, err := plonkProveBytes(b, f.csBytes, g.pkBytes, f.witness)
		plonkWantStatus(t, err, zkabi.ErrKey)
		err = plonkVerifyBytes(b, g.vkBytes, f.proof, f.public)
		plonkWantStatus(t, err, zkabi.StatusInvalid)
	})
	t.Run("same size", func(t *testing.T) {
		// same domain and public inputs, different constants: only the
		// post-prove self-check can tell
		g := getPlonkFixture(t, zkabi.BN254, plonkTestRounds, 1)
		_, err := plonkProveBytes(b, f.csBytes, g.pkBytes, f.witness)
		plonkWantStatus(t, err, zkabi.ErrKey)
		err = plonkVerifyBytes(b, g.vkBytes, f.proof, f.public)
		plonkWantStatus(t, err, zkabi.StatusInvalid)
	})
	t.Run("other curve", func(t *testing.T) {
		g := getPlonkFixture(t, zkabi.BLS12381, plonkTestRounds, 0)
		_, err := plonkProveBytes(b, f.csBytes, g.pkBytes, f.witness)
		plonkWantStatus(t, err, zkabi.ErrKey)
		err = plonkVerifyBytes(b, g.vkBytes, f.proof, f.public)
		plonkWantStatus(t, err, zkabi.ErrKey)
	})
}

func TestPlonkRefusesCommitments(t *testing.T) {
	cs, err := frontend.Compile(plonkBN254.id.ScalarField(), scs.NewBuilder, &plonkCommitted{})
	if err != nil {
		t.Fatal(err)
	}
	b := plonkBackendFor(t, zkabi.BN254)
	_, err = b.ParseSystem(plonkMustWrite(cs.WriteTo))
	plonkWantStatus(t, err, zkabi.ErrSystem)
	if !strings.Contains(err.Error(), "commitments not supported by provernet_zk_v1") {
		t.Fatalf("message: %v", err)
	}
}

func TestPlonkRefusesCompressedProvingKey(t *testing.T) {
	f := getPlonkFixture(t, zkabi.BN254, plonkTestRounds, 0)
	_, err := plonkBackendFor(t, zkabi.BN254).ParseProvingKey(plonkMustWrite(f.pk.WriteTo))
	plonkWantStatus(t, err, zkabi.ErrKey)
}

func TestPlonkRefusesOtherSystems(t *testing.T) {
	f := getPlonkFixture(t, zkabi.BN254, plonkTestRounds, 0)
	_, err := plonkBackendFor(t, zkabi.BLS12381).ParseSystem(f.csBytes)
	plonkWantStatus(t, err, zkabi.ErrSystem)

	r, err := frontend.Compile(plonkBN254.id.ScalarField(), r1cs.NewBuilder, &plonkChain{Rounds: 10})
	if err != nil {
		t.Fatal(err)
	}
	_, err = plonkBackendFor(t, zkabi.BN254).ParseSystem(plonkMustWrite(r.WriteTo))
	plonkWantStatus(t, err, zkabi.ErrSystem)
}

func TestPlonkEncodingConstants(t *testing.T) {
	for _, c := range []*plonkCurve{plonkBN254, plonkBLS12381, plonkBLS12377, plonkBW6761} {
		// the quotient domain (4× the largest) must have roots of unity
		top := uint64(4) << c.enc.maxLogDomain
		if c.enc.maxLogDomain < maxLogDomain {
			if err := plonkGenerator(c, top*2); err == nil {
				t.Errorf("%s: maxLogDomain %d is below what the field allows", c.curve, c.enc.maxLogDomain)
			}
		}
		if err := plonkGenerator(c, top); err != nil {
			t.Errorf("%s: no root of unity of order %d: %v", c.curve, top, err)
		}
	}
	// the walk's view of a verifying key matches gnark's writer
	for _, curve := range plonkTestCurves {
		f := getPlonkFixture(t, curve, plonkTestRounds, 0)
		enc := &plonkBackendFor(t, curve).(*plonkBackend).c.enc
		off := plonkKeyOffsets(enc, false)
		if got := binary.BigEndian.Uint32(f.vkBytes[off.commitIdx:]); got != 0 || off.commitIdx+4 != len(f.vkBytes) {
			t.Errorf("%s: commitment plonkIndex offset %d of %d bytes", curve, off.commitIdx, len(f.vkBytes))
		}
	}
}

// plonkGenerator asks the curve's fft for a root of unity of order n.
func plonkGenerator(c *plonkCurve, n uint64) error {
	switch c.curve {
	case zkabi.BN254:
		_, err := fftbn254.Generator(n)
		return err
	case zkabi.BLS12381:
		_, err := fftbls12381.Generator(n)
		return err
	case zkabi.BLS12377:
		_, err := fftbls12377.Generator(n)
		return err
	}
	_, err := fftbw6761.Generator(n)
	return err
}

func TestPlonkDomainLimits(t *testing.T) {
	f := getPlonkFixture(t, zkabi.BN254, plonkTestRounds, 0)
	b := plonkBackendFor(t, zkabi.BN254)
	for _, tc := range []struct {
		size uint64
		want zkabi.Status
	}{
		{1 << 27, zkabi.ErrTooLarge}, // BN254's quotient domain would need 2^29
		{1 << 40, zkabi.ErrTooLarge},
		{511, zkabi.ErrKey},
		{0x8000000000000001, zkabi.ErrKey},
		{1, zkabi.ErrKey},
	} {
		vk := bytes.Clone(f.vkBytes)
		binary.BigEndian.PutUint64(vk[16:], tc.size)
		_, err := b.ParseVerifyingKey(vk)
		plonkWantStatus(t, err, tc.want)
		pk := bytes.Clone(f.pkBytes)
		binary.BigEndian.PutUint64(pk[16:], tc.size)
		_, err = b.ParseProvingKey(pk)
		plonkWantStatus(t, err, tc.want)
	}
}

// plonkMutation is a change to serialized bytes.
type plonkMutation struct {
	name string
	fn   func([]byte) []byte
}

func plonkTruncate(n int) func([]byte) []byte {
	return func(b []byte) []byte { return bytes.Clone(b[:min(n, len(b))]) }
}

func plonkCut(n int) func([]byte) []byte {
	return func(b []byte) []byte { return bytes.Clone(b[:max(len(b)-n, 0)]) }
}

func plonkFlip(off int, bit uint) func([]byte) []byte {
	return func(b []byte) []byte {
		b = bytes.Clone(b)
		if off < 0 {
			off += len(b)
		}
		b[off] ^= 1 << bit
		return b
	}
}

func plonkPutU32(off int, v uint32) func([]byte) []byte {
	return func(b []byte) []byte {
		b = bytes.Clone(b)
		binary.BigEndian.PutUint32(b[off:], v)
		return b
	}
}

func plonkPutU64(off int, v uint64) func([]byte) []byte {
	return func(b []byte) []byte {
		b = bytes.Clone(b)
		binary.BigEndian.PutUint64(b[off:], v)
		return b
	}
}

func plonkAppendBytes(extra ...byte) func([]byte) []byte {
	return func(b []byte) []byte { return append(bytes.Clone(b), extra...) }
}

// plonkStatusIn fails unless err's status is one of want.
func plonkStatusIn(t *testing.T, name string, err error, want ...zkabi.Status) {
	t.Helper()
	got := StatusOf(err)
	for _, w := range want {
		if got == w {
			if testing.Verbose() {
				t.Logf("%s: %v", name, err)
			}
			return
		}
	}
	t.Errorf("%s: status %v, want one of %v; err: %v", name, got, want, err)
}

func TestPlonkMutations(t *testing.T) {
	for _, curve := range plonkTestCurves {
		t.Run(curve.String(), func(t *testing.T) {
			f := getPlonkFixture(t, curve, plonkTestRounds, 0)
			b := plonkBackendFor(t, curve)
			enc := &b.(*plonkBackend).c.enc
			testPlonkVKMutations(t, b, f, enc)
			testPlonkPKMutations(t, b, f, enc)
			testPlonkProofMutations(t, b, f, enc)
			testPlonkWitnessMutations(t, b, f)
		})
	}
}

func testPlonkVKMutations(t *testing.T, b Backend, f *plonkFixture, enc *plonkEncoding) {
	off := plonkKeyOffsets(enc, false)
	linesAt := off.commitIdx - enc.linesBytes
	exact := []plonkMutation{
		{"empty", plonkTruncate(0)},
		{"short header", plonkTruncate(12)},
		{"truncated in S", plonkTruncate(off.qcp - 3)},
		{"truncated in lines", plonkTruncate(linesAt + 100)},
		{"last byte cut", plonkCut(1)},
		{"trailing byte", plonkAppendBytes(0)},
		{"version 2", plonkPutU64(8, 2)},
		{"public > domain", plonkPutU64(24+2*enc.frBytes, 513)},
		{"qcp length inflated", plonkPutU32(off.qcp, 0xffffffff)},
		{"qcp length +1", plonkPutU32(off.qcp, 1)},
		{"commit idx inflated", plonkPutU32(off.commitIdx, 0xffffffff)},
		{"commit idx 1", plonkPutU32(off.commitIdx, 1)},
		{"sizeInv not reduced", func(b []byte) []byte {
			b = bytes.Clone(b)
			copy(b[24:24+enc.frBytes], bytes.Repeat([]byte{0xff}, enc.frBytes))
			return b
		}},
		{"generator off", plonkFlip(24+2*enc.frBytes-1, 0)},
		{"coset shift off", plonkFlip(32+3*enc.frBytes-1, 1)},
		{"lines off", plonkFlip(linesAt+40, 3)},
	}
	for _, m := range exact {
		_, err := b.ParseVerifyingKey(m.fn(f.vkBytes))
		plonkStatusIn(t, "vk "+m.name, err, zkabi.ErrKey)
	}
	// a commitment selector backed by bytes: refused as a system feature
	withQcp := func(v []byte) []byte {
		out := append(bytes.Clone(v[:off.qcp]), 0, 0, 0, 1)
		out = append(out, v[off.qcp+4:off.qcp+4+enc.g1Compressed]...) // some valid point
		out = append(out, v[off.qcp+4:off.commitIdx]...)
		return append(out, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7)
	}
	_, err := b.ParseVerifyingKey(withQcp(f.vkBytes))
	plonkStatusIn(t, "vk with commitment", err, zkabi.ErrSystem)

	// bit flips anywhere: a clean refusal, or a key that fails to verify
	for i := 0; i < len(f.vkBytes); i += 97 {
		err := plonkVerifyBytes(b, plonkFlip(i, uint(i%8))(f.vkBytes), f.proof, f.public)
		plonkStatusIn(t, "vk flip", err, zkabi.ErrKey, zkabi.StatusInvalid, zkabi.ErrTooLarge)
	}
}

func testPlonkPKMutations(t *testing.T, b Backend, f *plonkFixture, enc *plonkEncoding) {
	off := plonkKeyOffsets(enc, true)
	srs := off.commitIdx + 4
	lagrange := srs + 4 + (512+3)*enc.g1Raw
	exact := []plonkMutation{
		{"empty", plonkTruncate(0)},
		{"truncated in vk", plonkTruncate(off.qcp + 2)},
		{"truncated before srs", plonkTruncate(srs + 2)},
		{"truncated in srs", plonkTruncate(srs + 4 + 10*enc.g1Raw + 5)},
		{"truncated in lagrange", plonkTruncate(lagrange + 4 + 7)},
		{"last byte cut", plonkCut(1)},
		{"trailing bytes", plonkAppendBytes(1, 2, 3)},
		{"srs length inflated", plonkPutU32(srs, 0xffffffff)},
		{"srs length +1", plonkPutU32(srs, 512+4)},
		{"srs length -1", plonkPutU32(srs, 512+2)},
		{"lagrange length inflated", plonkPutU32(lagrange, 0xffffffff)},
		{"lagrange length 2^28", plonkPutU32(lagrange, 1<<28)},
		{"compressed srs point", plonkFlip(srs+4, 7)},
		{"non-canonical srs coordinate", func(b []byte) []byte {
			// all ones below the flag bits: above the base field's modulus
			// (0x30… for BN254, 0x1a… for BLS12-381), flagged uncompressed
			b = bytes.Clone(b)
			x := bytes.Repeat([]byte{0xff}, enc.g1Raw/2)
			x[0] = 0x3f
			if enc.isCompressed(0x20) {
				x[0] = 0x1f
			}
			copy(b[srs+4:], x)
			return b
		}},
	}
	for _, m := range exact {
		_, err := b.ParseProvingKey(m.fn(f.pkBytes))
		plonkStatusIn(t, "pk "+m.name, err, zkabi.ErrKey)
	}
	// a key for another number of public inputs
	_, err := plonkProveBytes(b, f.csBytes, plonkPutU64(24+2*enc.frBytes, 3)(f.pkBytes), f.witness)
	plonkStatusIn(t, "pk nbPublic 3", err, zkabi.ErrKey)
	err = plonkVerifyBytes(b, plonkPutU64(24+2*enc.frBytes, 3)(f.vkBytes), f.proof, f.public)
	plonkStatusIn(t, "vk nbPublic 3", err, zkabi.ErrProof)
	// a proving key that parses but whose SRS is not the vk's: the
	// self-check reports it
	for _, at := range []int{srs + 4 + 5*enc.g1Raw + 9, lagrange + 4 + 100*enc.g1Raw + 20} {
		_, err := plonkProveBytes(b, f.csBytes, plonkFlip(at, 0)(f.pkBytes), f.witness)
		plonkStatusIn(t, "pk srs flip", err, zkabi.ErrKey)
	}
}

func testPlonkProofMutations(t *testing.T, b Backend, f *plonkFixture, enc *plonkEncoding) {
	claims := 8 * enc.g1Compressed
	bsb := claims + 4 + 6*enc.frBytes + enc.g1Compressed + enc.frBytes
	exact := []plonkMutation{
		{"empty", plonkTruncate(0)},
		{"truncated", plonkTruncate(claims + 2)},
		{"last byte cut", plonkCut(1)},
		{"trailing byte", plonkAppendBytes(0)},
		{"claims inflated", plonkPutU32(claims, 0xffffffff)},
		{"claims 7", plonkPutU32(claims, 7)},
		{"claims 5", plonkPutU32(claims, 5)},
		{"bsb22 inflated", plonkPutU32(bsb, 0xffffffff)},
		{"bsb22 1", plonkPutU32(bsb, 1)},
		{"claim not reduced", func(b []byte) []byte {
			b = bytes.Clone(b)
			copy(b[claims+4:claims+4+enc.frBytes], bytes.Repeat([]byte{0xff}, enc.frBytes))
			return b
		}},
		{"uncompressed flag on L", plonkFlip(0, 7)},
	}
	for _, m := range exact {
		err := plonkVerifyBytes(b, f.vkBytes, m.fn(f.proof), f.public)
		plonkStatusIn(t, "proof "+m.name, err, zkabi.ErrProof)
	}
	for i := range f.proof {
		if i%5 != 0 {
			continue
		}
		err := plonkVerifyBytes(b, f.vkBytes, plonkFlip(i, uint(i%8))(f.proof), f.public)
		plonkStatusIn(t, "proof flip", err, zkabi.ErrProof, zkabi.StatusInvalid)
	}
	// public witness
	for _, m := range []plonkMutation{
		{"empty", plonkTruncate(0)},
		{"cut", plonkCut(1)},
		{"trailing", plonkAppendBytes(0)},
		{"nbPublic inflated", plonkPutU32(0, 0xffffffff)},
		{"nbSecret 1", plonkPutU32(4, 1)},
		{"length inflated", plonkPutU32(8, 0xffffffff)},
		{"not reduced", func(b []byte) []byte {
			b = bytes.Clone(b)
			copy(b[12:12+enc.frBytes], bytes.Repeat([]byte{0xff}, enc.frBytes))
			return b
		}},
	} {
		err := plonkVerifyBytes(b, f.vkBytes, f.proof, m.fn(f.public))
		plonkStatusIn(t, "public "+m.name, err, zkabi.ErrProof)
	}
}

func testPlonkWitnessMutations(t *testing.T, b Backend, f *plonkFixture) {
	enc := &b.(*plonkBackend).c.enc
	for _, m := range []plonkMutation{
		{"empty", plonkTruncate(0)},
		{"header only", plonkTruncate(8)},
		{"cut", plonkCut(1)},
		{"trailing", plonkAppendBytes(0)},
		{"nbPublic 3", plonkPutU32(0, 3)},
		{"nbPublic 0", plonkPutU32(0, 0)},
		{"nbSecret inflated", plonkPutU32(4, 0xffffffff)},
		{"length inflated", plonkPutU32(8, 0xffffffff)},
		{"not reduced", func(b []byte) []byte {
			b = bytes.Clone(b)
			copy(b[12:12+enc.frBytes], bytes.Repeat([]byte{0xff}, enc.frBytes))
			return b
		}},
	} {
		_, err := plonkProveBytes(b, f.csBytes, f.pkBytes, m.fn(f.witness))
		plonkStatusIn(t, "witness "+m.name, err, zkabi.ErrWitness)
	}
	// a well-formed but wrong secret
	_, err := plonkProveBytes(b, f.csBytes, f.pkBytes, plonkFlip(-1, 0)(f.witness))
	plonkStatusIn(t, "witness flip", err, zkabi.ErrUnsatisfied)
}
