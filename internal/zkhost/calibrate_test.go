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

// template is the relative weight of each term of a prove charge, per
// system: Groth16 spends its time in G1 and G2 MSMs (a G2 point costs about
// three G1 points), PLONK in its MSMs and in FFTs over a 4x coset domain.
// The calibration fits one scale per backend so that no measured size is
// charged less than it took.
var template = map[zkabi.System]coefficients{
	zkabi.Groth16: {PerConstraint: 10, PerDomainLog: 5, PerG1: 100, PerG2: 300},
	zkabi.PLONK:   {PerConstraint: 10, PerDomainLog: 50, PerG1: 100, PerG2: 300},
}

// solverRates are fixed, not fitted: what the solver spends per
// instruction, word of calldata and wire beside the constraints, measured
// on systems built to be cheap in constraints and expensive to solve (a
// million hint calls with no outputs: 0.85 us each; eight million terms
// in one constraint: 20 ns a word; a million hint outputs: 115 ns each),
// with headroom. PLONK solves twice (once on the calling goroutine, once
// in gnark's prover).
var solverRates = map[zkabi.System]coefficients{
	zkabi.Groth16: {PerInstruction: 17 * 1000, PerCalldata: 17 * 25, PerWire: 17 * 150},
	zkabi.PLONK:   {PerInstruction: 2 * 17 * 1000, PerCalldata: 2 * 17 * 25, PerWire: 2 * 17 * 150},
}

func solverCharge(system zkabi.System, s Shape) float64 {
	r := solverRates[system]
	return float64(r.PerInstruction)*float64(s.Instructions) + float64(r.PerCalldata)*float64(s.Calldata) + float64(r.PerWire)*float64(s.Wires)
}

// sample is one measured size of one backend, in cycles.
type sample struct {
	shape, vshape             Shape
	cs, pk, vk                int // bytes
	parseCS, parsePK, parseVK float64
	prove, verify             float64
}

func templateUnits(system zkabi.System, s Shape) float64 {
	t := template[system]
	return float64(t.PerConstraint)*float64(s.Constraints) + float64(t.PerDomainLog)*float64(s.Domain)*float64(log2(uint64(s.Domain))) +
		float64(t.PerG1)*float64(s.G1Points) + float64(t.PerG2)*float64(s.G2Points)
}

// fit prints charge_table.go's entry for a backend: per-16-byte parse
// rates and a prove scale that charge every measured size at least what
// it took (with 10% headroom), and a verify base from the slowest
// verification.
func fit(b Backend, samples []sample) {
	var c coefficients
	var scale, verify float64
	for _, s := range samples {
		c.ParseSystem = max(c.ParseSystem, uint64(1.1*s.parseCS*16/float64(s.cs))+1)
		c.ParseProvingKey = max(c.ParseProvingKey, uint64(1.1*s.parsePK*16/float64(s.pk))+1)
		c.ParseVerifyingKey = max(c.ParseVerifyingKey, uint64(1.1*s.parseVK*16/float64(s.vk))+1)
		scale = max(scale, (1.1*s.prove-solverCharge(b.System(), s.shape))/templateUnits(b.System(), s.shape))
		verify = max(verify, 1.1*s.verify)
	}
	t, r := template[b.System()], solverRates[b.System()]
	fmt.Printf("\t{zkabi.%s, zkabi.%s}: {\n\t\tParseSystem: %d, ParseProvingKey: %d, ParseVerifyingKey: %d, ParseVerifyingKeyBase: %d,\n\t\tProveBase: %d, PerConstraint: %d, PerDomainLog: %d, PerG1: %d, PerG2: %d,\n\t\tPerInstruction: %d, PerCalldata: %d, PerWire: %d,\n\t\tVerifyBase: %d, PerPublic: %d,\n\t},\n",
		map[zkabi.System]string{zkabi.Groth16: "Groth16", zkabi.PLONK: "PLONK"}[b.System()],
		map[zkabi.Curve]string{zkabi.BN254: "BN254", zkabi.BLS12381: "BLS12381", zkabi.BLS12377: "BLS12377", zkabi.BW6761: "BW6761"}[b.Curve()],
		c.ParseSystem, c.ParseProvingKey, c.ParseVerifyingKey, uint64(verify),
		uint64(CyclesPerSecond/1000), uint64(scale*float64(t.PerConstraint)), uint64(scale*float64(t.PerDomainLog)), uint64(scale*float64(t.PerG1)), uint64(scale*float64(t.PerG2)),
		r.PerInstruction, r.PerCalldata, r.PerWire,
		uint64(verify), uint64(verify/20))
}

func TestCalibrate(t *testing.T) {
	if !*calibrate {
		t.Skip("a tool: run with -calibrate")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, b := range Backends() {
		id := map[zkabi.Curve]ecc.ID{zkabi.BN254: ecc.BN254, zkabi.BLS12381: ecc.BLS12_381, zkabi.BLS12377: ecc.BLS12_377, zkabi.BW6761: ecc.BW6_761}[b.Curve()]
		var samples []sample
		sizes := calSizes
		if b.Curve() == zkabi.BLS12377 || b.Curve() == zkabi.BW6761 {
			sizes = calSizes[:3] // rarely used; the fit scales up
		}
		for _, lg := range sizes {
			f := calMake(t, b.System(), id, lg)
			var cs, pk, vk Parsed
			var err error
			smp := sample{cs: len(f.cs), pk: len(f.pk), vk: len(f.vk)}
			row := func(what string, ns int64, charge uint64) {
				measured := float64(ns) * CyclesPerSecond / 1e9
				switch what {
				case "cs":
					smp.parseCS = measured
				case "pk":
					smp.parsePK = measured
				case "vk":
					smp.parseVK = measured
				case "prove":
					smp.prove = measured
				case "verify":
					smp.verify = measured
				}
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
			row("verify", ns, chargeVerifyBase(b.System(), b.Curve())+chargeVerifyInputs(b.System(), b.Curve(), vshape))
			smp.shape, smp.vshape = shape, vshape
			samples = append(samples, smp)
		}
		fit(b, samples)
	}
}

// calSizes are the log2 sizes TestCalibrate measures.
var calSizes = []int{10, 12, 14, 16}
