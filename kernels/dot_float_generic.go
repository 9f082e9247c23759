package kernels

import (
	"encoding/binary"
	"math"
)

// Reference dots of the float weight types, as ggml's scalar
// ggml_vec_dot_f32/_f16/_bf16 (ggml-cpu/vec.cpp): each product is rounded to
// float32 and the sum kept in float64 (ggml_float), then rounded once. Half
// and bfloat16 products are exact in float32 (11- and 8-bit significands),
// so for F16 this is the correctly rounded dot of the stored values to
// within float64 summation error.

func dotF32F32(n int, w, a []byte) float32 {
	w = w[:4*n]
	a = a[:4*n]
	var s float64
	for i := 0; i < len(w); i += 4 {
		x := math.Float32frombits(binary.LittleEndian.Uint32(w[i:]))
		y := math.Float32frombits(binary.LittleEndian.Uint32(a[i:]))
		s += float64(float32(x * y))
	}
	return float32(s)
}

func dotF16F16(n int, w, a []byte) float32 {
	w = w[:2*n]
	a = a[:2*n]
	var s float64
	for i := 0; i < len(w); i += 2 {
		x := F16ToF32(binary.LittleEndian.Uint16(w[i:]))
		y := F16ToF32(binary.LittleEndian.Uint16(a[i:]))
		s += float64(float32(x * y))
	}
	return float32(s)
}

func dotBF16BF16(n int, w, a []byte) float32 {
	w = w[:2*n]
	a = a[:2*n]
	var s float64
	for i := 0; i < len(w); i += 2 {
		x := BF16ToF32(binary.LittleEndian.Uint16(w[i:]))
		y := BF16ToF32(binary.LittleEndian.Uint16(a[i:]))
		s += float64(float32(x * y))
	}
	return float32(s)
}
