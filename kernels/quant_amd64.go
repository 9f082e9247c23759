//go:build !purego && !noasm

package kernels

import "unsafe"

// AVX2 activation quantizers. They produce the same bytes as the
// references (quantize_row_q8_0_ref's roundf, i.e. half away from zero, and
// 1/d as the multiplier; quantize_row_q8_K_ref's nearest_int bit trick), so
// the engine's results do not depend on which runs; ggml's own AVX2
// quantize_row_q8_0 rounds half to even with 127/amax instead, which would
// move a handful of activation quants per row by one. Blocks holding a NaN
// or an infinity, or so small that 1/d overflows, are handed to the
// reference, so even garbage input gives the reference's bytes.

func init() {
	if !useAVX2 {
		return
	}
	quantTable[Q8_0] = quantQ8_0AVX2
	quantTable[Q8_K] = quantQ8_KAVX2
	quantTable[F16] = quantF16AVX2
}

func quantQ8_0AVX2(src []float32, dst []byte) {
	nb := len(src) / qk8_0
	_ = dst[:nb*q8_0Bytes]
	for nb > 0 {
		k := quantQ8_0Asm(nb, unsafe.SliceData(src), unsafe.SliceData(dst))
		src, dst, nb = src[k*qk8_0:], dst[k*q8_0Bytes:], nb-k
		if nb > 0 { // a block the assembly declined
			quantQ8_0(src[:qk8_0], dst[:q8_0Bytes])
			src, dst, nb = src[qk8_0:], dst[q8_0Bytes:], nb-1
		}
	}
}

func quantQ8_KAVX2(src []float32, dst []byte) {
	nb := len(src) / QK_K
	_ = dst[:nb*q8_KBytes]
	for nb > 0 {
		k := quantQ8_KAsm(nb, unsafe.SliceData(src), unsafe.SliceData(dst))
		src, dst, nb = src[k*QK_K:], dst[k*q8_KBytes:], nb-k
		if nb > 0 {
			quantQ8_K(src[:QK_K], dst[:q8_KBytes])
			src, dst, nb = src[QK_K:], dst[q8_KBytes:], nb-1
		}
	}
}

// quantF16AVX2 is vcvtps2ph with round-to-nearest-even, which gives
// F32ToF16's bits for every input, NaNs included.
func quantF16AVX2(src []float32, dst []byte) {
	n := len(src)
	_ = dst[:2*n]
	m := n &^ 7
	if m > 0 {
		f32ToF16Asm(m, unsafe.SliceData(src), unsafe.SliceData(dst))
	}
	for i := m; i < n; i++ {
		h := F32ToF16(src[i])
		dst[2*i], dst[2*i+1] = byte(h), byte(h>>8)
	}
}

// quantQ8_0Asm quantizes up to nb blocks and returns how many it did: all
// of them, or up to the first it leaves to the reference.
//
//go:noescape
func quantQ8_0Asm(nb int, src *float32, dst *byte) int

//go:noescape
func quantQ8_KAsm(nb int, src *float32, dst *byte) int

// f32ToF16Asm converts n (a positive multiple of 8) floats to halves.
//
//go:noescape
func f32ToF16Asm(n int, src *float32, dst *byte)
