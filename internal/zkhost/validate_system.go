package zkhost

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/std/math/bits"
	"github.com/ronanh/intcomp"
	"github.com/rs/zerolog"

	"github.com/provernet/provernet/sdk/zkabi"
)

// A constraint system in gnark's WriteTo format is
//
//	totalLen, major, minor, patch       4 × uint64 little-endian
//	levelsLen, instrLen, calldataLen,
//	bodyLen                             4 × uint64 little-endian
//	levels       uint64 count, then count intcomp uint32 streams
//	instructions 3 intcomp uint32 streams (blueprint, constraint offset,
//	             wire offset) and 1 intcomp uint64 stream (calldata start)
//	calldata     uint64 count, then count uvarints
//	body         CBOR of constraint.System (names, blueprints, counts, ...)
//	coefficients uint64 count, then count scalars (little-endian limbs,
//	             Montgomery form)
//
// where an intcomp stream is a uint64 word count and that many
// little-endian words of github.com/ronanh/intcomp's block format.
//
// gnark's own decoder trusts every one of these lengths (it allocates by
// them, slices by their unchecked sum, and decodes the three binary
// sections in goroutines whose panics would kill the worker). So
// decodeSystem parses the three binary sections itself, after checking
// each length and each intcomp block header against the bytes present,
// and hands gnark only the CBOR body and the coefficient table (with
// empty binary sections), after walking the CBOR to bound what decoding
// it allocates. Then checkSystem replays the instructions the way gnark
// built them, so that nothing the solver indexes is out of range.

const (
	systemHeaderLen = 32
	sectionsLen     = 32
	// gnark's intcomp block sizes (BitPackingBlockSize32/64).
	intcompBlock32 = 128
	intcompBlock64 = 256
)

// parsedSystem is a decoded, validated constraint system.
type parsedSystem struct {
	cs   constraint.ConstraintSystem
	core *constraint.System

	nbWires     int
	nbCoeffs    int
	nbConstrain int
	mem         int64
}

func (p *parsedSystem) MemSize() int64 { return p.mem }

// byteReader reads a byte slice front to back; every read checks the
// bytes left first.
type byteReader struct {
	b   []byte
	off int
}

var errTruncated = errors.New("truncated")

func (r *byteReader) left() int { return len(r.b) - r.off }

func (r *byteReader) take(n int) ([]byte, error) {
	if n < 0 || n > r.left() {
		return nil, fmt.Errorf("%w: need %d bytes, %d left", errTruncated, n, r.left())
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b, nil
}

func (r *byteReader) u64le() (uint64, error) {
	b, err := r.take(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (r *byteReader) u64be() (uint64, error) {
	b, err := r.take(8)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(b), nil
}

func (r *byteReader) u32be() (uint32, error) {
	b, err := r.take(4)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b), nil
}

// section cuts a length-prefixed region of n bytes; n comes from the
// input, so it is compared with what is left before any conversion.
func (r *byteReader) section(n uint64) ([]byte, error) {
	if n > uint64(r.left()) {
		return nil, fmt.Errorf("%w: section of %d bytes, %d left", errTruncated, n, r.left())
	}
	return r.take(int(n))
}

// validateSystem checks that data is a constraint system of type want
// over curve that gnark's ReadFrom can decode without panicking or
// allocating by unchecked lengths, and that the decoded system is sound for
// the solver (checkSystem, checkDebugInfo). It decodes the system to know
// that, so a caller that needs the system should use decodeSystem, which
// returns it.
func validateSystem(data []byte, curve zkabi.Curve, want constraint.SystemType) error {
	ci, ok := curves[curve]
	if !ok {
		return Errorf(zkabi.ErrInternal, "constraint system: unknown curve %s", curve)
	}
	_, err := decodeSystem(ci, data, want)
	return err
}

// decodeSystem validates and decodes a constraint system of type want.
func decodeSystem(ci *curveInfo, data []byte, want constraint.SystemType) (*parsedSystem, error) {
	if err := tooLarge("constraint system", len(data), maxSystemBytes); err != nil {
		return nil, err
	}
	lay, err := checkSystemBytes(ci, data)
	if err != nil {
		return nil, wrapStatus(zkabi.ErrSystem, "constraint system", err)
	}
	cs := groth16.NewCS(ci.id) // R1CS and SparseR1CS are one Go type; Type is decoded
	synthetic := lay.synthetic()
	err = protect(zkabi.ErrSystem, "constraint system", func() error {
		n, err := cs.ReadFrom(bytes.NewReader(synthetic))
		if err != nil {
			return err
		}
		if n != int64(len(synthetic)) {
			return fmt.Errorf("decoded %d of %d bytes", n, len(synthetic))
		}
		return nil
	})
	if err != nil {
		return nil, wrapStatus(zkabi.ErrSystem, "constraint system", err)
	}
	core, ok := ci.core(cs)
	if !ok {
		return nil, Errorf(zkabi.ErrInternal, "constraint system: unexpected type %T", cs)
	}
	core.Instructions, core.CallData, core.Levels = lay.instructions, lay.calldata, lay.levels
	p := &parsedSystem{cs: cs, core: core, nbCoeffs: lay.nbCoeffs}
	if err := checkSystem(ci, p, want); err != nil {
		return nil, wrapStatus(zkabi.ErrSystem, "constraint system", err)
	}
	// Checked although dropped below: validateSystem's callers decode the
	// bytes again with gnark and keep them.
	if err := checkDebugInfo(p); err != nil {
		return nil, wrapStatus(zkabi.ErrSystem, "constraint system", err)
	}
	// The solver reads debug information only to word an error, and would
	// index and format it unchecked (Sprintf with the circuit's format
	// strings); logs are printed only with a logger on. Dropping both
	// costs a program nothing but detail in its error messages.
	core.Logs, core.DebugInfo, core.MDebug = nil, nil, nil
	core.SymbolTable.Locations, core.SymbolTable.Functions = nil, nil
	p.mem = lay.mem + int64(len(core.Public)+len(core.Secret))*32
	return p, nil
}

// systemLayout is what checkSystemBytes read: the binary sections decoded
// and the bytes gnark is to decode.
type systemLayout struct {
	header       []byte // major, minor, patch as written
	body, coeffs []byte
	nbCoeffs     int
	instructions []constraint.PackedInstruction
	calldata     []uint32
	levels       [][]uint32
	mem          int64 // estimated bytes once decoded
}

// synthetic is the system as gnark's ReadFrom expects it, with empty
// levels, instructions and calldata sections.
func (l *systemLayout) synthetic() []byte {
	const empty = 8 + 4*8 + 8 // one count, four empty intcomp streams, one count
	inner := sectionsLen + empty + len(l.body) + len(l.coeffs)
	out := make([]byte, 0, 8+len(l.header)+inner)
	out = binary.LittleEndian.AppendUint64(out, uint64(inner))
	out = append(out, l.header...)
	out = binary.LittleEndian.AppendUint64(out, 8)
	out = binary.LittleEndian.AppendUint64(out, 4*8)
	out = binary.LittleEndian.AppendUint64(out, 8)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(l.body)))
	out = append(out, make([]byte, empty)...)
	out = append(out, l.body...)
	return append(out, l.coeffs...)
}

