package meter

// reader decodes the WebAssembly binary format from a byte slice. Every
// method checks bounds and returns ErrMalformed errors rather than panic.
type reader struct {
	b   []byte
	off int
}

func (r *reader) eof() bool { return r.off >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, malformed("unexpected end at offset %d", r.off)
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) peek() (byte, error) {
	if r.off >= len(r.b) {
		return 0, malformed("unexpected end at offset %d", r.off)
	}
	return r.b[r.off], nil
}

func (r *reader) skip(n int) error {
	if n < 0 || n > len(r.b)-r.off {
		return malformed("unexpected end at offset %d (need %d bytes)", r.off, n)
	}
	r.off += n
	return nil
}

// uleb reads an unsigned LEB128 number of at most bits bits, encoded in at
// most ceil(bits/7) bytes with no bits set above bits (the spec's rule).
func (r *reader) uleb(bits uint) (uint64, error) {
	maxBytes := (bits + 6) / 7
	var v uint64
	for i := uint(0); i < maxBytes; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		p := uint64(c & 0x7f)
		if i == maxBytes-1 {
			if c&0x80 != 0 {
				return 0, malformed("integer too long at offset %d", r.off-1)
			}
			if p>>(bits-7*i) != 0 {
				return 0, malformed("integer too large at offset %d", r.off-1)
			}
		}
		v |= p << (7 * i)
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, malformed("integer too long at offset %d", r.off)
}

// sleb reads a signed LEB128 number of at most bits bits (the spec's rule:
// the unused bits of a maximal-length encoding must extend the sign).
func (r *reader) sleb(bits uint) (int64, error) {
	maxBytes := (bits + 6) / 7
	var v int64
	for i := uint(0); i < maxBytes; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		p := int64(c & 0x7f)
		shift := 7 * i
		if i == maxBytes-1 {
			if c&0x80 != 0 {
				return 0, malformed("integer too long at offset %d", r.off-1)
			}
			rem := bits - shift // significant bits in this byte, 1..7
			mask := int64(0x7f>>(rem-1)) << (rem - 1)
			if sign := p >> (rem - 1) & 1; (sign == 1 && p&mask != mask) || (sign == 0 && p&mask != 0) {
				return 0, malformed("integer too large at offset %d", r.off-1)
			}
		}
		v |= p << shift
		if c&0x80 == 0 {
			if shift+7 < 64 && p&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			return v, nil
		}
	}
	return 0, malformed("integer too long at offset %d", r.off)
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

// count reads a vector length and checks that at least min bytes per
// element remain, so that hostile counts cannot cause large allocations.
func (r *reader) count(min int) (uint32, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if min > 0 && uint64(n)*uint64(min) > uint64(len(r.b)-r.off) {
		return 0, malformed("vector of %d elements exceeds its section at offset %d", n, r.off)
	}
	return n, nil
}

func appendULEB(dst []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			dst = append(dst, c|0x80)
			continue
		}
		return append(dst, c)
	}
}

func appendSLEB(dst []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}
