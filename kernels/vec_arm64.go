//go:build !purego && !noasm

package kernels

import "unsafe"

// NEON versions of the attention kernels DotF16 and AxpyF16 (vec_generic.go).
// They are not yet called by the exported functions: vec_generic.go needs a
// hook (see the arm64 notes in the report) to dispatch to them.

//go:noescape
func axpyF16Asm(dst *float32, alpha float32, v *uint16, n int)

// axpyF16NEON is AxpyF16, bit-identical.
func axpyF16NEON(dst []float32, alpha float32, v []uint16) {
	v = v[:len(dst)]
	if len(dst) == 0 {
		return
	}
	axpyF16Asm(&dst[0], alpha, &v[0], len(dst))
}

// dotF16NEON is DotF16: the F16 dot kernel of dot_float_arm64.s, with its
// documented float64 summation-order difference.
func dotF16NEON(a, b []uint16) float32 {
	b = b[:len(a)]
	if len(a) == 0 {
		return 0
	}
	return dotF16Asm(len(a), (*byte)(unsafe.Pointer(&a[0])), (*byte)(unsafe.Pointer(&b[0])))
}