// checkSystemBytes walks the serialized system and decodes its binary
// sections, checking every length against the bytes present.
func checkSystemBytes(ci *curveInfo, data []byte) (*systemLayout, error) {
	r := &byteReader{b: data}
	total, err := r.u64le()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	header, err := r.take(24)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	major := binary.LittleEndian.Uint64(header[0:8])
	minor := binary.LittleEndian.Uint64(header[8:16])
	if major != 0 || minor < 10 {
		return nil, fmt.Errorf("unsupported gnark version %d.%d", major, minor)
	}
	if total != uint64(r.left()) {
		return nil, fmt.Errorf("header says %d bytes, %d follow", total, r.left())
	}
	var lens [4]uint64
	for i := range lens {
		if lens[i], err = r.u64le(); err != nil {
			return nil, fmt.Errorf("section header: %w", err)
		}
	}
	var sec [4][]byte
	for i, n := range lens {
		if sec[i], err = r.section(n); err != nil {
			return nil, fmt.Errorf("section %d: %w", i, err)
		}
	}
	lay := &systemLayout{header: header, body: sec[3], coeffs: r.b[r.off:]}
	if lay.calldata, err = decodeCalldata(sec[2]); err != nil {
		return nil, fmt.Errorf("calldata: %w", err)
	}
	if lay.instructions, err = decodeInstructions(sec[1], len(lay.calldata)); err != nil {
		return nil, fmt.Errorf("instructions: %w", err)
	}
	if lay.levels, err = decodeLevels(sec[0], len(lay.instructions)); err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	if lay.nbCoeffs, err = checkCoefficients(ci, lay.coeffs); err != nil {
		return nil, fmt.Errorf("coefficients: %w", err)
	}
	bodyMem, err := checkCBOR(lay.body)
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	if err := checkBodyFields(lay.body, len(lay.instructions)); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	lay.mem = int64(len(lay.instructions))*24 + int64(len(lay.calldata))*4 +
		int64(len(lay.instructions))*4 + int64(len(lay.levels))*24 +
		int64(lay.nbCoeffs)*int64(ci.frLimbs*8) + int64(bodyMem)
	if lay.mem > maxSystemMemory {
		return nil, Errorf(zkabi.ErrTooLarge, "constraint system would take about %d bytes in memory, the limit is %d", lay.mem, maxSystemMemory)
	}
	return lay, nil
}

// decodeCalldata decodes the calldata section: a count, then that many
// uvarints, each a uint32, and nothing after.
func decodeCalldata(b []byte) ([]uint32, error) {
	r := &byteReader{b: b}
	n, err := r.u64le()
	if err != nil {
		return nil, err
	}
	if n > uint64(r.left()) { // a uvarint takes at least a byte
		return nil, fmt.Errorf("%d words in %d bytes", n, r.left())
	}
	out := make([]uint32, n)
	rest := r.b[r.off:]
	for i := range out {
		v, k := binary.Uvarint(rest)
		if k <= 0 || v > math.MaxUint32 {
			return nil, fmt.Errorf("word %d: bad uvarint", i)
		}
		out[i] = uint32(v)
		rest = rest[k:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(rest))
	}
	return out, nil
}

// decodeInstructions decodes the four instruction streams; there are at
// most maxN instructions (each takes at least one calldata word).
func decodeInstructions(b []byte, maxN int) ([]constraint.PackedInstruction, error) {
	r := &byteReader{b: b}
	var cols [3][]uint32
	for i := range cols {
		var err error
		if cols[i], err = readStream32(r, maxN); err != nil {
			return nil, fmt.Errorf("stream %d: %w", i, err)
		}
	}
	starts, err := readStream64(r, maxN)
	if err != nil {
		return nil, fmt.Errorf("stream 3: %w", err)
	}
	if r.left() != 0 {
		return nil, fmt.Errorf("%d trailing bytes", r.left())
	}
	n := len(cols[0])
	if len(cols[1]) != n || len(cols[2]) != n || len(starts) != n {
		return nil, fmt.Errorf("streams of %d, %d, %d and %d instructions", n, len(cols[1]), len(cols[2]), len(starts))
	}
	out := make([]constraint.PackedInstruction, n)
	for i := range out {
		out[i] = constraint.PackedInstruction{
			BlueprintID:      constraint.BlueprintID(cols[0][i]),
			ConstraintOffset: cols[1][i],
			WireOffset:       cols[2][i],
			StartCallData:    starts[i],
		}
	}
	return out, nil
}

// decodeLevels decodes the levels: a count, then one stream a level, with
// at most maxEntries entries in all (each instruction is in one level).
func decodeLevels(b []byte, maxEntries int) ([][]uint32, error) {
	r := &byteReader{b: b}
	n, err := r.u64le()
	if err != nil {
		return nil, err
	}
	if n > uint64(r.left()/8) { // a stream takes at least its 8-byte count
		return nil, fmt.Errorf("%d levels in %d bytes", n, r.left())
	}
	levels := make([][]uint32, n)
	for i := range levels {
		if levels[i], err = readStream32(r, maxEntries); err != nil {
			return nil, fmt.Errorf("level %d: %w", i, err)
		}
		maxEntries -= len(levels[i])
	}
	if r.left() != 0 {
		return nil, fmt.Errorf("%d trailing bytes", r.left())
	}
	return levels, nil
}

