//go:build !purego && !noasm

package kernels

// Stub of dot_float_arm64.s.

//go:noescape
func dotF16Asm(n int, x, y *byte) float32

// dotF16F16NEON is the F16 x F16 DotFunc: float32 products summed in float64
// as the reference, in another order (see the .s file for the bound).
func dotF16F16NEON(n int, w, a []byte) float32 {
	w, a = w[:2*n], a[:2*n]
	if n == 0 {
		return 0
	}
	return dotF16Asm(n, &w[0], &a[0])
}
