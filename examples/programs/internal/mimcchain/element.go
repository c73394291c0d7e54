package mimcchain

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// ElementSize is the bytes of a scalar field element in gnark's binary
// formats (big-endian, fixed size): 32 for BN254 and BLS12-381 alike.
const ElementSize = 32

// Element is a scalar field element, or any integer below 2^256, as
// ElementSize big-endian bytes. The package does without math/big (which
// links fmt, and so os and reflect) to keep the host-backed verifiers
// small.
type Element [ElementSize]byte

// Cmp compares e and o as integers: -1, 0 or +1.
func (e Element) Cmp(o Element) int { return bytes.Compare(e[:], o[:]) }

// IsZero reports whether e is 0.
func (e Element) IsZero() bool { return e == Element{} }

// String is e in decimal.
func (e Element) String() string {
	l := e.limbs()
	var buf [80]byte // 2^256 has 78 digits
	i := len(buf)
	for {
		// l, rem = l / 10^19, l % 10^19
		const chunk = 10_000_000_000_000_000_000
		var rem uint64
		for j := 3; j >= 0; j-- {
			l[j], rem = bits.Div64(rem, l[j], chunk)
		}
		zero := l == [4]uint64{}
		for k := 0; k < 19 && (rem != 0 || !zero); k++ {
			i--
			buf[i] = byte('0' + rem%10)
			rem /= 10
		}
		if zero {
			break
		}
	}
	if i == len(buf) {
		return "0"
	}
	return string(buf[i:])
}

// limbs is e as little-endian 64-bit limbs.
func (e Element) limbs() [4]uint64 {
	var l [4]uint64
	for j := range l {
		l[j] = binary.BigEndian.Uint64(e[ElementSize-8*(j+1):])
	}
	return l
}

func fromLimbs(l [4]uint64) Element {
	var e Element
	for j := range l {
		binary.BigEndian.PutUint64(e[ElementSize-8*(j+1):], l[j])
	}
	return e
}

// parseUint parses s as math/big's Int.SetString(s, base) does for base
// 10 or 16: an optional sign, then at least one digit of the base (either
// case for hex), nothing else (no prefix, no underscore). ok is false for
// anything else. The value is reduced modulo 2^256; overflow reports that
// it did not fit. neg reports a leading '-' (of any value, -0 included).
func parseUint(s string, base uint64) (v Element, neg, overflow, ok bool) {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return Element{}, false, false, false
	}
	var l [4]uint64
	for i := 0; i < len(s); i++ {
		d := digitValue(s[i])
		if d >= base {
			return Element{}, false, false, false
		}
		carry := d
		for j := range l {
			hi, lo := bits.Mul64(l[j], base)
			var c uint64
			lo, c = bits.Add64(lo, carry, 0)
			l[j], carry = lo, hi+c
		}
		if carry != 0 {
			overflow = true
		}
	}
	return fromLimbs(l), neg, overflow, true
}

// digitValue is c's value as a digit of any base up to 36 (36 if none).
func digitValue(c byte) uint64 {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0')
	case 'a' <= c && c <= 'z':
		return uint64(c - 'a' + 10)
	case 'A' <= c && c <= 'Z':
		return uint64(c - 'A' + 10)
	}
	return 36
}

// MustElement parses a decimal integer below 2^256 (a modulus, in a
// package's variable declarations); it panics on anything else.
func MustElement(decimal string) Element {
	v, neg, overflow, ok := parseUint(decimal, 10)
	if !ok || neg || overflow {
		panic("mimcchain: bad element " + decimal)
	}
	return v
}
