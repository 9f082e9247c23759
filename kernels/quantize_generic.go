package kernels

import (
	"encoding/binary"
	"math"
)

// Reference encoders for the activation types, following ggml's
// quantize_row_*_ref (ggml-quants.c) and ggml_cpu_fp32_to_fp16/bf16.

func quantF32(src []float32, dst []byte) {
	dst = dst[:4*len(src)]
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

func quantF16(src []float32, dst []byte) {
	dst = dst[:2*len(src)]
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToF16(v))
	}
}

func quantBF16(src []float32, dst []byte) {
	dst = dst[:2*len(src)]
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
	}
}

// absMax is ggml's `amax = MAX(amax, fabsf(v))` loop, including what its
// `a > b ? a : b` does with NaN (a NaN is kept only until the next number);
// matching it keeps Q8 blocks of broken activations identical to ggml's.
func absMax(x []float32) float32 {
	var amax float32
	for _, v := range x {
		av := float32(math.Abs(float64(v)))
		if !(amax > av) {
			amax = av
		}
	}
	return amax
}

// roundToInt8 is C's `(int8_t)roundf(v)`: round half away from zero. For
// the in-range values ggml produces it is exact; out-of-range values (only
// reachable from NaN or infinite activations, undefined in C) give some
// value without panicking.
func roundToInt8(v float32) int8 {
	return int8(int32(math.Round(float64(v))))
}

// quantQ8_0 is quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d).
func quantQ8_0(src []float32, dst []byte) {
	for len(src) >= qk8_0 {
		x := src[:qk8_0]
		b := dst[:q8_0Bytes]
		amax := absMax(x)
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(b[0:], F32ToF16(d))
		qs := b[2:34]
		for j, v := range x {
			qs[j] = byte(roundToInt8(v * id))
		}
		src, dst = src[qk8_0:], dst[q8_0Bytes:]
	}
}

// quantQ8_1 is quantize_row_q8_1_ref: as Q8_0, plus s = d * sum(q) (the
// rounded quants, not the inputs), used by the Q4_1/Q5_1 dots for the min.
func quantQ8_1(src []float32, dst []byte) {
	for len(src) >= qk8_0 {
		x := src[:qk8_0]
		b := dst[:q8_1Bytes]
		amax := absMax(x)
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		qs := b[4:36]
		var sum int32
		for j, v := range x {
			q := roundToInt8(v * id)
			qs[j] = byte(q)
			sum += int32(q)
		}
		binary.LittleEndian.PutUint16(b[0:], F32ToF16(d))
		binary.LittleEndian.PutUint16(b[2:], F32ToF16(float32(sum)*d))
		src, dst = src[qk8_0:], dst[q8_1Bytes:]
	}
}

// nearestInt is ggml's nearest_int: adding 1.5*2^23 leaves round-half-even
// of fval in the low mantissa bits. Exact for |fval| <= 2^22 - 1; other
// inputs give ggml's (garbage) bits rather than Go's conversion rules.
// Callers passing a product must round it with float32() first, or the
// inlined add fuses with it into an FMA on arm64, ppc64 and s390x.
func nearestInt(fval float32) int32 {
	i := math.Float32bits(fval + 12582912)
	return int32(i&0x007fffff) - 0x00400000
}

// quantQ8_K is quantize_row_q8_K_ref: the scale comes from the signed value
// of largest magnitude (iscale = -127/max, so that value maps to -127 and
// the others stay in [-127, 127]), q = nearest_int(iscale*x) capped at 127,
// d = 1/iscale stored as float32, and bsums are the sums of each 16 quants
// that the K-quant dots use to apply the block minimums.
func quantQ8_K(src []float32, dst []byte) {
	for len(src) >= QK_K {
		x := src[:QK_K]
		b := dst[:q8_KBytes]
		var vmax, amax float32
		for _, v := range x {
			av := float32(math.Abs(float64(v)))
			if av > amax {
				amax, vmax = av, v
			}
		}
		qs := b[4 : 4+QK_K]
		bsums := b[4+QK_K : q8_KBytes]
		if amax == 0 {
			// ggml leaves bsums unwritten here; zero is what they sum to.
			clear(b)
		} else {
			iscale := -127 / vmax
			for j, v := range x {
				q := nearestInt(float32(iscale * v)) // rounded product, as in C
				if q > 127 {
					q = 127
				}
				qs[j] = byte(int8(q))
			}
			for j := 0; j < QK_K/16; j++ {
				var sum int32
				for _, q := range qs[16*j : 16*j+16] {
					sum += int32(int8(q))
				}
				binary.LittleEndian.PutUint16(bsums[2*j:], uint16(int16(sum)))
			}
			binary.LittleEndian.PutUint32(b[0:], math.Float32bits(1/iscale))
		}
		src, dst = src[QK_K:], dst[q8_KBytes:]
	}
}
