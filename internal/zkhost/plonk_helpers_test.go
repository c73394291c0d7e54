package zkhost

import (
	"bytes"
	"fmt"
	"io"
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test/unsafekzg"

	"github.com/provernet/provernet/sdk/zkabi"
)

// plonkChain proves knowledge of W such that iterating v ← v² + X + K
// Rounds times from W gives Y (X, Y public). Rounds sets the size, K
// tells apart circuits of the same size.
type plonkChain struct {
	X, Y   frontend.Variable `gnark:",public"`
	W      frontend.Variable
	Rounds int `gnark:"-"`
	K      int `gnark:"-"`
}

func (c *plonkChain) Define(api frontend.API) error {
	v := c.W
	for range c.Rounds {
		v = api.Add(api.Mul(v, v), c.X, c.K)
	}
	api.AssertIsEqual(v, c.Y)
	return nil
}

// plonkCommitted is a circuit with a BSB22 commitment (refused).
type plonkCommitted struct {
	X frontend.Variable `gnark:",public"`
	W frontend.Variable
}

func (c *plonkCommitted) Define(api frontend.API) error {
	cm, err := api.(frontend.Committer).Commit(c.W)
	if err != nil {
		return err
	}
	api.AssertIsDifferent(cm, 0)
	api.AssertIsEqual(api.Mul(c.W, c.W), c.X)
	return nil
}

// plonkSquare proves knowledge of a square root of X (public or fixed):
// two constraints, the smallest domains gnark makes.
type plonkSquare struct {
	X frontend.Variable `gnark:",public"`
	W frontend.Variable
}

func (c *plonkSquare) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.W, c.W), c.X)
	return nil
}

type plonkSquareSecret struct{ W frontend.Variable }

func (c *plonkSquareSecret) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.W, c.W), 9)
	return nil
}

// plonkSetupBytes compiles and sets up circuit, and serializes the
// system, keys and the witnesses of assignment.
func plonkSetupBytes(tb testing.TB, id ecc.ID, circuit, assignment frontend.Circuit) (cs, pk, vk, full, public []byte) {
	tb.Helper()
	ccs, err := frontend.Compile(id.ScalarField(), scs.NewBuilder, circuit)
	if err != nil {
		tb.Fatal(err)
	}
	srs, lagrange, err := unsafekzg.NewSRS(ccs)
	if err != nil {
		tb.Fatal(err)
	}
	ppk, pvk, err := plonk.Setup(ccs, srs, lagrange)
	if err != nil {
		tb.Fatal(err)
	}
	w, err := frontend.NewWitness(assignment, id.ScalarField())
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		tb.Fatal(err)
	}
	return plonkMustWrite(ccs.WriteTo), plonkMustWrite(ppk.WriteRawTo), plonkMustWrite(pvk.WriteTo),
		plonkMarshalWitness(tb, w), plonkMarshalWitness(tb, pub)
}

// plonkChainOutput computes Y for W, X natively.
func plonkChainOutput(id ecc.ID, rounds, k int, w, x int64) *big.Int {
	r := id.ScalarField()
	v := big.NewInt(w)
	for range rounds {
		v.Mul(v, v).Add(v, big.NewInt(x)).Add(v, big.NewInt(int64(k))).Mod(v, r)
	}
	return v
}

// plonkFixture is one circuit set up on one curve, serialized as a program
// would pass it.
type plonkFixture struct {
	curve   zkabi.Curve
	id      ecc.ID
	cs      constraint.ConstraintSystem
	pk      plonk.ProvingKey
	vk      plonk.VerifyingKey
	csBytes []byte
	pkBytes []byte // WriteRawTo
	vkBytes []byte // WriteTo
	witness []byte // full witness, satisfying
	public  []byte // public witness
	proof   []byte // a proof made by gnark directly
	rounds  int
	k       int
}

var plonkFixtures sync.Map // fixtureKey → *plonkFixture

type plonkFixtureKey struct {
	curve     zkabi.Curve
	rounds, k int
}

var plonkCurveIDs = map[zkabi.Curve]ecc.ID{
	zkabi.BN254: ecc.BN254, zkabi.BLS12381: ecc.BLS12_381,
	zkabi.BLS12377: ecc.BLS12_377, zkabi.BW6761: ecc.BW6_761,
}

// getPlonkFixture sets up (once per test binary) the chain circuit of
// rounds rounds and constant k on curve.
func getPlonkFixture(tb testing.TB, curve zkabi.Curve, rounds, k int) *plonkFixture {
	tb.Helper()
	key := plonkFixtureKey{curve, rounds, k}
	if f, ok := plonkFixtures.Load(key); ok {
		return f.(*plonkFixture)
	}
	f, err := newPlonkFixture(curve, rounds, k)
	if err != nil {
		tb.Fatalf("fixture %v: %v", key, err)
	}
	actual, _ := plonkFixtures.LoadOrStore(key, f)
	return actual.(*plonkFixture)
}