// readStream32 reads one intcomp uint32 stream of at most limit values.
// The block headers are checked first (checkIntcomp32), so intcomp, which
// trusts them, neither allocates by them nor loops on them.
func readStream32(r *byteReader, limit int) ([]uint32, error) {
	n, err := r.u64le()
	if err != nil {
		return nil, err
	}
	if n > uint64(r.left()/4) {
		return nil, fmt.Errorf("%w: %d words, %d bytes left", errTruncated, n, r.left())
	}
	raw, _ := r.take(int(n) * 4)
	words := make([]uint32, n)
	for i := range words {
		words[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	count, err := checkIntcomp32(words, limit)
	if err != nil {
		return nil, err
	}
	out := intcomp.UncompressUint32(words, nil)
	if len(out) != count {
		return nil, fmt.Errorf("decoded %d values, headers say %d", len(out), count)
	}
	return out, nil
}

// readStream64 is readStream32 for intcomp's uint64 streams.
func readStream64(r *byteReader, limit int) ([]uint64, error) {
	n, err := r.u64le()
	if err != nil {
		return nil, err
	}
	if n > uint64(r.left()/8) {
		return nil, fmt.Errorf("%w: %d words, %d bytes left", errTruncated, n, r.left())
	}
	raw, _ := r.take(int(n) * 8)
	words := make([]uint64, n)
	for i := range words {
		words[i] = binary.LittleEndian.Uint64(raw[8*i:])
	}
	count, err := checkIntcomp64(words, limit)
	if err != nil {
		return nil, err
	}
	out := intcomp.UncompressUint64(words, nil)
	if len(out) != count {
		return nil, fmt.Errorf("decoded %d values, headers say %d", len(out), count)
	}
	return out, nil
}

// checkIntcomp32 checks the blocks of an intcomp.CompressUint32 output
// and returns how many values it holds (at most limit). The last word is
// a length the decoder ignores. A block is either
//
//	variable-byte: [count < 128, words, varbytes...] with exactly count
//	               terminated varbytes, 4 a word, most significant first
//	bit-packed:    [count (a multiple of 128), words, first value], then
//	               per 128 values a word of four 7-bit widths (<= 32) and
//	               that many words for each group of 32
//
// and its word count must be exactly what the decoder will consume.
func checkIntcomp32(words []uint32, limit int) (int, error) {
	if len(words) == 0 {
		return 0, nil
	}
	in := words[:len(words)-1]
	total := 0
	for pos := 0; pos < len(in); {
		if len(in)-pos < 2 {
			return 0, errors.New("truncated block header")
		}
		count, size := int(in[pos]), int(in[pos+1])
		if size < 2 || size > len(in)-pos {
			return 0, fmt.Errorf("block of %d words, %d left", size, len(in)-pos)
		}
		if count > limit-total {
			return 0, fmt.Errorf("more than %d values", limit)
		}
		blk := in[pos : pos+size]
		if count < intcompBlock32 {
			if got := countVarBytes(blk[2:]); got != count {
				return 0, fmt.Errorf("variable-byte block holds %d values, header says %d", got, count)
			}
		} else if err := checkBitPacked(size, 3, count, intcompBlock32, 32, func(i int) uint64 { return uint64(blk[i]) }); err != nil {
			return 0, err
		}
		total += count
		pos += size
	}
	return total, nil
}

// checkIntcomp64 is checkIntcomp32 for intcomp.CompressUint64 output,
// where a block header is one word: count in the low 32 bits (read as an
// int32 by the decoder) and the block's words in the high 32, 8 varbytes
// a word, blocks of 256 and widths up to 64.
func checkIntcomp64(words []uint64, limit int) (int, error) {
	if len(words) == 0 {
		return 0, nil
	}
	in := words[:len(words)-1]
	total := 0
	for pos := 0; pos < len(in); {
		count, size := int(int32(uint32(in[pos]))), int(in[pos]>>32)
		if count < 0 {
			return 0, errors.New("negative block count")
		}
		if size < 1 || size > len(in)-pos {
			return 0, fmt.Errorf("block of %d words, %d left", size, len(in)-pos)
		}
		if count > limit-total {
			return 0, fmt.Errorf("more than %d values", limit)
		}
		blk := in[pos : pos+size]
		if count < intcompBlock64 {
			if got := countVarBytes64(blk[1:]); got != count {
				return 0, fmt.Errorf("variable-byte block holds %d values, header says %d", got, count)
			}
		} else if err := checkBitPacked(size, 2, count, intcompBlock64, 64, func(i int) uint64 { return blk[i] }); err != nil {
			return 0, err
		}
		total += count
		pos += size
	}
	return total, nil
}

// checkBitPacked checks a bit-packed block of size words, read by word,
// whose sub-blocks start at word first.
func checkBitPacked(size, first, count, per, maxWidth int, word func(int) uint64) error {
	if count%per != 0 {
		return fmt.Errorf("bit-packed block of %d values", count)
	}
	p := first
	for range count / per {
		if p >= size {
			return errors.New("bit-packed block truncated")
		}
		w := word(p)
		p++
		for _, shift := range [4]uint{24, 16, 8, 0} {
			width := int(w>>shift) & 0x7F
			if width > maxWidth {
				return fmt.Errorf("bit width %d", width)
			}
			p += width
		}
		if p > size {
			return errors.New("bit-packed block truncated")
		}
	}
	if p != size {
		return fmt.Errorf("bit-packed block of %d words, header says %d", p, size)
	}
	return nil
}

// countVarBytes counts the terminated varbytes (bytes with the high bit
// clear) in 32-bit words.
func countVarBytes(words []uint32) int {
	n := 0
	for _, w := range words {
		for shift := 24; shift >= 0; shift -= 8 {
			if (w>>shift)&0x80 == 0 {
				n++
			}
		}
	}
	return n
}

func countVarBytes64(words []uint64) int {
	n := 0
	for _, w := range words {
		for shift := 56; shift >= 0; shift -= 8 {
			if (w>>shift)&0x80 == 0 {
				n++
			}
		}
	}
	return n
}

// checkCoefficients checks the coefficient table: a count, then exactly
// that many scalars, each (in Montgomery form) less than the modulus, so
// that field arithmetic on them stays reduced.
func checkCoefficients(ci *curveInfo, b []byte) (int, error) {
	r := &byteReader{b: b}
	n, err := r.u64le()
	if err != nil {
		return 0, err
	}
	size := uint64(ci.frLimbs * 8)
	if n > uint64(r.left())/size || n*size != uint64(r.left()) {
		return 0, fmt.Errorf("%d coefficients in %d bytes", n, r.left())
	}
	var v big.Int
	be := make([]byte, size)
	for i := range int(n) {
		limbs, _ := r.take(int(size))
		// little-endian limbs, little-endian bytes: reverse for SetBytes
		for j := range be {
			be[j] = limbs[len(limbs)-1-j]
		}
		if v.SetBytes(be).Cmp(ci.r) >= 0 {
			return 0, fmt.Errorf("coefficient %d is not reduced", i)
		}
	}
	return int(n), nil
}

// ---- semantic checks ----

// allowedHints are the hints a system may call, by ID: those gnark's
// frontend itself emits for the standard API (constraint/solver's
// InvZeroHint, and std/math/bits' decompositions, used by api.ToBinary,
// comparisons and api.ToTernary), with the arity each is called with. Any
// other hint, even one registered in this process (the emulated-arithmetic
// and curve hints of gnark's std take sizes from their inputs), is refused,
// so a system cannot make the solver allocate by a value it chose.
//
// gnark's internal hints.Randomize is refused too: its outputs are fresh
// crypto/rand values, and solving must be a deterministic function of the
// system and the witness. The solver runs twice for a PLONK proof (once
// on the calling goroutine under recover, once in gnark's own goroutine),
// so a random value would let the second solve take a path the first did
// not; and verifiers on different machines must reach the same outcome.
// gnark's frontend emits Randomize only for api.Commit, which is refused
// with the commitments anyway.
//
// Every allowed hint also runs wrapped (guardedHints): an argument that
// makes a hint panic (such as a bit index of 2^63 to ithBit, which Go's
// big.Int.Bit panics on) becomes the hint's error, on whatever goroutine
// gnark solves on.
var allowedHints = func() map[solver.HintID]hintSpec {
	bh := bits.GetHints() // ithBit, nBits, nTrits
	if len(bh) != 3 {
		panic("zkhost: std/math/bits has changed its hints")
	}
	specs := []hintSpec{
		{h: solver.InvZeroHint, nbIn: 1, minOut: 1, maxOut: 1},
		{h: bh[0], nbIn: 2, minOut: 1, maxOut: 1, run: safeIthBit},
		{h: bh[1], nbIn: 1, minOut: 1, maxOut: maxHintOutputs},
		{h: bh[2], nbIn: 1, minOut: 1, maxOut: maxHintOutputs},
	}
	m := make(map[solver.HintID]hintSpec)
	for _, sp := range specs {
		sp.name = solver.GetHintName(sp.h)
		if sp.run == nil {
			sp.run = sp.h
		}
		m[solver.GetHintID(sp.h)] = sp
	}
	return m
}()

// hintSpec is an allowed hint: its function, its name as gnark records it
// in MHintsDependencies, and the arity it is called with. Every call must
// produce at least one output wire, so that hint calls, which the solver
// walks but which add no constraint, are bounded by the wires (priced by
// Shape.Wires).
type hintSpec struct {
	h      solver.Hint
	name   string
	nbIn   int
	minOut int
	maxOut int
	run    solver.Hint // what the solver runs (h, or a safe equivalent)
}

// guard wraps the hint for the solver: arity checked, a panic turned into
// an error. gnark's provers solve in goroutines of their own, where a
// panic would end the worker, so this must hold whatever the inputs.
func (sp hintSpec) guard() solver.Hint {
	return func(q *big.Int, in, out []*big.Int) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("hint %s panicked: %s", sp.name, panicText(r))
			}
		}()
		if len(in) != sp.nbIn || len(out) < sp.minOut || len(out) > sp.maxOut {
			return fmt.Errorf("hint %s called with %d inputs and %d outputs", sp.name, len(in), len(out))
		}
		return sp.run(q, in, out)
	}
}

