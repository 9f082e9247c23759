package quantize

import (
	"encoding/binary"
	"math"

	"github.com/baylingd/baylingd/kernels"
)

// Block sizes of the 32-element ("legacy") formats.
const (
	qk32      = 32
	q4_0Bytes = 2 + 16         // d, qs
	q5_0Bytes = 2 + 4 + 16     // d, qh, qs
	q5_1Bytes = 2 + 2 + 4 + 16 // d, m, qh, qs
)

// fabs is fabsf: clearing the sign bit is exact and keeps NaN a NaN.
func fabs(v float32) float32 {
	return math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
}

// truncToInt is C's float-to-int conversion for the in-range values the
// quantizers produce (truncation toward zero). Go leaves out-of-range
// conversions implementation-defined; NaN and huge inputs, which ggml treats
// as undefined behaviour too, are pinned to 0 or the int32 range so that the
// result is at least deterministic across GOARCHes.
func truncToInt(v float32) int32 {
	switch {
	case v != v:
		return 0
	case v >= 2147483647:
		return math.MaxInt32
	case v <= -2147483648:
		return math.MinInt32
	}
	return int32(v)
}

// absMaxSigned returns the largest magnitude in x and the signed value that
// has it, first one winning on ties, as the `if (amax < fabsf(v))` loop of
// quantize_row_q4_0_ref/q5_0_ref.
func absMaxSigned(x []float32) (amax, max float32) {
	for _, v := range x {
		if av := fabs(v); amax < av {
			amax, max = av, v
		}
	}
	return amax, max
}

// quantQ4_0 is quantize_row_q4_0_ref: d = max/-8 where max is the signed
// value of largest magnitude, so that value maps to -8 exactly and the
// others to [-8, 8); q = min(15, trunc(x/d + 8.5)). The division uses the
// unrounded d; the stored d is its fp16 rounding.
func quantQ4_0(src []float32, dst []byte) {
	for len(src) >= qk32 {
		x := src[:qk32]
		b := dst[:q4_0Bytes]
		_, max := absMaxSigned(x)
		d := max / -8
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(b, kernels.F32ToF16(d))
		for j := 0; j < qk32/2; j++ {
			x0 := float32(x[j] * id) // rounded before the + below, never fused
			x1 := float32(x[qk32/2+j] * id)
			xi0 := uint8(min(15, int32(int8(truncToInt(x0+8.5)))))
			xi1 := uint8(min(15, int32(int8(truncToInt(x1+8.5)))))
			b[2+j] = xi0 | xi1<<4
		}
		src, dst = src[qk32:], dst[q4_0Bytes:]
	}
}

// quantQ5_0 is quantize_row_q5_0_ref: as Q4_0 with d = max/-16 and 5-bit
// quants whose top bits are gathered in the 32-bit qh.
func quantQ5_0(src []float32, dst []byte) {
	for len(src) >= qk32 {
		x := src[:qk32]
		b := dst[:q5_0Bytes]
		_, max := absMaxSigned(x)
		d := max / -16
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(b, kernels.F32ToF16(d))
		var qh uint32
		for j := 0; j < qk32/2; j++ {
			x0 := float32(x[j] * id) // rounded before the + below, never fused
			x1 := float32(x[qk32/2+j] * id)
			xi0 := uint8(min(31, int32(int8(truncToInt(x0+16.5)))))
			xi1 := uint8(min(31, int32(int8(truncToInt(x1+16.5)))))
			b[6+j] = xi0&0x0f | (xi1&0x0f)<<4
			qh |= uint32(xi0&0x10) >> 4 << j
			qh |= uint32(xi1&0x10) >> 4 << (j + qk32/2)
		}
		binary.LittleEndian.PutUint32(b[2:], qh)
		src, dst = src[qk32:], dst[q5_0Bytes:]
	}
}

// quantQ5_1 is quantize_row_q5_1_ref: an offset format, d = (max-min)/31,
// m = min, q = trunc((x-min)/d + 0.5).
func quantQ5_1(src []float32, dst []byte) {
	for len(src) >= qk32 {
		x := src[:qk32]
		b := dst[:q5_1Bytes]
		mn := float32(math.MaxFloat32)
		mx := float32(-math.MaxFloat32)
		for _, v := range x {
			if v < mn {
				mn = v
			}
			if v > mx {
				mx = v
			}
		}
		d := (mx - mn) / 31
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(b, kernels.F32ToF16(d))
		binary.LittleEndian.PutUint16(b[2:], kernels.F32ToF16(mn))
		var qh uint32
		for j := 0; j < qk32/2; j++ {
			x0 := float32((x[j] - mn) * id)
			x1 := float32((x[qk32/2+j] - mn) * id)
			xi0 := uint8(truncToInt(x0 + 0.5))
			xi1 := uint8(truncToInt(x1 + 0.5))
			b[8+j] = xi0&0x0f | (xi1&0x0f)<<4
			qh |= uint32(xi0&0x10) >> 4 << j
			qh |= uint32(xi1&0x10) >> 4 << (j + qk32/2)
		}
		binary.LittleEndian.PutUint32(b[4:], qh)
		src, dst = src[qk32:], dst[q5_1Bytes:]
	}
}
