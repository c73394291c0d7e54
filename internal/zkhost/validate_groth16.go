package zkhost

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/provernet/provernet/sdk/zkabi"
)

// Groth16 keys and proofs are gnark-crypto encodings: big-endian
// integers, points compressed (the flag bits of the first byte say so) or
// uncompressed (raw, twice the size), slices a uint32 count then the
// points. gnark-crypto's Decoder allocates by that count before reading a
// point; the walkers below check every count against the bytes present.

// pointReader walks point encodings of one curve.
type pointReader struct {
	byteReader
	ci *curveInfo
}

// point reads one point of compressed size size, in either encoding
// unless raw (uncompressed only) is asked.
func (r *pointReader) point(size int, raw bool) error {
	if r.left() < 1 {
		return errTruncated
	}
	if r.ci.compressed(r.b[r.off]) {
		if raw {
			return errors.New("compressed point in a raw encoding")
		}
	} else {
		size *= 2
	}
	_, err := r.take(size)
	return err
}

// slice reads a uint32 count and that many points, and returns the count.
func (r *pointReader) slice(size int, raw bool) (int, error) {
	n, err := r.u32be()
	if err != nil {
		return 0, err
	}
	if uint64(n) > uint64(r.left()/size) { // a point takes size bytes at least
		return 0, fmt.Errorf("%w: %d points in %d bytes", errTruncated, n, r.left())
	}
	for range n {
		if err := r.point(size, raw); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}

// pkLayout is what the proving key walk read; the decoded key holds the
// same (gnark reads the same fields in the same order).
type pkLayout struct {
	domain                   uint64
	nbWires                  int
	lenA, lenB, lenZ, lenK   int
	lenB2                    int
	nbInfinityA, nbInfinityB int
	precompute               bool
	memSize                  int64
}

// checkProvingKeyBytes walks a Groth16 proving key in gnark's WriteRawTo
// format:
//
//	domain: cardinality uint64, 5 scalars, precompute flag (1 byte)
//	G1 α, β, δ; G1 slices A, B, Z, K; G2 β, δ; G2 slice B
//	nbWires uint64, NbInfinityA uint64, NbInfinityB uint64
//	InfinityA, InfinityB: nbWires bytes each (0 or 1)
//	nbCommitments uint32 (must be 0)
//
// It checks the domain is exactly gnark's for a power-of-two cardinality
// up to 2^28, all slice points are uncompressed (raw), the infinity
// tables hold as many ones as NbInfinity says, the point counts fit the
// wires (len(A)+NbInfinityA = len(B)+NbInfinityB = nbWires, len(G2 B) =
// len(G1 B), len(Z) = domain-1), and nothing follows.
func checkProvingKeyBytes(ci *curveInfo, data []byte) (*pkLayout, error) {
	r := &pointReader{byteReader: byteReader{b: data}, ci: ci}
	lay := &pkLayout{}
	card, err := r.u64be()
	if err != nil {
		return nil, fmt.Errorf("domain: %w", err)
	}
	if !isPow2(card) || card > maxDomain {
		return nil, fmt.Errorf("domain of %d elements (want a power of two up to 2^%d)", card, maxLogDomain)
	}
	lay.domain = card
	domainAt := r.off - 8
	if _, err := r.take(5*ci.frBytes + 1); err != nil {
		return nil, fmt.Errorf("domain: %w", err)
	}
	switch flag := r.b[r.off-1]; flag {
	case 0, 1:
		lay.precompute = flag == 1
	default:
		return nil, fmt.Errorf("domain precompute flag %d", flag)
	}
	domain := r.b[domainAt : r.off-1]
	for range 3 { // α, β, δ
		if err := r.point(ci.g1, false); err != nil {
			return nil, fmt.Errorf("G1: %w", err)
		}
	}
	for _, n := range []*int{&lay.lenA, &lay.lenB, &lay.lenZ, &lay.lenK} {
		if *n, err = r.slice(ci.g1, true); err != nil {
			return nil, fmt.Errorf("G1 slices: %w", err)
		}
	}
	for range 2 { // β, δ
		if err := r.point(ci.g2, false); err != nil {
			return nil, fmt.Errorf("G2: %w", err)
		}
	}
	if lay.lenB2, err = r.slice(ci.g2, true); err != nil {
		return nil, fmt.Errorf("G2 B: %w", err)
	}
	if err := checkInfinities(r, lay); err != nil {
		return nil, err
	}
	nbCommitments, err := r.u32be()
	if err != nil {
		return nil, fmt.Errorf("commitments: %w", err)
	}
	if nbCommitments != 0 {
		return nil, Errorf(zkabi.ErrKey, "proving key: commitments not supported by %s", zkabi.Module)
	}
	if r.left() != 0 {
		return nil, fmt.Errorf("%d trailing bytes", r.left())
	}
	if lay.lenB2 != lay.lenB {
		return nil, fmt.Errorf("%d G2 B points, %d G1 B points", lay.lenB2, lay.lenB)
	}
	if uint64(lay.lenZ) != card-1 {
		return nil, fmt.Errorf("%d Z points for a domain of %d", lay.lenZ, card)
	}
	// Last, as it computes: the domain must be gnark's, or the FFTs of
	// the prover would not be FFTs (and a bad generator is no error).
	want, err := ci.domainBytes(card)
	if err != nil {
		return nil, Errorf(zkabi.ErrInternal, "domain: %w", err)
	}
	if !bytes.Equal(domain, want[:len(domain)]) {
		return nil, errors.New("domain is not the standard one of its size")
	}
	lay.memSize = int64(len(data)) + 2*int64(lay.nbWires)
	if lay.precompute {
		lay.memSize += 4 * int64(card) * int64(ci.frLimbs*8) // twiddles and coset tables
	}
	return lay, nil
}

// checkInfinities reads nbWires, the infinity counts and tables.
func checkInfinities(r *pointReader, lay *pkLayout) error {
	var v [3]uint64
	for i := range v {
		var err error
		if v[i], err = r.u64be(); err != nil {
			return fmt.Errorf("wire counts: %w", err)
		}
	}
	nbWires, infA, infB := v[0], v[1], v[2]
	if nbWires > maxWires || nbWires > uint64(r.left()/2) {
		return fmt.Errorf("%d wires, %d bytes left", nbWires, r.left())
	}
	lay.nbWires = int(nbWires)
	tables := [2]struct {
		count uint64
		n     *int
		len   int
	}{{infA, &lay.nbInfinityA, lay.lenA}, {infB, &lay.nbInfinityB, lay.lenB}}
	for i, t := range tables {
		b, _ := r.take(lay.nbWires)
		ones := 0
		for _, c := range b {
			if c > 1 {
				return fmt.Errorf("infinity table %d: byte %d", i, c)
			}
			ones += int(c)
		}
		if uint64(ones) != t.count {
			return fmt.Errorf("infinity table %d has %d entries set, header says %d", i, ones, t.count)
		}
		if t.len+ones != lay.nbWires {
			return fmt.Errorf("infinity table %d: %d points and %d at infinity for %d wires", i, t.len, ones, lay.nbWires)
		}
		*t.n = ones
	}
	return nil
}

// checkVerifyingKeyBytes walks a Groth16 verifying key in gnark's WriteTo
// (or WriteRawTo) format:
//
//	G1 α, β; G2 β, γ; G1 δ; G2 δ; G1 slice K
//	PublicAndCommitmentCommitted: uint32 count (must be 0)
//	nbCommitments uint32 (must be 0)
//
// and returns len(K), which must be at least 1 (the constant wire).
func checkVerifyingKeyBytes(ci *curveInfo, data []byte) (int, error) {
	r := &pointReader{byteReader: byteReader{b: data}, ci: ci}
	for i, size := range []int{ci.g1, ci.g1, ci.g2, ci.g2, ci.g1, ci.g2} {
		if err := r.point(size, false); err != nil {
			return 0, fmt.Errorf("point %d: %w", i, err)
		}
	}
	k, err := r.slice(ci.g1, false)
	if err != nil {
		return 0, fmt.Errorf("K: %w", err)
	}
	if k < 1 {
		return 0, errors.New("no K point for the constant wire")
	}
	for _, what := range []string{"committed public inputs", "commitment keys"} {
		n, err := r.u32be()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		if n != 0 {
			return 0, Errorf(zkabi.ErrKey, "verifying key: commitments not supported by %s", zkabi.Module)
		}
	}
	if r.left() != 0 {
		return 0, fmt.Errorf("%d trailing bytes", r.left())
	}
	return k, nil
}

// checkProofBytes walks a Groth16 proof in gnark's WriteTo (or
// WriteRawTo) format: G1 Ar, G2 Bs, G1 Krs, G1 slice Commitments (must be
// empty), G1 CommitmentPok, and nothing after.
func checkProofBytes(ci *curveInfo, data []byte) error {
	if err := tooLarge("proof", len(data), maxProofBytes); err != nil {
		return err
	}
	r := &pointReader{byteReader: byteReader{b: data}, ci: ci}
	for i, size := range []int{ci.g1, ci.g2, ci.g1} {
		if err := r.point(size, false); err != nil {
			return fmt.Errorf("point %d: %w", i, err)
		}
	}
	n, err := r.u32be()
	if err != nil {
		return fmt.Errorf("commitments: %w", err)
	}
	if n != 0 {
		return fmt.Errorf("%d commitments; commitments not supported by %s", n, zkabi.Module)
	}
	if err := r.point(ci.g1, false); err != nil {
		return fmt.Errorf("commitment proof: %w", err)
	}
	if r.left() != 0 {
		return fmt.Errorf("%d trailing bytes", r.left())
	}
	return nil
}
