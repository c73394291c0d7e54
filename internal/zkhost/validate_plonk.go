package zkhost

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/provernet/provernet/sdk/zkabi"
)

// Pre-validators for gnark's PLONK objects (backend/plonk/<curve>/marshal.go,
// gnark-crypto's ecc/<curve>/marshal.go and kzg/marshal.go). gnark-crypto's
// Decoder makes a slice as long as any length prefix says and reads until
// the bytes run out, so these walk the exact layout first: every length
// prefix is checked against the bytes actually left, every size against
// the domain, and nothing is allocated by what the bytes claim. Only input
// that passes is handed to gnark's decoders.

// plonkEncoding is the byte layout of one curve's objects as gnark-crypto's
// Encoder writes them.
type plonkEncoding struct {
	frBytes      int
	g1Compressed int
	g1Raw        int
	g2Compressed int
	g2Raw        int
	// linesBytes is the size of kzg.VerifyingKey.Lines, which the Encoder
	// writes with binary.Write as a fixed array.
	linesBytes int
	// modulus is the scalar field's modulus, big-endian, frBytes long.
	modulus []byte
	// isCompressed reads the flag bits of a point's first byte exactly as
	// the curve's Decoder does, so the walk and the decoder agree on each
	// point's length.
	isCompressed func(msb byte) bool
	// maxLogDomain is the largest log2 domain the prover can run: its
	// quotient domain is 4× larger and must still have roots of unity, so
	// it is min(maxLogDomain, two-adicity of the scalar field - 2).
	maxLogDomain int
}

// newPlonkEncoding is the layout of a curve's objects: the sizes of
// curveInfo, the lines of its KZG verifying key and its scalar field's
// two-adicity.
func newPlonkEncoding(ci *curveInfo, linesBytes, twoAdicity int) plonkEncoding {
	return plonkEncoding{
		frBytes:      ci.frBytes,
		g1Compressed: ci.g1, g1Raw: 2 * ci.g1,
		g2Compressed: ci.g2, g2Raw: 2 * ci.g2,
		linesBytes:   linesBytes,
		modulus:      ci.r.FillBytes(make([]byte, ci.frBytes)),
		isCompressed: ci.compressed,
		maxLogDomain: min(maxLogDomain, twoAdicity-2),
	}
}

// checkDomain accepts a PLONK domain size: a power of two, at least 2
// (gnark's Setup refuses less), at most 2^maxLogDomain (ErrTooLarge).
func (e *plonkEncoding) checkDomain(status zkabi.Status, what string, size uint64) error {
	if size < 2 || size&(size-1) != 0 {
		return Errorf(status, "%s: domain size %d is not a power of two ≥ 2", what, size)
	}
	if size > 1<<e.maxLogDomain {
		return Errorf(zkabi.ErrTooLarge, "%s: domain size %d exceeds the limit 2^%d", what, size, e.maxLogDomain)
	}
	return nil
}

// plonkCursor walks serialized bytes; its errors carry status and name
// the object.
type plonkCursor struct {
	b      []byte
	enc    *plonkEncoding
	status zkabi.Status
	what   string
}

func (c *plonkCursor) fail(format string, args ...any) error {
	return Errorf(c.status, "%s: %s", c.what, fmt.Sprintf(format, args...))
}

func (c *plonkCursor) take(n int, field string) ([]byte, error) {
	if n < 0 || n > len(c.b) {
		return nil, c.fail("%s: truncated", field)
	}
	out := c.b[:n]
	c.b = c.b[n:]
	return out, nil
}

func (c *plonkCursor) u32(field string) (uint32, error) {
	b, err := c.take(4, field)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b), nil
}

func (c *plonkCursor) u64(field string) (uint64, error) {
	b, err := c.take(8, field)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(b), nil
}

// scalar reads a field element; gnark's decoder refuses non-canonical
// ones too, but checking here gives the right status and message.
func (c *plonkCursor) scalar(field string) error {
	b, err := c.take(c.enc.frBytes, field)
	if err != nil {
		return err
	}
	if bytes.Compare(b, c.enc.modulus) >= 0 {
		return c.fail("%s: not reduced modulo the scalar field", field)
	}
	return nil
}

// point reads a point whose length its first byte's flags give.
func (c *plonkCursor) point(field string, compressed, raw int) error {
	if len(c.b) == 0 {
		return c.fail("%s: truncated", field)
	}
	n := raw
	if c.enc.isCompressed(c.b[0]) {
		n = compressed
	}
	_, err := c.take(n, field)
	return err
}