// safeIthBit is std/math/bits' ithBit (bit i of n) for every index: gnark's
// converts an index up to 2^64-1 to int, and big.Int.Bit panics on the
// negative result. Inputs are field elements, so such a bit is 0.
func safeIthBit(_ *big.Int, in, out []*big.Int) error {
	if !in[1].IsUint64() || in[1].Uint64() > math.MaxInt32 {
		out[0].SetUint64(0)
		return nil
	}
	out[0].SetUint64(uint64(in[0].Bit(int(in[1].Uint64()))))
	return nil
}

// hintSolverOptions has the solver run every allowed hint through its
// guard. Both the solve on the calling goroutine and the one inside
// gnark's provers must get them (solverOptions).
var hintSolverOptions = func() []solver.Option {
	opts := make([]solver.Option, 0, len(allowedHints))
	for _, id := range sortedKeys(allowedHints) {
		opts = append(opts, solver.OverrideHint(id, allowedHints[id].guard()))
	}
	return opts
}()

// solverOptions are the options of every solve: one task (on the calling
// goroutine where gnark allows it), no logging (gnark's solver prints the
// circuit's Println entries through its logger) and the guarded hints.
func solverOptions() []solver.Option {
	return append([]solver.Option{solver.WithNbTasks(1), solver.WithLogger(zerolog.Nop())}, hintSolverOptions...)
}

