package meter

// NaN canonicalisation.
//
// WebAssembly leaves the sign and payload of a NaN that a float operation
// produces nondeterministic: 0/0 gives 0xFFF8000000000000 on amd64 and
// 0x7FF8000000000000 on arm64, and an operation on a NaN with a payload may
// or may not pass the payload on. A program that looks at those bits
// (reinterpret, store and load, copysign) can then behave differently on
// different machines. After every instruction whose NaN result the spec
// leaves open, the rewrite inserts code that replaces a NaN with the
// canonical positive quiet NaN (0x7FC00000, 0x7FF8000000000000, lane by
// lane for SIMD), which is one of the results the spec allows, so the
// program's semantics stay within the spec.
//
// Instructions the spec defines bit for bit are left alone: loads, stores,
// constants, local, global and select moves, abs, neg and copysign (sign
// bit operations), reinterpret, lane splat, extract and replace, the
// conversions from integers (never NaN) and f32x4/f64x2.pmin and pmax
// (which return one of their operands unchanged).

// Kinds of NaN-producing instructions, by result type.
const (
	nanNone  = iota
	nanF32   // scalar f32 result
	nanF64   // scalar f64 result
	nanF32x4 // v128 result, four f32 lanes
	nanF64x2 // v128 result, two f64 lanes
)

// Canonical NaNs: positive, quiet, zero payload.
const (
	canonF32 = 0x7fc00000
	canonF64 = 0x7ff8000000000000
)

// Scratch locals, one per value type the canonicalisation needs in a
// function; f32x4 and f64x2 results share the v128 one.
const (
	slotF32 = iota
	slotF64
	slotV128
	numSlots
)

// Opcodes the canonicalisation emits (the SIMD sub-opcodes are below
// 0x80: one byte each).
const (
	opSelect       = 0x1b
	opF32Eq        = 0x5b
	opF64Eq        = 0x61
	simdF32x4Eq    = 0x41
	simdF64x2Eq    = 0x47
	simdV128Bitsel = 0x52
)

// canonValues is the number of values one canonicalisation defines, for
// the frame bound: the constant (1), the comparison and the select (2
// each, as for any instruction that computes something).
const canonValues = 5

// nanScalar gives the NaN kind of each single-byte opcode.
var nanScalar = func() (k [256]uint8) {
	for op := 0x8d; op <= 0x97; op++ { // f32.ceil ... f32.max (not copysign)
		k[op] = nanF32
	}
	for op := 0x9b; op <= 0xa5; op++ { // f64.ceil ... f64.max (not copysign)
		k[op] = nanF64
	}
	k[0xb6] = nanF32 // f32.demote_f64
	k[0xbb] = nanF64 // f64.promote_f32
	return k
}()

// nanSIMD gives the NaN kind of each 0xFD sub-opcode.
var nanSIMD = func() (k [256]uint8) {
	for _, op := range []int{
		0x5e,                   // f32x4.demote_f64x2_zero
		0x67, 0x68, 0x69, 0x6a, // f32x4.ceil, floor, trunc, nearest
		0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, // f32x4.sqrt, add, sub, mul, div, min, max
	} {
		k[op] = nanF32x4
	}
	for _, op := range []int{
		0x5f,                   // f64x2.promote_low_f32x4
		0x74, 0x75, 0x7a, 0x94, // f64x2.ceil, floor, trunc, nearest
		0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, // f64x2.sqrt, add, sub, mul, div, min, max
	} {
		k[op] = nanF64x2
	}
	return k
}()

// nanSlot is the scratch local a kind uses.
func nanSlot(kind uint8) int {
	switch kind {
	case nanF32:
		return slotF32
	case nanF64:
		return slotF64
	}
	return slotV128
}

// slotType is the value type of a scratch local.
var slotType = [numSlots]byte{slotF32: valF32, slotF64: valF64, slotV128: valV128}

// appendCanonNaN appends code that replaces the value on top of the stack,
// of the given kind, by the canonical NaN if it is a NaN, using the
// scratch local t:
//
//	scalar: local.tee t; fN.const canon; local.get t; local.get t; fN.eq; select
//	SIMD:   local.tee t; v128.const canon; local.get t; local.get t; fNxM.eq; v128.bitselect
//
// x == x fails exactly for NaNs; select keeps its first operand when the
// condition is non-zero, bitselect takes the bits of its first operand
// where the mask is set.
func appendCanonNaN(dst []byte, kind uint8, t uint32) []byte {
	dst = append(dst, opLocalTee)
	dst = appendULEB(dst, uint64(t))
	switch kind {
	case nanF32:
		dst = append(dst, opF32Const)
		dst = appendLE(dst, canonF32, 4)
	case nanF64:
		dst = append(dst, opF64Const)
		dst = appendLE(dst, canonF64, 8)
	case nanF32x4:
		dst = append(dst, prefixSIMD, simdV128Const)
		for range 4 {
			dst = appendLE(dst, canonF32, 4)
		}
	case nanF64x2:
		dst = append(dst, prefixSIMD, simdV128Const)
		dst = appendLE(dst, canonF64, 8)
		dst = appendLE(dst, canonF64, 8)
	}
	dst = append(dst, opLocalGet)
	dst = appendULEB(dst, uint64(t))
	dst = append(dst, opLocalGet)
	dst = appendULEB(dst, uint64(t))
	switch kind {
	case nanF32:
		return append(dst, opF32Eq, opSelect)
	case nanF64:
		return append(dst, opF64Eq, opSelect)
	case nanF32x4:
		return append(dst, prefixSIMD, simdF32x4Eq, prefixSIMD, simdV128Bitsel)
	default:
		return append(dst, prefixSIMD, simdF64x2Eq, prefixSIMD, simdV128Bitsel)
	}
}

// appendLE appends the n low bytes of v, little-endian.
func appendLE(dst []byte, v uint64, n int) []byte {
	for i := 0; i < n; i++ {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}
