package kernels

import "math"

// F16ToF32 widens an IEEE 754 binary16 value. The conversion is exact for
// every finite value and infinity; a NaN keeps its sign and payload and is
// made quiet, as x86 F16C (vcvtph2ps), arm64 FCVT and ggml's table all do.
//
// It is written to fit the inliner's budget (no calls), because it sits in
// the inner loop of every F16 dot: shift exponent and mantissa into place,
// rebias the exponent from 15 to 127, then fix up the two special
// exponents. Subnormals are renormalized by a float subtraction that is
// exact.
func F16ToF32(h uint16) float32 {
	u := uint32(h)
	o := (u & 0x7fff) << 13 // exponent and mantissa, in float32 position
	e := o & 0x0f800000     // the exponent alone
	o += (127 - 15) << 23   // rebias
	switch e {
	case 0x0f800000: // Inf or NaN: exponent all ones, NaN made quiet
		o += (128 - 16) << 23
		if o&0x7fffff != 0 {
			o |= 0x400000
		}
	case 0: // zero or subnormal: m*2^-24 == (1+m*2^-10)*2^-14 - 2^-14
		o = math.Float32bits(math.Float32frombits(o+1<<23) - math.Float32frombits(113<<23))
	}
	return math.Float32frombits(o | (u&0x8000)<<16)
}

// F32ToF16 narrows to binary16 with round-to-nearest-even, producing the
// same bits as F16C's vcvtps2ph with rounding mode 0 (what ggml's
// GGML_CPU_FP32_TO_FP16 compiles to on x86) and as ggml's portable bit-trick
// fallback for every non-NaN input: overflow goes to infinity, values below
// half the smallest subnormal go to signed zero. A NaN stays NaN, quiet, with
// the top of its payload kept, as the hardware converters do.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff

	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127
	if e > 15 {
		return sign | 0x7c00
	}
	if e >= -14 {
		// Normal half. The rounding increment may carry into the exponent,
		// which is exactly right, up to and including 0x7c00 (infinity).
		h := uint32(e+15)<<10 | mant>>13
		rem := mant & 0x1fff
		if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	if e < -25 || exp == 0 {
		// Below 2^-25 (half of the smallest subnormal): rounds to zero.
		// float32 subnormals are far below that.
		return sign
	}
	// Subnormal half: value in units of 2^-24 is m * 2^(e+1), shift >= 14.
	m := mant | 0x800000
	shift := uint32(-(e + 1))
	q := m >> shift
	rem := m & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rem > half || (rem == half && q&1 == 1) {
		q++ // may become 0x400, the smallest normal: still the right bits
	}
	return sign | uint16(q)
}

// BF16ToF32 widens a bfloat16 value; it is the top half of a float32.
func BF16ToF32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// F32ToBF16 narrows to bfloat16 exactly as ggml's GGML_FP32_TO_BF16:
// round-to-nearest-even on the dropped 16 bits (overflow reaches infinity),
// subnormals kept (not flushed), and a NaN truncated with the quiet bit
// (0x40) forced so that truncation cannot turn it into infinity.
func F32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 0x40
	}
	return uint16((u + 0x7fff + (u>>16)&1) >> 16)
}