// checkSystem checks a decoded system: its type, field, blueprints, hints
// and every instruction, replaying how gnark assigned offsets.
//
// Systems with commitments (Commit, used by range checks and lookups in
// gnark's std) are refused: their proving keys carry Pedersen keys and the
// prover indexes them by the system's commitment info, and
// provernet_zk_v1 does not support them.
func checkSystem(ci *curveInfo, p *parsedSystem, want constraint.SystemType) error {
	s := p.core
	if s.Type != want {
		return fmt.Errorf("system type %d, want %d", s.Type, want)
	}
	if s.Field().Cmp(ci.r) != 0 {
		return fmt.Errorf("scalar field %s is not %s's", s.ScalarField, ci.zk)
	}
	if err := checkNoCommitments(s, want); err != nil {
		return err
	}
	nbIn := len(s.Public) + len(s.Secret)
	if s.NbInternalVariables < 0 || s.NbConstraints < 0 {
		return fmt.Errorf("negative counts: %d internal wires, %d constraints", s.NbInternalVariables, s.NbConstraints)
	}
	if nbIn > maxWires || s.NbInternalVariables > maxWires-nbIn {
		return Errorf(zkabi.ErrTooLarge, "%d+%d+%d wires, the limit is %d", len(s.Public), len(s.Secret), s.NbInternalVariables, maxWires)
	}
	if want == constraint.SystemR1CS && len(s.Public) == 0 {
		return errors.New("no constant wire")
	}
	if s.NbConstraints > maxDomain {
		return Errorf(zkabi.ErrTooLarge, "%d constraints, the limit is %d", s.NbConstraints, maxDomain)
	}
	p.nbWires = nbIn + s.NbInternalVariables
	p.nbConstrain = s.NbConstraints
	if err := checkBlueprints(s, want); err != nil {
		return err
	}
	// In key order: the first bad entry is the one reported, and the
	// message must not depend on Go's map iteration order.
	for _, id := range sortedKeys(s.MHintsDependencies) {
		name := s.MHintsDependencies[id]
		if h, ok := allowedHints[id]; !ok || h.name != name {
			return fmt.Errorf("hint %q not supported by %s", name, zkabi.Module)
		}
	}
	if err := checkInstructions(p); err != nil {
		return err
	}
	return checkLevels(s)
}

func checkNoCommitments(s *constraint.System, want constraint.SystemType) error {
	const msg = "commitments not supported by " + zkabi.Module
	switch c := s.CommitmentInfo.(type) {
	case constraint.Groth16Commitments:
		if want != constraint.SystemR1CS {
			return errors.New("groth16 commitment info in a sparse system")
		}
		if len(c) != 0 {
			return errors.New(msg)
		}
	case constraint.PlonkCommitments:
		if want != constraint.SystemSparseR1CS {
			return errors.New("plonk commitment info in an R1CS")
		}
		if len(c) != 0 {
			return errors.New(msg)
		}
	default:
		return fmt.Errorf("commitment info of type %T", s.CommitmentInfo)
	}
	return nil
}

// checkBlueprints admits only the blueprints gnark's frontend emits for
// the system's type (and that checkInstructions knows how to check).
func checkBlueprints(s *constraint.System, want constraint.SystemType) error {
	for i, b := range s.Blueprints {
		ok := false
		switch b.(type) {
		case *constraint.BlueprintGenericHint, *constraint.BlueprintBatchInverse[constraint.U64]:
			ok = true
		case *constraint.BlueprintGenericR1C:
			ok = want == constraint.SystemR1CS
		case *constraint.BlueprintGenericSparseR1C[constraint.U64],
			*constraint.BlueprintSparseR1CAdd[constraint.U64],
			*constraint.BlueprintSparseR1CMul[constraint.U64],
			*constraint.BlueprintSparseR1CBool[constraint.U64]:
			ok = want == constraint.SystemSparseR1CS
		}
		if !ok {
			return fmt.Errorf("blueprint %d: %T not supported by %s", i, b, zkabi.Module)
		}
	}
	return nil
}

// wireRange is a hint's output wires [start, end).
type wireRange struct{ start, end uint32 }

// instrCheck is the state of checkInstructions' replay.
type instrCheck struct {
	nbWires, nbIn, nbCoeffs uint32
	outputs                 []wireRange
	solving                 int // instructions that may solve one wire
}

func (c *instrCheck) wire(v uint32) error {
	if v >= c.nbWires {
		return fmt.Errorf("wire %d of %d", v, c.nbWires)
	}
	return nil
}

func (c *instrCheck) coeff(id uint32) error {
	if id >= c.nbCoeffs {
		return fmt.Errorf("coefficient %d of %d", id, c.nbCoeffs)
	}
	return nil
}

// term checks a (coefficient, wire) pair; a constant term has wire
// MaxUint32 and only its coefficient is read.
func (c *instrCheck) term(cid, vid uint32) error {
	if err := c.coeff(cid); err != nil {
		return err
	}
	if vid == math.MaxUint32 {
		return nil
	}
	return c.wire(vid)
}

// checkInstructions replays gnark's AddInstruction: each instruction's
// calldata starts where the previous one's ended, its constraint offset
// is the count of constraints before it, its wire offset never goes
// backwards or past the wires; and its calldata is well formed for its
// blueprint, with every wire and coefficient in range.
func checkInstructions(p *parsedSystem) error {
	s := p.core
	c := &instrCheck{nbWires: uint32(p.nbWires), nbIn: uint32(len(s.Public) + len(s.Secret)), nbCoeffs: uint32(p.nbCoeffs)}
	var off uint64
	constraints, wireOff := 0, uint32(0)
	for i, in := range s.Instructions {
		if int(in.BlueprintID) >= len(s.Blueprints) {
			return fmt.Errorf("instruction %d: blueprint %d of %d", i, in.BlueprintID, len(s.Blueprints))
		}
		b := s.Blueprints[in.BlueprintID]
		if in.StartCallData != off {
			return fmt.Errorf("instruction %d: calldata at %d, want %d", i, in.StartCallData, off)
		}
		if int(in.ConstraintOffset) != constraints {
			return fmt.Errorf("instruction %d: constraint offset %d, want %d", i, in.ConstraintOffset, constraints)
		}
		if in.WireOffset < wireOff || in.WireOffset > c.nbWires {
			return fmt.Errorf("instruction %d: wire offset %d", i, in.WireOffset)
		}
		wireOff = in.WireOffset
		rest := s.CallData[off:]
		size := b.CalldataSize()
		if size < 0 {
			if len(rest) == 0 {
				return fmt.Errorf("instruction %d: calldata truncated", i)
			}
			size = int(rest[0])
		}
		if size < 1 || size > len(rest) {
			return fmt.Errorf("instruction %d: %d calldata words, %d left", i, size, len(rest))
		}
		if err := c.instruction(b, rest[:size], in.WireOffset); err != nil {
			return fmt.Errorf("instruction %d: %w", i, err)
		}
		off += uint64(size)
		constraints += b.NbConstraints()
		if constraints > s.NbConstraints {
			return fmt.Errorf("more than the %d constraints declared", s.NbConstraints)
		}
	}
	if off != uint64(len(s.CallData)) {
		return fmt.Errorf("%d calldata words unused", uint64(len(s.CallData))-off)
	}
	if constraints != s.NbConstraints {
		return fmt.Errorf("%d constraints, %d declared", constraints, s.NbConstraints)
	}
	return c.checkOutputs(s.NbInternalVariables)
}

