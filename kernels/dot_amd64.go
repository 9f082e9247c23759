//go:build !purego && !noasm

package kernels

import "unsafe"

// AVX2 dot products against quantized activations, the same integer sums
// per block as the references (exact in int32), with the float scaling done
// eight lanes at a time and fused multiply-adds: results differ from the
// references by float rounding only (relative 1e-7 or so; the tests pin the
// bound). The Go wrappers check lengths (too-short slices panic) and hand
// whole blocks to the assembly.
//
// Activations must come from Quantize: the Q8_0 x Q8_0 kernel relies on
// activation quants never being -128 (ggml's vpsignb formulation has the
// same requirement), which Quantize guarantees.

func init() {
	if !useAVX2 {
		return
	}
	dotTable[Q4_0] = dotQ4_0Q8_0AVX2
	dotTable[Q8_0] = dotQ8_0Q8_0AVX2
	dotTable[Q4_K] = dotQ4_KQ8_KAVX2
	dotTable[Q5_K] = dotQ5_KQ8_KAVX2
	dotTable[Q6_K] = dotQ6_KQ8_KAVX2
	dotTable[F16] = dotF16F16AVX2
	matMulTable[Q6_K] = matMulQ6_KAVX2
}

// checkRows panics, like a slice expression would, unless w and a hold nb
// blocks of wb and ab bytes.
func checkRows(w, a []byte, nb, wb, ab int) {
	_ = w[:nb*wb]
	_ = a[:nb*ab]
}

func dotQ4_0Q8_0AVX2(n int, w, a []byte) float32 {
	nb := n / qk4_0
	checkRows(w, a, nb, q4_0Bytes, q8_0Bytes)
	if nb == 0 {
		return 0
	}
	return dotQ4_0Q8_0Asm(nb, unsafe.SliceData(w), unsafe.SliceData(a))
}

func dotQ8_0Q8_0AVX2(n int, w, a []byte) float32 {
	nb := n / qk8_0
	checkRows(w, a, nb, q8_0Bytes, q8_0Bytes)
	if nb == 0 {
		return 0
	}
	return dotQ8_0Q8_0Asm(nb, unsafe.SliceData(w), unsafe.SliceData(a))
}

func dotQ4_KQ8_KAVX2(n int, w, a []byte) float32 {
	nb := n / QK_K
	checkRows(w, a, nb, q4_KBytes, q8_KBytes)
	if nb == 0 {
		return 0
	}
	return dotQ4_KQ8_KAsm(nb, unsafe.SliceData(w), unsafe.SliceData(a))
}

func dotQ5_KQ8_KAVX2(n int, w, a []byte) float32 {
	nb := n / QK_K
	checkRows(w, a, nb, q5_KBytes, q8_KBytes)
	if nb == 0 {
		return 0
	}
	return dotQ5_KQ8_KAsm(nb, unsafe.SliceData(w), unsafe.SliceData(a))
}

func dotQ6_KQ8_KAVX2(n int, w, a []byte) float32 {
	nb := n / QK_K
	checkRows(w, a, nb, q6_KBytes, q8_KBytes)
	if nb == 0 {
		return 0
	}
	return dotQ6_KQ8_KAsm(nb, unsafe.SliceData(w), unsafe.SliceData(a))
}

// matMulQ6_KAVX2 is MatMul for Q6_K on four or more activation rows (a
// decode step of several sequences through the output layer, which
// llama.cpp's Q4_0 and Q4_K_M files keep in Q6_K): each weight row
// against four activation rows at a time with dotQ6_KQ8_Kx4Asm, which
// unpacks the 6-bit weights once for the four (about 45 vector
// instructions per column and block against 75 for the single dot), the
// last nb%4 with the single dot. Every result has dotQ6_KQ8_KAsm's bits,
// so MatMul gives Dot's values for any batch. Fewer rows: the row loop.
func matMulQ6_KAVX2(n int, w []byte, wRow, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) bool {
	nblk := n / QK_K
	if nb < 4 || nblk == 0 {
		return false
	}
	_ = a[(nb-1)*aRow+nblk*q8_KBytes-1]
	var o [4]float32
	for r := r0; r < r1; r++ {
		wr := w[r*wRow : r*wRow+nblk*q6_KBytes]
		b := 0
		for ; b+4 <= nb; b += 4 {
			dotQ6_KQ8_Kx4Asm(nblk, &wr[0], &a[b*aRow], aRow, &o[0])
			for c, v := range o {
				out[(b+c)*outStride+r] = v
			}
		}
		for ; b < nb; b++ {
			out[b*outStride+r] = dotQ6_KQ8_KAsm(nblk, &wr[0], &a[b*aRow])
		}
	}
	return true
}

// dotF16F16AVX2 is dotF16F16 with the products (exact in float32) summed in
// float64 eight at a time: it differs from the reference only by the order
// of float64 additions, so the rounded result is almost always identical.
func dotF16F16AVX2(n int, w, a []byte) float32 {
	w = w[:2*n]
	a = a[:2*n]
	m := n &^ 15
	var s float64
	if m > 0 {
		s = dotF16Asm(m, unsafe.SliceData(w), unsafe.SliceData(a))
	}
	for i := 2 * m; i < len(w); i += 2 {
		x := F16ToF32(le16(w[i:]))
		y := F16ToF32(le16(a[i:]))
		s += float64(float32(x * y))
	}
	return float32(s)
}

//go:noescape
func dotQ4_KQ8_KAsm(nb int, w, a *byte) float32

//go:noescape
func dotQ5_KQ8_KAsm(nb int, w, a *byte) float32

//go:noescape
func dotQ6_KQ8_KAsm(nb int, w, a *byte) float32

//go:noescape
func dotQ6_KQ8_Kx4Asm(nb int, w, a *byte, aStride int, out *float32)

//go:noescape
func dotF16Asm(n int, w, a *byte) float64

//go:noescape
func dotQ4_0Q8_0Asm(nb int, w, a *byte) float32

//go:noescape
func dotQ8_0Q8_0Asm(nb int, w, a *byte) float32
