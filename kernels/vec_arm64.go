//go:build !purego && !noasm

package kernels

// NEON versions of the attention vector operations (vec_arm64.s), every
// one bit-identical to its reference, installed into vecTable by
// useARM64Kernels on every arm64 CPU (they need ARMv8.0 only). The other
// operations (Softmax, SiLU, SiLUMul, Scale, Add, F32ToF16Row) stay the
// references here. DotF32Heads puts the query heads in float64 lanes
// (FMUL by element, FCVTL, FADD .2D), so each score keeps the reference's
// serial sum.
//
// Against the references, per element: F16ToF32Row is one load, two
// FCVTLs and one store per eight elements instead of F16ToF32's dozen
// integer instructions and branches; Axpy is one FMUL and one FADD per
// four elements (and a load or store per four) instead of five scalar
// instructions; DotF16 keeps the reference's serial chain of float64 adds
// but forms the products eight at a time instead of through two F16ToF32
// calls each.

func useARM64Vec() {
	vecTable.axpyF16 = axpyF16NEON
	vecTable.axpy = axpyNEON
	vecTable.f16ToF32Row = f16ToF32RowNEON
	vecTable.dotF16 = dotF16NEON
	vecTable.dotF32Heads = dotF32HeadsAsm
}

//go:noescape
func axpyF16Asm(dst *float32, alpha float32, v *uint16, n int)

//go:noescape
func axpyAsm(n int, dst *float32, alpha float32, v *float32)

//go:noescape
func f16ToF32Asm(n int, dst *float32, src *uint16)

//go:noescape
func dotF16OrderedAsm(n int, a, b *uint16) float32

// axpyF16NEON is AxpyF16.
func axpyF16NEON(dst []float32, alpha float32, v []uint16) {
	v = v[:len(dst)]
	if len(dst) == 0 {
		return
	}
	axpyF16Asm(&dst[0], alpha, &v[0], len(dst))
}

// axpyNEON is Axpy: the multiple-of-8 prefix in assembly, the tail with
// the reference's expression.
func axpyNEON(dst []float32, alpha float32, v []float32) {
	v = v[:len(dst)]
	m := len(dst) &^ 7
	if m > 0 {
		axpyAsm(m, &dst[0], alpha, &v[0])
	}
	for i := m; i < len(dst); i++ {
		dst[i] += float32(alpha * v[i])
	}
}

// f16ToF32RowNEON is F16ToF32Row.
func f16ToF32RowNEON(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	m := len(src) &^ 7
	if m > 0 {
		f16ToF32Asm(m, &dst[0], &src[0])
	}
	for i := m; i < len(src); i++ {
		dst[i] = F16ToF32(src[i])
	}
}

// dotF16NEON is DotF16, in its order (unlike dotF16F16NEON, the F16
// DotFunc, which sums in eight float64 lanes).
func dotF16NEON(a, b []uint16) float32 {
	b = b[:len(a)]
	if len(a) == 0 {
		return 0
	}
	return dotF16OrderedAsm(len(a), &a[0], &b[0])
}