// instruction checks one instruction's calldata cd (exactly its words).
func (c *instrCheck) instruction(b constraint.Blueprint, cd []uint32, wireOffset uint32) error {
	switch b.(type) {
	case *constraint.BlueprintBatchInverse[constraint.U64]:
		return c.batchInverse(cd, wireOffset)
	case *constraint.BlueprintGenericR1C:
		c.solving++
		return c.r1c(cd)
	case *constraint.BlueprintGenericHint:
		return c.hint(cd)
	case *constraint.BlueprintGenericSparseR1C[constraint.U64]:
		// xa xb xc qL qR qO qM qC commitment
		c.solving++
		return c.sparse(cd[0:3], cd[3:8], cd[8] <= uint32(constraint.COMMITMENT))
	case *constraint.BlueprintSparseR1CAdd[constraint.U64]:
		// xa xb xc qL qR qC
		c.solving++
		return c.sparse(cd[0:3], cd[3:6], true)
	case *constraint.BlueprintSparseR1CMul[constraint.U64]:
		// xa xb xc qM
		c.solving++
		return c.sparse(cd[0:3], cd[3:4], true)
	case *constraint.BlueprintSparseR1CBool[constraint.U64]:
		// xa qL qM
		return c.sparse(cd[0:1], cd[1:3], true)
	}
	return fmt.Errorf("blueprint %T", b)
}

func (c *instrCheck) sparse(wires, coeffs []uint32, ok bool) error {
	if !ok {
		return errors.New("bad commitment marker")
	}
	for _, w := range wires {
		if err := c.wire(w); err != nil {
			return err
		}
	}
	for _, k := range coeffs {
		if err := c.coeff(k); err != nil {
			return err
		}
	}
	return nil
}

// r1c checks [size, len L, len R, len O, (coeff, wire) × (L+R+O)].
func (c *instrCheck) r1c(cd []uint32) error {
	if len(cd) < 4 {
		return errors.New("r1c calldata truncated")
	}
	n := uint64(cd[1]) + uint64(cd[2]) + uint64(cd[3])
	if 4+2*n != uint64(len(cd)) {
		return fmt.Errorf("r1c of %d terms in %d words", n, len(cd))
	}
	for j := 4; j < len(cd); j += 2 {
		if err := c.term(cd[j], cd[j+1]); err != nil {
			return err
		}
	}
	return nil
}

// hint checks [size, hint id, nb inputs, (n, (coeff, wire) × n) × nb
// inputs, output start, output end].
func (c *instrCheck) hint(cd []uint32) error {
	if len(cd) < 5 {
		return errors.New("hint calldata truncated")
	}
	sp, ok := allowedHints[solver.HintID(cd[1])]
	if !ok {
		return fmt.Errorf("hint %d not supported by %s", cd[1], zkabi.Module)
	}
	if int64(cd[2]) != int64(sp.nbIn) {
		return fmt.Errorf("hint %s with %d inputs, it takes %d", sp.name, cd[2], sp.nbIn)
	}
	j, err := c.linearExpressions(cd, 3, cd[2])
	if err != nil {
		return fmt.Errorf("hint: %w", err)
	}
	if j+2 != len(cd) {
		return fmt.Errorf("hint of %d words, inputs end at %d", len(cd), j)
	}
	r := wireRange{cd[j], cd[j+1]}
	if r.start <= r.end && (int64(r.end-r.start) < int64(sp.minOut) || int64(r.end-r.start) > int64(sp.maxOut)) {
		return fmt.Errorf("hint %s with %d outputs, it makes %d to %d", sp.name, r.end-r.start, sp.minOut, sp.maxOut)
	}
	return c.output(r)
}

// batchInverse checks [size, n, (len, (coeff, wire) × len) × n], whose n
// outputs are the wires from the instruction's wire offset.
func (c *instrCheck) batchInverse(cd []uint32, wireOffset uint32) error {
	if len(cd) < 2 {
		return errors.New("batch inverse calldata truncated")
	}
	j, err := c.linearExpressions(cd, 2, cd[1])
	if err != nil {
		return err
	}
	if j != len(cd) {
		return fmt.Errorf("batch inverse of %d words, inputs end at %d", len(cd), j)
	}
	return c.output(wireRange{wireOffset, wireOffset + min(cd[1], math.MaxUint32-wireOffset)})
}

// linearExpressions checks n expressions [len, (coeff, wire) × len] from
// cd[j] and returns where they end.
func (c *instrCheck) linearExpressions(cd []uint32, j int, n uint32) (int, error) {
	for range n {
		if j >= len(cd) {
			return 0, errors.New("inputs truncated")
		}
		k := int(cd[j])
		j++
		if k > (len(cd)-j)/2 {
			return 0, errors.New("input truncated")
		}
		for range k {
			if err := c.term(cd[j], cd[j+1]); err != nil {
				return 0, err
			}
			j += 2
		}
	}
	return j, nil
}

// output records the output wires of a hint or batch inverse, which must
// be internal wires, at most maxHintOutputs of them.
func (c *instrCheck) output(r wireRange) error {
	if r.start > r.end || r.end-r.start > maxHintOutputs {
		return fmt.Errorf("outputs [%d, %d)", r.start, r.end)
	}
	if r.start < c.nbIn || r.end > c.nbWires {
		return fmt.Errorf("outputs [%d, %d) outside the internal wires", r.start, r.end)
	}
	c.outputs = append(c.outputs, r)
	return nil
}

// checkOutputs checks hint outputs do not overlap (the solver would set a
// wire twice) and that every internal wire can be solved: by a hint, or
// by a constraint (each solves at most one wire). That bounds the wires,
// and so the solver's allocation, by the system's own size.
func (c *instrCheck) checkOutputs(internal int) error {
	slices.SortFunc(c.outputs, func(a, b wireRange) int { return int(int64(a.start) - int64(b.start)) })
	hinted := 0
	for i, r := range c.outputs {
		if i > 0 && r.start < c.outputs[i-1].end {
			return fmt.Errorf("hint outputs [%d, %d) and [%d, %d) overlap", c.outputs[i-1].start, c.outputs[i-1].end, r.start, r.end)
		}
		hinted += int(r.end - r.start)
	}
	if internal > hinted+c.solving {
		return fmt.Errorf("%d internal wires, at most %d can be solved", internal, hinted+c.solving)
	}
	return nil
}