func (c *plonkCursor) g1(field string) error {
	return c.point(field, c.enc.g1Compressed, c.enc.g1Raw)
}

func (c *plonkCursor) g2(field string) error {
	return c.point(field, c.enc.g2Compressed, c.enc.g2Raw)
}

// g1Slice reads a length-prefixed slice of G1 points, compressed or not
// (the Decoder takes each point as its flags say). The length is checked
// against the bytes left at the smallest point size before the walk.
func (c *plonkCursor) g1Slice(field string) (int, error) {
	n, err := c.u32(field + " length")
	if err != nil {
		return 0, err
	}
	if uint64(n)*uint64(c.enc.g1Compressed) > uint64(len(c.b)) {
		return 0, c.fail("%s: length %d exceeds the %d bytes left", field, n, len(c.b))
	}
	for i := range int(n) {
		if err := c.g1(fmt.Sprintf("%s[%d]", field, i)); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}

// rawG1Slice reads a length-prefixed slice of exactly want uncompressed
// G1 points. Keys must be in WriteRawTo form: decompressing a point costs
// a square root, which would make a small key expensive to parse.
func (c *plonkCursor) rawG1Slice(field string, want uint64) error {
	n, err := c.u32(field + " length")
	if err != nil {
		return err
	}
	if uint64(n) != want {
		return c.fail("%s: %d points, want %d for the key's domain", field, n, want)
	}
	size := c.enc.g1Raw
	if uint64(n)*uint64(size) > uint64(len(c.b)) {
		return c.fail("%s: %d points need %d bytes, %d left", field, n, uint64(n)*uint64(size), len(c.b))
	}
	for i := range int(n) {
		if c.enc.isCompressed(c.b[i*size]) {
			return c.fail("%s[%d]: compressed point in a raw (WriteRawTo) key", field, i)
		}
	}
	c.b = c.b[int(n)*size:]
	return nil
}

// u64Slice reads a length-prefixed slice of uint64.
func (c *plonkCursor) u64Slice(field string) (int, error) {
	n, err := c.u32(field + " length")
	if err != nil {
		return 0, err
	}
	if uint64(n)*8 > uint64(len(c.b)) {
		return 0, c.fail("%s: length %d exceeds the %d bytes left", field, n, len(c.b))
	}
	c.b = c.b[int(n)*8:]
	return int(n), nil
}

func (c *plonkCursor) end() error {
	if len(c.b) != 0 {
		return c.fail("%d trailing bytes", len(c.b))
	}
	return nil
}

// plonkKeyHeader is what the walk of a verifying key learns.
type plonkKeyHeader struct {
	size     uint64 // domain size
	nbPublic uint64 // public inputs
}

// plonkKeyVersion1 is gnark's versioned key layout: a zero word (which no
// legacy key starts with, its first word being the domain size), then 1.
const (
	plonkKeyVersionMarker = 0
	plonkKeyVersion1      = 1
)

// walkPlonkVerifyingKey walks a verifying key: its WriteTo form alone, or
// the head of a proving key (WriteRawTo). Layout (VerifyingKey.writeTo):
//
//	[u64 0, u64 version 1,] u64 size, fr sizeInv, fr generator,
//	u64 nbPublic, fr cosetShift, G1 S[3], G1 Ql Qr Qm Qo Qk,
//	u32 n + n G1 Qcp, G1 kzg.G1, G2 kzg.G2[2], kzg lines (fixed size),
//	u32 m + m u64 commitment constraint indexes.
func walkPlonkVerifyingKey(c *plonkCursor) (plonkKeyHeader, error) {
	var h plonkKeyHeader
	size, err := c.u64("size")
	if err != nil {
		return h, err
	}
	if size == plonkKeyVersionMarker {
		v, err := c.u64("version")
		if err != nil {
			return h, err
		}
		if v != plonkKeyVersion1 {
			return h, c.fail("unsupported serialization version %d", v)
		}
		if size, err = c.u64("size"); err != nil {
			return h, err
		}
	}
	if err := c.enc.checkDomain(c.status, c.what, size); err != nil {
		return h, err
	}
	h.size = size
	if err := c.scalar("sizeInv"); err != nil {
		return h, err
	}
	if err := c.scalar("generator"); err != nil {
		return h, err
	}
	if h.nbPublic, err = c.u64("nbPublic"); err != nil {
		return h, err
	}
	// each public input takes a placeholder row of the domain
	if h.nbPublic > size {
		return h, c.fail("%d public inputs exceed the domain size %d", h.nbPublic, size)
	}
	if err := c.scalar("cosetShift"); err != nil {
		return h, err
	}
	for _, f := range []string{"S[0]", "S[1]", "S[2]", "Ql", "Qr", "Qm", "Qo", "Qk"} {
		if err := c.g1(f); err != nil {
			return h, err
		}
	}
	return h, walkPlonkVerifyingKeyTail(c)
}

// walkPlonkVerifyingKeyTail walks from Qcp to the end of a verifying key.
func walkPlonkVerifyingKeyTail(c *plonkCursor) error {
	nbQcp, err := c.g1Slice("Qcp")
	if err != nil {
		return err
	}
	if err := c.g1("kzg.G1"); err != nil {
		return err
	}
	if err := c.g2("kzg.G2[0]"); err != nil {
		return err
	}
	if err := c.g2("kzg.G2[1]"); err != nil {
		return err
	}
	if _, err := c.take(c.enc.linesBytes, "kzg lines"); err != nil {
		return err
	}
	nbIdx, err := c.u64Slice("commitment constraint indexes")
	if err != nil {
		return err
	}
	if nbQcp != nbIdx {
		return c.fail("%d commitment selectors but %d commitment indexes", nbQcp, nbIdx)
	}
	if nbQcp != 0 {
		return errPlonkCommitments
	}
	return nil
}

// errPlonkCommitments refuses BSB22 commitments (gnark's Commit API), in
// systems and in the keys made for them.
var errPlonkCommitments = Errorf(zkabi.ErrSystem, "commitments not supported by provernet_zk_v1")

// validatePlonkVerifyingKey checks a verifying key in WriteTo form.
func validatePlonkVerifyingKey(data []byte, enc *plonkEncoding) (plonkKeyHeader, error) {
	c := &plonkCursor{b: data, enc: enc, status: zkabi.ErrKey, what: "verifying key"}
	h, err := walkPlonkVerifyingKey(c)
	if err != nil {
		return h, err
	}
	return h, c.end()
}

// validatePlonkProvingKey checks a proving key in WriteRawTo form: the
// verifying key, then the KZG SRS in canonical form (domain size + 3
// points, as Setup cuts it: the blinded polynomials have 3 more
// coefficients than the domain) and in Lagrange form (domain size
// points). The prover indexes both by the domain size without checking,
// so the exact counts are what keep it in bounds.
func validatePlonkProvingKey(data []byte, enc *plonkEncoding) (plonkKeyHeader, error) {
	c := &plonkCursor{b: data, enc: enc, status: zkabi.ErrKey, what: "proving key"}
	h, err := walkPlonkVerifyingKey(c)
	if err != nil {
		return h, err
	}
	if err := c.rawG1Slice("kzg srs", h.size+3); err != nil {
		return h, err
	}
	if err := c.rawG1Slice("kzg lagrange srs", h.size); err != nil {
		return h, err
	}
	return h, c.end()
}

// plonkProofClaims is the number of claimed values of a proof's batched
// opening without commitments: the linearised polynomial, l, r, o, s1, s2.
const plonkProofClaims = 6

// validatePlonkProof checks a proof in WriteTo form (Proof.writeTo):
//
//	G1 LRO[3], G1 Z, G1 H[3], G1 batched opening H,
//	u32 n + n fr claimed values, G1 shifted opening H, fr its value,
//	u32 m + m G1 BSB22 commitments.
//
// Keys with commitments are refused, so n must be 6 and m 0; the verifier
// indexes the claimed values by these counts.
func validatePlonkProof(data []byte, enc *plonkEncoding) error {
	c := &plonkCursor{b: data, enc: enc, status: zkabi.ErrProof, what: "proof"}
	for _, f := range []string{"L", "R", "O", "Z", "H[0]", "H[1]", "H[2]", "batched opening H"} {
		if err := c.g1(f); err != nil {
			return err
		}
	}
	n, err := c.u32("claimed values length")
	if err != nil {
		return err
	}
	if n != plonkProofClaims {
		return c.fail("%d claimed values, want %d", n, plonkProofClaims)
	}
	for i := range int(n) {
		if err := c.scalar(fmt.Sprintf("claimed value %d", i)); err != nil {
			return err
		}
	}
	if err := c.g1("shifted opening H"); err != nil {
		return err
	}
	if err := c.scalar("shifted opening value"); err != nil {
		return err
	}
	m, err := c.g1Slice("bsb22 commitments")
	if err != nil {
		return err
	}
	if m != 0 {
		return c.fail("%d commitments for a key without commitments", m)
	}
	return c.end()
}
