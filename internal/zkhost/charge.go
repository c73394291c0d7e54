package zkhost

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/provernet/provernet/sdk/zkabi"
)

// The charge table of provernet_zk_v1 (docs/HOST_ABI.md, "Charges").
//
// A call is charged in cycles computed only from sizes: the bytes of its
// arguments and the Shape of the validated system and keys, never from
// time. The same call charges the same cycles on every machine, so fees,
// budgets and the fail outcome stay exact. The coefficients were fitted
// once to single-core native timings on the reference machine and
// converted at CyclesPerSecond, the rate at which that machine executes
// metered WebAssembly: a charged cycle costs about what a metered
// instruction costs. They are frozen with the ABI version; changing them
// means a new module name.

// CyclesPerSecond is how many metered wasm cycles one core of the
// reference machine runs per second (the pure-wasm groth16-mimc prover:
// 7.34e10 cycles in 4.25 s).
const CyclesPerSecond = 17_000_000_000

// chargeCallBase is what every call pays before anything else.
const chargeCallBase = 100_000

// chargeBytes is what moving n bytes costs: as WASI I/O does, one cycle
// per 16 bytes.
func chargeBytes(n uint64) uint64 { return per16(n) }

// per16 is n/16 rounded up, without overflowing.
func per16(n uint64) uint64 {
	if n%16 != 0 {
		return n/16 + 1
	}
	return n / 16
}

// parseExpansion bounds the memory inputs take once parsed, as a multiple
// of their bytes (the bytes themselves included).
const parseExpansion = 4

// maxArgBytes bounds each argument by op: prove takes the system, the
// proving key and the witness; verify the verifying key, the proof and
// the public witness.
var maxArgBytes = map[zkabi.Op][zkabi.NumArgs]int64{
	zkabi.OpProve:  {256 << 20, 1 << 30, 256 << 20},
	zkabi.OpVerify: {16 << 20, 1 << 20, 16 << 20},
}

// coefficients are one backend's charges, in cycles.
type coefficients struct {
	// Per byte parsed, in cycles per 16 bytes, by object kind.
	ParseSystem, ParseProvingKey, ParseVerifyingKey uint64

	// Parsing a verifying key also costs a base: decoding one computes a
	// pairing and checks every point.
	ParseVerifyingKeyBase uint64

	// Proving: a base, then per constraint, per domain element times
	// log2 of the domain (FFTs), per G1 and G2 point of the MSMs, and what
	// the solver walks beside the constraints: per instruction, per word
	// of calldata, per wire (hint outputs included).
	ProveBase, PerConstraint, PerDomainLog, PerG1, PerG2 uint64
	PerInstruction, PerCalldata, PerWire                 uint64

	// Verifying: a base (pairings), paid before the proof is decoded, and
	// per public input.
	VerifyBase, PerPublic uint64
}

// table holds the calibrated coefficients (charge_table.go).
func coefficientsFor(system zkabi.System, curve zkabi.Curve) coefficients {
	if c, ok := chargeTable[backendKey{system, curve}]; ok {
		return c
	}
	return fallbackCoefficients
}

// chargeParse is what parsing n bytes of an object of kind costs.
func chargeParse(system zkabi.System, curve zkabi.Curve, kind objectKind, n uint64) uint64 {
	c := coefficientsFor(system, curve)
	per, base := c.ParseSystem, uint64(0)
	switch kind {
	case kindProvingKey:
		per = c.ParseProvingKey
	case kindVerifyingKey:
		per, base = c.ParseVerifyingKey, c.ParseVerifyingKeyBase
	}
	return sat(base, sat(mulSat(per, per16(n)), chargeBytes(n)))
}

// cborPerByte prices a constraint system's CBOR body (names, blueprints,
// hint dependencies, debug sections): gnark's decoder spends about 300 ns
// per entry of it, and an entry can be one byte, so the body pays a byte
// as an entry. Normal systems' bodies are a few hundred bytes (the
// examples': about 300 of 500-660 KB); the binary sections are priced
// per byte by ParseSystem.
const cborPerByte = 17 * 300

// systemBodyBytes reads the length of a serialized constraint system's
// CBOR body from its header (gnark's layout: four uint64 of totalLen and
// version, then four uint64 section lengths, the body's last), bounded by
// the bytes present. A malformed header is the validator's business; the
// charge only needs a bound.
func systemBodyBytes(data []byte) uint64 {
	if len(data) < 64 {
		return 0
	}
	return min(binary.LittleEndian.Uint64(data[56:64]), uint64(len(data)))
}

// chargeProve is what proving a system of this shape costs.
func chargeProve(system zkabi.System, curve zkabi.Curve, s Shape) uint64 {
	c := coefficientsFor(system, curve)
	total := c.ProveBase
	total = sat(total, mulSat(c.PerConstraint, uint64(s.Constraints)))
	total = sat(total, mulSat(c.PerDomainLog, mulSat(uint64(s.Domain), log2(uint64(s.Domain)))))
	total = sat(total, mulSat(c.PerG1, uint64(s.G1Points)))
	total = sat(total, mulSat(c.PerG2, uint64(s.G2Points)))
	total = sat(total, mulSat(c.PerInstruction, uint64(s.Instructions)))
	total = sat(total, mulSat(c.PerCalldata, uint64(s.Calldata)))
	total = sat(total, mulSat(c.PerWire, uint64(s.Wires)))
	return total
}

// chargeVerifyBase is what every verification costs, before the proof is
// decoded.
func chargeVerifyBase(system zkabi.System, curve zkabi.Curve) uint64 {
	return coefficientsFor(system, curve).VerifyBase
}

// chargeVerifyInputs is what a verification's public inputs cost.
func chargeVerifyInputs(system zkabi.System, curve zkabi.Curve, s Shape) uint64 {
	return mulSat(coefficientsFor(system, curve).PerPublic, uint64(s.Public))
}

// proveMemory estimates the prover's working memory beyond the parsed
// system and key: the solution, FFT and quotient buffers. PLONK's prover
// was measured at about 1.8 KB per domain row (29 MB at 2^14); 64 field
// elements a row covers it, and Groth16's smaller buffers.
func proveMemory(s Shape) int64 {
	const fieldElement = 32
	words := uint64(s.Wires)*3 + uint64(s.Domain)*64
	return int64(min(mulSat(words, fieldElement), math.MaxInt64/2)) + 64<<20
}

func log2(n uint64) uint64 {
	if n <= 1 {
		return 1
	}
	return uint64(bits.Len64(n - 1))
}

// sat adds without overflowing: charges saturate far above any budget.
func sat(a, b uint64) uint64 {
	if s := a + b; s >= a && s <= math.MaxInt64 {
		return s
	}
	return math.MaxInt64
}

func mulSat(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return lo
}
