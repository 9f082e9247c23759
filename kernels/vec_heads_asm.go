//go:build (amd64 || arm64) && !purego && !noasm

package kernels

// dotF32HeadsAsm is DotF32Heads through dotF32Heads{4,8}Asm (vec_amd64.s:
// AVX2, a ymm of four float64 sums per position and four heads;
// vec_arm64.s: NEON, FMUL by element, FCVTL, FADD .2D), for 4 and 8 heads
// and rows of a multiple of 4 elements (head dimensions are; the NEON
// loop takes four elements a step); anything else takes the reference.
// Each lane adds one head's products in index order: DotF32's bits.
func dotF32HeadsAsm(out, rows, qT []float32, g int) {
	n := len(qT) / g
	if n == 0 || n%4 != 0 || g != 4 && g != 8 {
		dotF32HeadsGeneric(out, rows, qT, g)
		return
	}
	_, _ = rows[4*n-1], out[4*g-1]
	if g == 8 {
		dotF32Heads8Asm(n, &rows[0], &qT[0], &out[0])
		return
	}
	dotF32Heads4Asm(n, &rows[0], &qT[0], &out[0])
}

//go:noescape
func dotF32Heads4Asm(n int, rows, qT, out *float32)

//go:noescape
func dotF32Heads8Asm(n int, rows, qT, out *float32)
