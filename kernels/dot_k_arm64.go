//go:build !purego && !noasm

package kernels

// Stubs of dot_k_arm64.s: one bit-identical NEON kernel per K-quant, used on
// both arm64 paths (see the .s file for why SDOT does not help here).

//go:noescape
func dotQ4_KQ8_KAsm(nb int, w, a *byte) float32

//go:noescape
func dotQ5_KQ8_KAsm(nb int, w, a *byte) float32

//go:noescape
func dotQ6_KQ8_KAsm(nb int, w, a *byte) float32

func dotQ4_KQ8_KNEON(n int, w, a []byte) float32 {
	nb := n / QK_K
	w, a = w[:nb*q4_KBytes], a[:nb*q8_KBytes]
	if nb == 0 {
		return 0
	}
	return dotQ4_KQ8_KAsm(nb, &w[0], &a[0])
}

func dotQ5_KQ8_KNEON(n int, w, a []byte) float32 {
	nb := n / QK_K
	w, a = w[:nb*q5_KBytes], a[:nb*q8_KBytes]
	if nb == 0 {
		return 0
	}
	return dotQ5_KQ8_KAsm(nb, &w[0], &a[0])
}

func dotQ6_KQ8_KNEON(n int, w, a []byte) float32 {
	nb := n / QK_K
	w, a = w[:nb*q6_KBytes], a[:nb*q8_KBytes]
	if nb == 0 {
		return 0
	}
	return dotQ6_KQ8_KAsm(nb, &w[0], &a[0])
}
