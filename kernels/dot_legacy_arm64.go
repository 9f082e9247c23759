//go:build !purego && !noasm

package kernels

// Stubs of dot_legacy_arm64.s. The wrappers slice the inputs to their exact
// lengths first, so a short slice panics as in the reference, and the
// assembly never reads past what it was given.

//go:noescape
func dotQ4_0Q8_0SDOTAsm(nb int, w, a *byte) float32

//go:noescape
func dotQ4_0Q8_0NEONAsm(nb int, w, a *byte) float32

//go:noescape
func dotQ8_0Q8_0SDOTAsm(nb int, w, a *byte) float32

//go:noescape
func dotQ8_0Q8_0NEONAsm(nb int, w, a *byte) float32

func dotQ4_0Q8_0SDOT(n int, w, a []byte) float32 {
	nb := n / qk4_0
	w, a = w[:nb*q4_0Bytes], a[:nb*q8_0Bytes]
	if nb == 0 {
		return 0
	}
	return dotQ4_0Q8_0SDOTAsm(nb, &w[0], &a[0])
}

func dotQ4_0Q8_0NEON(n int, w, a []byte) float32 {
	nb := n / qk4_0
	w, a = w[:nb*q4_0Bytes], a[:nb*q8_0Bytes]
	if nb == 0 {
		return 0
	}
	return dotQ4_0Q8_0NEONAsm(nb, &w[0], &a[0])
}

func dotQ8_0Q8_0SDOT(n int, w, a []byte) float32 {
	nb := n / qk8_0
	w, a = w[:nb*q8_0Bytes], a[:nb*q8_0Bytes]
	if nb == 0 {
		return 0
	}
	return dotQ8_0Q8_0SDOTAsm(nb, &w[0], &a[0])
}

func dotQ8_0Q8_0NEON(n int, w, a []byte) float32 {
	nb := n / qk8_0
	w, a = w[:nb*q8_0Bytes], a[:nb*q8_0Bytes]
	if nb == 0 {
		return 0
	}
	return dotQ8_0Q8_0NEONAsm(nb, &w[0], &a[0])
}
