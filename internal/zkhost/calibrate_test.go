package zkhost

import (
	"bytes"
	"flag"
	"fmt"
	"math/big"
	"runtime"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test/unsafekzg"

	"github.com/provernet/provernet/sdk/zkabi"
)

// calibrate runs TestCalibrate: go test ./internal/zkhost -run TestCalibrate
// -calibrate -v. It times each backend natively on one core over a range
// of sizes and prints, per call, the table's charge against the measured
// time converted at CyclesPerSecond: the figures charge_table.go was
// fitted to. It asserts nothing about time (no test does); it is a tool.
var calibrate = flag.Bool("calibrate", false, "time the backends and compare with the charge table")

// squareChain: W squared and shifted Rounds times gives Y.
type squareChain struct {
	X, Y   frontend.Variable `gnark:",public"`
	W      frontend.Variable
	Rounds int `gnark:"-"`
}

func (c *squareChain) Define(api frontend.API) error {
	v := c.W
	for range c.Rounds {
		v = api.Add(api.Mul(v, v), c.X)
	}
	api.AssertIsEqual(v, c.Y)
	return nil
}

func squareChainY(id ecc.ID, rounds int, w, x int64) *big.Int {
	r := id.ScalarField()
	v := big.NewInt(w)
	for range rounds {
		v.Mul(v, v).Add(v, big.NewInt(x)).Mod(v, r)
	}
	return v
}

type calFixture struct {
	cs, pk, vk, witness, public []byte
}

func calMake(t *testing.T, system zkabi.System, id ecc.ID, logN int) calFixture {
	t.Helper()
	rounds := 1<<logN - 2
	var ccs constraint.ConstraintSystem
	var err error
	if system == zkabi.PLONK {
		rounds = (1<<logN)/2 - 2
		ccs, err = frontend.Compile(id.ScalarField(), scs.NewBuilder, &squareChain{Rounds: rounds})
	} else {
		ccs, err = frontend.Compile(id.ScalarField(), r1cs.NewBuilder, &squareChain{Rounds: rounds})
	}
	if err != nil {
		t.Fatal(err)
	}
	assign := &squareChain{X: 3, Y: squareChainY(id, rounds, 5, 3), W: 5, Rounds: rounds}
	full, err := frontend.NewWitness(assign, id.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := full.Public()
	var f calFixture
	var b bytes.Buffer
	if _, err := ccs.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	f.cs = bytes.Clone(b.Bytes())
	f.witness, _ = full.MarshalBinary()
	f.public, _ = pub.MarshalBinary()
	b.Reset()
	if system == zkabi.Groth16 {
		pk, vk, err := groth16.Setup(ccs)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pk.WriteRawTo(&b)
		f.pk = bytes.Clone(b.Bytes())
		b.Reset()
		_, _ = vk.WriteTo(&b)
		f.vk = bytes.Clone(b.Bytes())
		return f
	}
	srs, lag, err := unsafekzg.NewSRS(ccs)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := plonk.Setup(ccs, srs, lag)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pk.WriteRawTo(&b)
	f.pk = bytes.Clone(b.Bytes())
	b.Reset()
	_, _ = vk.WriteTo(&b)
	f.vk = bytes.Clone(b.Bytes())
	return f
}

// timeIt returns the least of runs timings of fn in nanoseconds.
func timeIt(runs int, fn func() error) (int64, error) {
	best := int64(-1)
	for range runs {
		t0 := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		if d := time.Since(t0).Nanoseconds(); best < 0 || d < best {
			best = d
		}
	}
	return best, nil
}

func TestCalibrate(t *testing.T) {
	if !*calibrate {
		t.Skip("a tool: run with -calibrate")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, b := range Backends() {
		if b.Curve() != zkabi.BN254 && b.Curve() != zkabi.BLS12381 {
			continue
		}
		id := map[zkabi.Curve]ecc.ID{zkabi.BN254: ecc.BN254, zkabi.BLS12381: ecc.BLS12_381}[b.Curve()]
		for _, lg := range []int{10, 12, 14, 16} {
			f := calMake(t, b.System(), id, lg)
			var cs, pk, vk Parsed
			var err error
			row := func(what string, ns int64, charge uint64) {
				measured := float64(ns) * CyclesPerSecond / 1e9
				fmt.Printf("%s %s 2^%d %-6s %10.3f ms  charge %14d  measured %14.0f  ratio %.2f\n",
					b.System(), b.Curve(), lg, what, float64(ns)/1e6, charge, measured, float64(charge)/measured)
			}
			ns, err := timeIt(3, func() (err error) { cs, err = b.ParseSystem(f.cs); return err })
			if err != nil {
				t.Fatal(err)
			}
			row("cs", ns, chargeParse(b.System(), b.Curve(), kindSystem, uint64(len(f.cs))))
			ns, err = timeIt(3, func() (err error) { pk, err = b.ParseProvingKey(f.pk); return err })
			if err != nil {
				t.Fatal(err)
			}
			row("pk", ns, chargeParse(b.System(), b.Curve(), kindProvingKey, uint64(len(f.pk))))
			ns, err = timeIt(3, func() (err error) { vk, err = b.ParseVerifyingKey(f.vk); return err })
			if err != nil {
				t.Fatal(err)
			}
			row("vk", ns, chargeParse(b.System(), b.Curve(), kindVerifyingKey, uint64(len(f.vk))))
			shape, err := b.ProveShape(cs, pk, f.witness)
			if err != nil {
				t.Fatal(err)
			}
			var proof []byte
			ns, err = timeIt(2, func() (err error) { proof, err = b.Prove(cs, pk, f.witness, 1); return err })
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("  shape %+v, cs %d B, pk %d B, vk %d B\n", shape, len(f.cs), len(f.pk), len(f.vk))
			row("prove", ns, chargeProve(b.System(), b.Curve(), shape))
			vshape, err := b.VerifyShape(vk, proof, f.public)
			if err != nil {
				t.Fatal(err)
			}
			ns, err = timeIt(3, func() error { return b.Verify(vk, proof, f.public) })
			if err != nil {
				t.Fatal(err)
			}
			row("verify", ns, chargeVerify(b.System(), b.Curve(), vshape))
		}
	}
}