// sortedKeys returns the keys of m in increasing order. Validators range
// over maps only through it, so that which entry an error names is the
// same on every run and every machine.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkLevels checks the levels are a partition of the instructions: the
// solver runs each listed instruction, so a repeat would redo work and an
// omission leave wires unsolved.
func checkLevels(s *constraint.System) error {
	seen := make([]bool, len(s.Instructions))
	n := 0
	for l, level := range s.Levels {
		for _, i := range level {
			if int(i) >= len(seen) || seen[i] {
				return fmt.Errorf("level %d: instruction %d missing or repeated", l, i)
			}
			seen[i] = true
			n++
		}
	}
	if n != len(s.Instructions) {
		return fmt.Errorf("levels hold %d of %d instructions", n, len(s.Instructions))
	}
	return nil
}

// maxDebugText bounds the text the solver formats for one debug or log
// entry.
const maxDebugText = 1 << 20

// checkDebugInfo checks what the solver reads to word an unsatisfied
// constraint (MDebug, DebugInfo, the symbol table) and to print logs:
// indexes in range, and format strings without widths, precisions or
// argument indexes, whose expansion Sprintf would allocate (up to 10^6
// bytes a verb), and stack text of bounded size.
func checkDebugInfo(p *parsedSystem) error {
	s := p.core
	for _, cid := range sortedKeys(s.MDebug) { // in order: see checkSystem
		if cid < 0 || cid >= s.NbConstraints {
			return fmt.Errorf("debug info for constraint %d of %d", cid, s.NbConstraints)
		}
		if id := s.MDebug[cid]; id < 0 || id >= len(s.DebugInfo) {
			return fmt.Errorf("debug info %d of constraint %d out of range", id, cid)
		}
	}
	c := &instrCheck{nbWires: uint32(p.nbWires), nbCoeffs: uint32(p.nbCoeffs)}
	for i, e := range s.DebugInfo {
		if err := checkLogEntry(s, c, e); err != nil {
			return fmt.Errorf("debug info %d: %w", i, err)
		}
	}
	for i, e := range s.Logs {
		if err := checkLogEntry(s, c, e); err != nil {
			return fmt.Errorf("log %d: %w", i, err)
		}
	}
	return nil
}

func checkLogEntry(s *constraint.System, c *instrCheck, e constraint.LogEntry) error {
	if err := checkFormat(e.Format); err != nil {
		return err
	}
	text := len(e.Format)
	for _, le := range e.ToResolve {
		for _, t := range le {
			if err := c.term(t.CID, t.VID); err != nil {
				return err
			}
		}
		text += 80 // a scalar in decimal
	}
	for _, l := range e.Stack {
		if l < 0 || l >= len(s.SymbolTable.Locations) {
			return fmt.Errorf("stack location %d out of range", l)
		}
		f := s.SymbolTable.Locations[l].FunctionID
		if f < 0 || f >= len(s.SymbolTable.Functions) {
			return fmt.Errorf("stack function %d out of range", f)
		}
		text += len(s.SymbolTable.Functions[f].Name) + len(s.SymbolTable.Functions[f].Filename) + 24
		if text > maxDebugText {
			return fmt.Errorf("debug text over %d bytes", maxDebugText)
		}
	}
	return nil
}

// checkFormat admits a format string whose verbs have no width,
// precision or argument index: what gnark writes ("%s") and plain flags.
func checkFormat(f string) error {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		for i++; i < len(f) && strings.IndexByte("+-# 0", f[i]) >= 0; i++ {
		}
		if i < len(f) && (f[i] == '*' || f[i] == '.' || f[i] == '[' || (f[i] >= '1' && f[i] <= '9')) {
			return errors.New("format with a width, precision or argument index")
		}
	}
	return nil
}

// ---- CBOR body ----

// gnark's CBOR tags (constraint.getTagSet): 5309735 plus the index of the
// type in its list. Only those of the blueprints and commitment infos
// checkBlueprints admits are allowed, so no other type is ever built.
const cborTagBase = 5309735

var cborTags = map[uint64]bool{
	cborTagBase + 0:  true, // BlueprintGenericHint
	cborTagBase + 1:  true, // BlueprintGenericR1C
	cborTagBase + 2:  true, // Groth16Commitments
	cborTagBase + 3:  true, // PlonkCommitments
	cborTagBase + 9:  true, // BlueprintGenericSparseR1C[U64]
	cborTagBase + 10: true, // BlueprintSparseR1CAdd[U64]
	cborTagBase + 11: true, // BlueprintSparseR1CMul[U64]
	cborTagBase + 12: true, // BlueprintSparseR1CBool[U64]
	cborTagBase + 15: true, // BlueprintBatchInverse[U64]
}

// Estimated Go memory per decoded CBOR item: an array element is at most
// a LogEntry (80 bytes) or an interface plus its value; a map entry
// (map[int]int, map[HintID]string) costs about twice its key and value.
const (
	cborMaxDepth    = 24
	cborElementCost = 96
	cborPairCost    = 128
	cborTagCost     = 64
	cborStringCost  = 16
)

// checkCBOR walks the body, a single CBOR item, checking every length
// against the bytes left, refusing indefinite lengths, unknown tags and
// deep nesting, and returns an estimate of the memory decoding it takes.
// gnark decodes it with array and map limits of 2^31, so this estimate is
// what bounds it.
func checkCBOR(b []byte) (int, error) {
	w := &cborWalker{b: b}
	if err := w.item(0); err != nil {
		return 0, err
	}
	if w.off != len(b) {
		return 0, fmt.Errorf("%d trailing bytes", len(b)-w.off)
	}
	return int(w.cost), nil
}

type cborWalker struct {
	b    []byte
	off  int
	cost uint64

	maxConstraints uint64 // checkBodyFields' bound on byConstraint fields
}

