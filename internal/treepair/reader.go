package treepair

import (
	"encoding/binary"
	"fmt"

	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
)

// reader walks gnark's encodings: compressed points (each checked on the
// curve and in its subgroup by gnark-crypto's SetBytes) and big-endian
// counts, each read only after its bytes are known to be there.
type reader struct {
	b   []byte
	off int
}

func (r *reader) take(n int, what string) ([]byte, error) {
	if n < 0 || len(r.b)-r.off < n {
		return nil, fmt.Errorf("%s: %d bytes needed at offset %d, %d left", what, n, r.off, len(r.b)-r.off)
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

func (r *reader) u32(what string) (uint32, error) {
	s, err := r.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(s), nil
}

func (r *reader) u64(what string) (uint64, error) {
	s, err := r.take(8, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(s), nil
}

// count reads a count of items of size bytes each, no more than max and
// no more than the bytes left could hold.
func (r *reader) count(what string, size, max int) (int, error) {
	n, err := r.u32(what)
	if err != nil {
		return 0, err
	}
	if int64(n) > int64(max) || int64(n)*int64(size) > int64(len(r.b)-r.off) {
		return 0, fmt.Errorf("%s: %d items is too many", what, n)
	}
	return int(n), nil
}

func (r *reader) g1(what string) (bn254.G1Affine, error) {
	var p bn254.G1Affine
	s, err := r.take(bn254.SizeOfG1AffineCompressed, what)
	if err != nil {
		return p, err
	}
	if !compressed(s[0]) {
		return p, fmt.Errorf("%s: not a compressed point", what)
	}
	if _, err := p.SetBytes(s); err != nil {
		return p, fmt.Errorf("%s: %w", what, err)
	}
	return p, nil
}

func (r *reader) g2(what string) (bn254.G2Affine, error) {
	var p bn254.G2Affine
	s, err := r.take(bn254.SizeOfG2AffineCompressed, what)
	if err != nil {
		return p, err
	}
	if !compressed(s[0]) {
		return p, fmt.Errorf("%s: not a compressed point", what)
	}
	if _, err := p.SetBytes(s); err != nil {
		return p, fmt.Errorf("%s: %w", what, err)
	}
	return p, nil
}

func (r *reader) end(what string) error {
	if r.off != len(r.b) {
		return fmt.Errorf("%s: %d bytes after its end", what, len(r.b)-r.off)
	}
	return nil
}

// compressed reports whether a BN254 point encoding with this first byte
// is compressed (gnark-crypto's two flag bits: 0b00 is uncompressed).
func compressed(msb byte) bool { return msb&(0b11<<6) != 0 }