func newPlonkFixture(curve zkabi.Curve, rounds, k int) (*plonkFixture, error) {
	id := plonkCurveIDs[curve]
	f := &plonkFixture{curve: curve, id: id, rounds: rounds, k: k}
	var err error
	if f.cs, err = frontend.Compile(id.ScalarField(), scs.NewBuilder, &plonkChain{Rounds: rounds, K: k}); err != nil {
		return nil, err
	}
	srs, lagrange, err := unsafekzg.NewSRS(f.cs)
	if err != nil {
		return nil, err
	}
	if f.pk, f.vk, err = plonk.Setup(f.cs, srs, lagrange); err != nil {
		return nil, err
	}
	wit, pub, err := plonkChainWitness(id, rounds, k, 3, 5, nil)
	if err != nil {
		return nil, err
	}
	proof, err := plonk.Prove(f.cs, f.pk, wit)
	if err != nil {
		return nil, err
	}
	f.csBytes = plonkMustWrite(f.cs.WriteTo)
	f.pkBytes = plonkMustWrite(f.pk.WriteRawTo)
	f.vkBytes = plonkMustWrite(f.vk.WriteTo)
	f.proof = plonkMustWrite(proof.WriteTo)
	if f.witness, err = wit.MarshalBinary(); err != nil {
		return nil, err
	}
	if f.public, err = pub.MarshalBinary(); err != nil {
		return nil, err
	}
	return f, nil
}

// plonkChainWitness makes the full and public witnesses for W = w, X = x,
// and Y the chain's output, or y if not nil.
func plonkChainWitness(id ecc.ID, rounds, k int, w, x int64, y *big.Int) (full, public witness.Witness, err error) {
	if y == nil {
		y = plonkChainOutput(id, rounds, k, w, x)
	}
	full, err = frontend.NewWitness(&plonkChain{X: x, Y: y, W: w}, id.ScalarField())
	if err != nil {
		return nil, nil, err
	}
	public, err = full.Public()
	return full, public, err
}

func plonkMarshalWitness(tb testing.TB, w witness.Witness) []byte {
	tb.Helper()
	b, err := w.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func plonkMustWrite(write func(io.Writer) (int64, error)) []byte {
	var b bytes.Buffer
	if _, err := write(&b); err != nil {
		panic(fmt.Sprintf("serialize: %v", err))
	}
	return b.Bytes()
}

func plonkBackendFor(tb testing.TB, curve zkabi.Curve) Backend {
	tb.Helper()
	for _, b := range plonkBackends() {
		if b.Curve() == curve {
			return b
		}
	}
	tb.Fatalf("no plonk backend for %s", curve)
	return nil
}

// plonkProveBytes runs the backend's whole prove path on serialized
// arguments, as the host does.
func plonkProveBytes(b Backend, cs, pk, wit []byte) ([]byte, error) {
	var proof []byte
	err := guard(func() error {
		pcs, err := b.ParseSystem(cs)
		if err != nil {
			return err
		}
		ppk, err := b.ParseProvingKey(pk)
		if err != nil {
			return err
		}
		if _, err := b.ProveShape(pcs, ppk, wit); err != nil {
			return err
		}
		proof, err = b.Prove(pcs, ppk, wit, 1)
		return err
	})
	return proof, err
}

// plonkVerifyBytes runs the backend's whole verify path.
func plonkVerifyBytes(b Backend, vk, proof, public []byte) error {
	return guard(func() error {
		pvk, err := b.ParseVerifyingKey(vk)
		if err != nil {
			return err
		}
		if _, err := b.VerifyShape(pvk, proof, public); err != nil {
			return err
		}
		return b.Verify(pvk, proof, public)
	})
}

// plonkVKOffsets are the offsets of the length prefixes in a verifying
// key without commitments (versioned layout), for the plonkMutation tests.
type plonkVKOffsets struct{ qcp, commitIdx int }

func plonkKeyOffsets(e *plonkEncoding, raw bool) plonkVKOffsets {
	g1, g2 := e.g1Compressed, e.g2Compressed
	if raw {
		g1, g2 = e.g1Raw, e.g2Raw
	}
	qcp := 8 + 8 + 8 + 2*e.frBytes + 8 + e.frBytes + 8*g1
	idx := qcp + 4 + g1 + 2*g2 + e.linesBytes
	return plonkVKOffsets{qcp: qcp, commitIdx: idx}
}