func (w *cborWalker) item(depth int) error {
	if depth > cborMaxDepth {
		return errors.New("cbor nested too deep")
	}
	if w.cost > maxSystemMemory {
		return Errorf(zkabi.ErrTooLarge, "constraint system body would take more than %d bytes in memory", maxSystemMemory)
	}
	if w.off >= len(w.b) {
		return errTruncated
	}
	ib := w.b[w.off]
	w.off++
	major, ai := ib>>5, ib&31
	var arg uint64
	switch {
	case ai < 24:
		arg = uint64(ai)
	case ai <= 27:
		n := 1 << (ai - 24)
		if len(w.b)-w.off < n {
			return errTruncated
		}
		for _, c := range w.b[w.off : w.off+n] {
			arg = arg<<8 | uint64(c)
		}
		w.off += n
	default:
		return fmt.Errorf("cbor additional info %d (indefinite or reserved)", ai)
	}
	left := uint64(len(w.b) - w.off)
	switch major {
	case 0, 1: // integers
		w.cost += 8
	case 2, 3: // byte and text strings
		if arg > left {
			return errTruncated
		}
		w.off += int(arg)
		w.cost += arg + cborStringCost
	case 4: // array: each element takes a byte at least
		if arg > left {
			return errTruncated
		}
		w.cost += arg * cborElementCost
		for range arg {
			if err := w.item(depth + 1); err != nil {
				return err
			}
		}
	case 5: // map
		if arg > left/2 {
			return errTruncated
		}
		w.cost += arg * cborPairCost
		for range 2 * arg {
			if err := w.item(depth + 1); err != nil {
				return err
			}
		}
	case 6: // tag
		if !cborTags[arg] {
			return fmt.Errorf("cbor tag %d not supported", arg)
		}
		w.cost += cborTagCost
		return w.item(depth + 1)
	case 7: // simple values and floats
		w.cost += 8
	}
	return nil
}

// bodyField bounds the entries of a collection in the body, a field of
// constraint.System by name (max; byConstraint: no more than the system
// has constraints either), or names the fields of a nested struct (sub).
type bodyField struct {
	name         string
	max          uint64
	byConstraint bool
	sub          []bodyField
}

// bodyFields are the body's collections that gnark's frontend writes small
// or empty, and that decodeSystem drops after decoding anyway (the debug
// sections) or that hold a few entries (hints, blueprints). gnark's CBOR
// decoder takes about 300 ns an entry, whatever the entry's size (a Go map
// entry of MDebug is 6 bytes of CBOR, an empty log entry 1), far more a
// byte than the parse charge, so they are bounded before it runs. The
// debug sections are empty unless the circuit was compiled with gnark's
// debug build tag, and then hold an entry per constraint (MDebug, keyed
// by constraint; a constraint takes an instruction) or call site: a
// circuit compiled that way with more than 2^14 constraints is refused,
// with a message naming the section. What the limits leave unpriced is a
// few milliseconds a parse.
var bodyFields = []bodyField{
	{name: "MDebug", max: 1 << 14, byConstraint: true},
	{name: "DebugInfo", max: 1 << 14},
	{name: "Logs", max: 1 << 12},
	{name: "MHintsDependencies", max: 1 << 6},
	{name: "Blueprints", max: 1 << 8},
	{name: "SymbolTable", sub: []bodyField{
		{name: "Locations", max: 1 << 14},
		{name: "Functions", max: 1 << 12},
	}},
}

// checkBodyFields checks the body (already walked by checkCBOR, so well
// formed) against bodyFields before gnark decodes it. The body must be a
// map, as gnark writes constraint.System. A key is matched to a field the
// way gnark's CBOR decoder (fxamacker/cbor) matches it: exactly, or
// case-insensitively with the same length; every key that matches is
// checked, repeats included.
func checkBodyFields(b []byte, maxConstraints int) error {
	w := &cborWalker{b: b, maxConstraints: uint64(maxConstraints)}
	if err := w.fields("body", bodyFields); err != nil {
		return err
	}
	if w.off != len(b) {
		return fmt.Errorf("%d trailing bytes", len(b)-w.off)
	}
	return nil
}

// head reads an item's initial byte and argument; the item was checked
// by item before.
func (w *cborWalker) head() (major byte, arg uint64) {
	ib := w.b[w.off]
	w.off++
	major, ai := ib>>5, ib&31
	if ai < 24 {
		return major, uint64(ai)
	}
	n := 1 << (ai - 24)
	for _, c := range w.b[w.off : w.off+n] {
		arg = arg<<8 | uint64(c)
	}
	w.off += n
	return major, arg
}

// fields checks the map item at w.off against limits and moves past it.
func (w *cborWalker) fields(what string, limits []bodyField) error {
	major, n := w.head()
	if major != 5 {
		return fmt.Errorf("%s is not a map", what)
	}
	for range n {
		kstart := w.off
		kmajor, klen := w.head()
		if kmajor != 3 { // gnark writes field names; others match no field
			w.off = kstart
			if err := w.item(1); err != nil {
				return err
			}
			if err := w.item(1); err != nil {
				return err
			}
			continue
		}
		key := string(w.b[w.off : w.off+int(klen)])
		w.off += int(klen)
		f := matchField(limits, key)
		if f == nil {
			if err := w.item(1); err != nil {
				return err
			}
			continue
		}
		vstart := w.off
		vmajor, count := w.head()
		for vmajor == 6 { // tags are decoded through to their content
			vmajor, count = w.head()
		}
		switch {
		case f.sub != nil && vmajor == 5:
			w.off = vstart
			for w.b[w.off]>>5 == 6 {
				w.head()
			}
			if err := w.fields(what+"."+f.name, f.sub); err != nil {
				return err
			}
			continue
		case f.sub == nil && (vmajor == 4 || vmajor == 5) && count > f.max:
			return fmt.Errorf("%s.%s has %d entries, the limit is %d", what, f.name, count, f.max)
		case f.byConstraint && (vmajor == 4 || vmajor == 5) && count > w.maxConstraints:
			return fmt.Errorf("%s.%s has %d entries, more than the system's %d instructions", what, f.name, count, w.maxConstraints)
		}
		w.off = vstart
		if err := w.item(1); err != nil {
			return err
		}
	}
	return nil
}

// matchField finds the field key names as fxamacker/cbor would.
func matchField(fields []bodyField, key string) *bodyField {
	for i := range fields {
		if fields[i].name == key {
			return &fields[i]
		}
	}
	for i := range fields {
		if len(fields[i].name) == len(key) && strings.EqualFold(fields[i].name, key) {
			return &fields[i]
		}
	}
	return nil
}
