//go:build !purego && !noasm

package kernels

import (
	"math"
	"unsafe"
)

func init() {
	if !useAVX2 {
		return
	}
	vecTable = vecImpl{
		softmax:     softmaxAVX2,
		siLU:        siLUAVX2,
		siLUMul:     siLUMulAVX2,
		axpyF16:     axpyF16AVX2,
		dotF16:      dotF16Generic,
		axpy:        axpyAVX2,
		f32ToF16Row: f32ToF16RowAVX2,
		f16ToF32Row: f16ToF32RowAVX2,
		scale:       scaleAVX2,
		add:         addAVX2,
		dotF32Heads: dotF32HeadsAsm,
	}
}

// Each wrapper slices its operands as the reference does (so short slices
// panic the same way), hands the multiple-of-8 prefix to the assembly and
// finishes the tail with the reference's own expression.

func siLUMulAVX2(gate, up []float32) {
	up = up[:len(gate)]
	m := len(gate) &^ 7
	if m > 0 {
		siLUMulAsm(m, &gate[0], &up[0])
	}
	for i := m; i < len(gate); i++ {
		gate[i] = silu(gate[i]) * up[i]
	}
}

func siLUAVX2(x []float32) {
	m := len(x) &^ 7
	if m > 0 {
		siLUMulAsm(m, &x[0], nil)
	}
	for i := m; i < len(x); i++ {
		x[i] = silu(x[i])
	}
}

// softmaxAVX2 is softmaxGeneric with the maximum, the exponentials and the
// final scaling eight lanes wide; the float64 sum still adds the terms one
// by one in order. A row holding a NaN goes to the reference, whose
// maximum depends on where the NaN sits.
func softmaxAVX2(x []float32) {
	n := len(x)
	if n == 0 {
		return
	}
	m := n &^ 7
	vmax := float32(math.Inf(-1))
	if m > 0 {
		v, nan := maxAsm(m, &x[0])
		if nan {
			softmaxGeneric(x)
			return
		}
		vmax = v
	}
	for _, v := range x[m:] {
		if v != v {
			softmaxGeneric(x)
			return
		}
		vmax = max(vmax, v)
	}
	var sum float64
	if m > 0 {
		sum = expSumAsm(m, &x[0], vmax, 0)
	}
	for i := m; i < n; i++ {
		e := float32(math.Exp(float64(x[i] - vmax)))
		sum += float64(e)
		x[i] = e
	}
	scaleAVX2(x, float32(1/sum))
}

func axpyAVX2(dst []float32, alpha float32, v []float32) {
	v = v[:len(dst)]
	m := len(dst) &^ 7
	if m > 0 {
		axpyAsm(m, &dst[0], alpha, &v[0])
	}
	for i := m; i < len(dst); i++ {
		dst[i] += float32(alpha * v[i])
	}
}

func axpyF16AVX2(dst []float32, alpha float32, v []uint16) {
	v = v[:len(dst)]
	m := len(dst) &^ 7
	if m > 0 {
		axpyF16Asm(m, &dst[0], alpha, &v[0])
	}
	for i := m; i < len(dst); i++ {
		dst[i] += float32(alpha * F16ToF32(v[i]))
	}
}

func scaleAVX2(x []float32, s float32) {
	m := len(x) &^ 7
	if m > 0 {
		scaleAsm(m, &x[0], s)
	}
	for i := m; i < len(x); i++ {
		x[i] *= s
	}
}

func addAVX2(dst, a, b []float32) {
	a = a[:len(dst)]
	b = b[:len(dst)]
	m := len(dst) &^ 7
	if m > 0 {
		addAsm(m, &dst[0], &a[0], &b[0])
	}
	for i := m; i < len(dst); i++ {
		dst[i] = a[i] + b[i]
	}
}

func f16ToF32RowAVX2(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	m := len(src) &^ 7
	if m > 0 {
		f16ToF32Asm(m, &dst[0], &src[0])
	}
	for i := m; i < len(src); i++ {
		dst[i] = F16ToF32(src[i])
	}
}

func f32ToF16RowAVX2(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	m := len(src) &^ 7
	if m > 0 {
		f32ToF16Asm(m, &src[0], (*byte)(unsafe.Pointer(&dst[0])))
	}
	for i := m; i < len(src); i++ {
		dst[i] = F32ToF16(src[i])
	}
}

//go:noescape
func siLUMulAsm(n int, gate, up *float32)

//go:noescape
func expSumAsm(n int, x *float32, vmax float32, sum float64) float64

//go:noescape
func maxAsm(n int, x *float32) (vmax float32, nan bool)

//go:noescape
func axpyAsm(n int, dst *float32, alpha float32, v *float32)

//go:noescape
func axpyF16Asm(n int, dst *float32, alpha float32, v *uint16)

//go:noescape
func scaleAsm(n int, x *float32, s float32)

//go:noescape
func addAsm(n int, dst, a, b *float32)

//go:noescape
func f16ToF32Asm(n int, dst *float32, src *uint16)
