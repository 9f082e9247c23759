//go:build !purego && !noasm

package kernels

// Stubs of quant_arm64.s. The assembly stops before a block it leaves to
// the reference (NaN inputs; an all-zero Q8_K block); the stub runs the
// reference on that block and resumes.

//go:noescape
func quantQ8_0Asm(nb int, x *float32, y *byte) int

//go:noescape
func quantQ8_KAsm(nb int, x *float32, y *byte) int

//go:noescape
func f32ToF16Asm(n int, x *float32, y *byte)

func quantQ8_0NEON(src []float32, dst []byte) {
	nb := len(src) / qk8_0
	src, dst = src[:nb*qk8_0], dst[:nb*q8_0Bytes]
	for len(src) > 0 {
		done := quantQ8_0Asm(len(src)/qk8_0, &src[0], &dst[0])
		src, dst = src[done*qk8_0:], dst[done*q8_0Bytes:]
		if len(src) > 0 {
			quantQ8_0(src[:qk8_0], dst[:q8_0Bytes])
			src, dst = src[qk8_0:], dst[q8_0Bytes:]
		}
	}
}

func quantQ8_KNEON(src []float32, dst []byte) {
	nb := len(src) / QK_K
	src, dst = src[:nb*QK_K], dst[:nb*q8_KBytes]
	for len(src) > 0 {
		done := quantQ8_KAsm(len(src)/QK_K, &src[0], &dst[0])
		src, dst = src[done*QK_K:], dst[done*q8_KBytes:]
		if len(src) > 0 {
			quantQ8_K(src[:QK_K], dst[:q8_KBytes])
			src, dst = src[QK_K:], dst[q8_KBytes:]
		}
	}
}

// quantF16NEON is quantF16 (F32ToF16 per element), bit-identical.
func quantF16NEON(src []float32, dst []byte) {
	n := len(src)
	dst = dst[:2*n]
	m := n &^ 7
	if m > 0 {
		f32ToF16Asm(m, &src[0], &dst[0])
	}
	for i := m; i < n; i++ {
		v := F32ToF16(src[i])
		dst[2*i], dst[2*i+1] = byte(v), byte(v>>8)
	}
}
