package kernels

import "math"

// Reference float vector operations of the forward pass, following the
// scalar paths of ggml-cpu (vec.h, vec.cpp, ops.cpp). Sums that ggml keeps in
// ggml_float are float64 here as well. Where two slices are passed, the
// second must be at least as long as the first (the engine sizes them once);
// a shorter one panics.

// RMSNorm sets dst[i] = x[i] * scale * weight[i] with scale =
// 1/sqrtf(mean(x^2) + eps), as ggml's rms_norm followed by the mul with the
// norm weight: squares rounded to float32 and summed in float64, the mean
// rounded to float32. weight may be nil for the bare normalization. dst may
// be x.
func RMSNorm(dst, x, weight []float32, eps float32) {
	if len(x) == 0 {
		return
	}
	dst = dst[:len(x)]
	var sum float64
	for _, v := range x {
		sum += float64(float32(v * v))
	}
	mean := float32(sum / float64(len(x)))
	scale := 1 / float32(math.Sqrt(float64(mean+eps)))
	if weight == nil {
		for i, v := range x {
			dst[i] = v * scale
		}
		return
	}
	weight = weight[:len(x)]
	for i, v := range x {
		dst[i] = float32(v*scale) * weight[i]
	}
}

// RopeCache fills cos[i] and sin[i], i < nDims/2, with the rotation of pair i
// at position pos, exactly as ggml_rope_cache_init for rope without YaRN
// (ext_factor 0, attn_factor 1, no freq factors): theta_scale =
// powf(freqBase, -2/nDims), theta starts at (float)pos and is multiplied by
// theta_scale in float32 once per pair, and each angle is freqScale*theta.
// Computing the cache once per position and reusing it for every head and
// layer is what ggml does too.
func RopeCache(cos, sin []float32, pos int, nDims int, freqBase, freqScale float32) {
	half := nDims / 2
	cos = cos[:half]
	sin = sin[:half]
	thetaScale := float32(math.Pow(float64(freqBase), float64(float32(-2)/float32(nDims))))
	theta := float32(pos)
	for i := range cos {
		t := float64(freqScale * theta)
		cos[i] = float32(math.Cos(t))
		sin[i] = float32(math.Sin(t))
		theta *= thetaScale
	}
}

// RopeNorm rotates one head in place in ggml's "normal" rope mode (what
// llama.cpp uses for Llama GGUF files, whose Q and K weights the converter
// permuted for it): the pair (x[2i], x[2i+1]) is rotated by the angle of
// cos[i], sin[i] from RopeCache. Dimensions beyond 2*len(cos) are left as
// they are, as ggml does when n_dims is smaller than the head.
func RopeNorm(x []float32, cos, sin []float32) {
	sin = sin[:len(cos)]
	x = x[:2*len(cos)]
	for i, c := range cos {
		s := sin[i]
		x0, x1 := x[2*i], x[2*i+1]
		x[2*i] = float32(x0*c) - float32(x1*s)
		x[2*i+1] = float32(x0*s) + float32(x1*c)
	}
}

// softmaxGeneric is the reference Softmax.
func softmaxGeneric(x []float32) {
	if len(x) == 0 {
		return
	}
	vmax := float32(math.Inf(-1))
	for _, v := range x {
		// ggml's MAX(max, v) is `max > v ? max : v`.
		if !(vmax > v) {
			vmax = v
		}
	}
	var sum float64
	for i, v := range x {
		e := float32(math.Exp(float64(v - vmax)))
		sum += float64(e)
		x[i] = e
	}
	scaleGeneric(x, float32(1/sum))
}

// silu is ggml_silu_f32: x/(1+expf(-x)).
func silu(x float32) float32 {
	return x / (1 + float32(math.Exp(float64(-x))))
}

// siLUGeneric is the reference SiLU.
func siLUGeneric(x []float32) {
	for i, v := range x {
		x[i] = silu(v)
	}
}

// siLUMulGeneric is the reference SiLUMul.
func siLUMulGeneric(gate, up []float32) {
	up = up[:len(gate)]
	for i, g := range gate {
		gate[i] = silu(g) * up[i]
	}
}

// dotF32HeadsGeneric is the reference DotF32Heads: four positions' sums
// side by side (independent chains, so a core overlaps them), each one
// DotF32's.
func dotF32HeadsGeneric(out, rows, qT []float32, g int) {
	n := len(qT) / g
	rows, out = rows[:4*n], out[:4*g]
	r0, r1, r2, r3 := rows[:n], rows[n:2*n], rows[2*n:3*n], rows[3*n:4*n]
	for h := 0; h < g; h++ {
		var s0, s1, s2, s3 float64
		for i := range n {
			q := qT[i*g+h]
			s0 += float64(float32(r0[i] * q))
			s1 += float64(float32(r1[i] * q))
			s2 += float64(float32(r2[i] * q))
			s3 += float64(float32(r3[i] * q))
		}
		out[h], out[g+h], out[2*g+h], out[3*g+h] = float32(s0), float32(s1), float32(s2), float32(s3)
	}
}

// DotF32 is ggml_vec_dot_f32's scalar path: float32 products summed in
// float64.
func DotF32(a, b []float32) float32 {
	b = b[:len(a)]
	var s float64
	for i, v := range a {
		s += float64(float32(v * b[i]))
	}
	return float32(s)
}

// DotF16F32 dots a half-precision vector (a KV-cache row) with a float32
// query: float32 products summed in float64. ggml instead rounds the query to
// F16 first (vec_dot_type of F16); to reproduce that exactly, convert the
// query once with F32ToF16Row and use DotF16.
func DotF16F32(k []uint16, q []float32) float32 {
	q = q[:len(k)]
	var s float64
	for i, h := range k {
		s += float64(float32(F16ToF32(h) * q[i]))
	}
	return float32(s)
}

// dotF16Generic is the reference DotF16.
func dotF16Generic(a, b []uint16) float32 {
	b = b[:len(a)]
	var s float64
	for i, h := range a {
		s += float64(float32(F16ToF32(h) * F16ToF32(b[i])))
	}
	return float32(s)
}

// axpyF16Generic is the reference AxpyF16.
func axpyF16Generic(dst []float32, alpha float32, v []uint16) {
	v = v[:len(dst)]
	for i, h := range v {
		dst[i] += float32(alpha * F16ToF32(h))
	}
}

// axpyGeneric is the reference Axpy.
func axpyGeneric(dst []float32, alpha float32, v []float32) {
	v = v[:len(dst)]
	for i, x := range v {
		dst[i] += float32(alpha * x)
	}
}

// f32ToF16RowGeneric is the reference F32ToF16Row.
func f32ToF16RowGeneric(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = F32ToF16(v)
	}
}

// f16ToF32RowGeneric is the reference F16ToF32Row.
func f16ToF32RowGeneric(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = F16ToF32(h)
	}
}

// scaleGeneric is the reference Scale.
func scaleGeneric(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// addGeneric is the reference Add.
func addGeneric(dst, a, b []float32) {
	a = a[:len(dst)]
	b = b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// Argmax returns the index of the first largest element, ignoring NaNs
// (llama.cpp's greedy sampler keeps the first maximum too). It returns -1
// when x is empty or all NaN, which the caller must treat as an error.
func Argmax(x []float32) int {
	best := -1
	var bv float32
	for i, v := range x {
		if v != v {
			continue
		}
		if best < 0 || v > bv {
			best, bv = i, v
		}
	}
	return best
}
