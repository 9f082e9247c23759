package kernels

// The vector operations are dispatched through vecTable, which holds the
// references of vec_generic.go (always kept in vecGeneric for the tests)
// and, where an architecture file replaces an entry at init, a kernel that
// returns the reference's bits for every input: these operations feed the
// logits the engine compares with llama.cpp, so a faster version may not
// move them. RMSNorm, DotF32 and DotF16F32 sum in float64 in a fixed
// order and stay references (a vector kernel would reorder the sum); DotF16
// is dispatched only to kernels that keep its order (arm64), and
// DotF32Heads (amd64, arm64) puts independent sums, not the terms of one, in the
// vector lanes.

type vecImpl struct {
	softmax     func(x []float32)
	siLU        func(x []float32)
	siLUMul     func(gate, up []float32)
	axpyF16     func(dst []float32, alpha float32, v []uint16)
	dotF16      func(a, b []uint16) float32
	axpy        func(dst []float32, alpha float32, v []float32)
	f32ToF16Row func(dst []uint16, src []float32)
	f16ToF32Row func(dst []float32, src []uint16)
	scale       func(x []float32, s float32)
	add         func(dst, a, b []float32)
	dotF32Heads func(out, rows, qT []float32, g int)
}

var vecGeneric = vecImpl{
	softmax:     softmaxGeneric,
	siLU:        siLUGeneric,
	siLUMul:     siLUMulGeneric,
	axpyF16:     axpyF16Generic,
	dotF16:      dotF16Generic,
	axpy:        axpyGeneric,
	f32ToF16Row: f32ToF16RowGeneric,
	f16ToF32Row: f16ToF32RowGeneric,
	scale:       scaleGeneric,
	add:         addGeneric,
	dotF32Heads: dotF32HeadsGeneric,
}

var vecTable = vecGeneric

// Softmax replaces x with softmax(x) as ggml's soft_max: subtract the
// maximum, expf, sum in float64, multiply by (float)(1/sum). A row that is
// all -Inf (fully masked) becomes NaN, as in ggml; the engine never builds
// one.
func Softmax(x []float32) { vecTable.softmax(x) }

// SiLU replaces x[i] with x[i]/(1+exp(-x[i])).
func SiLU(x []float32) { vecTable.siLU(x) }

// SiLUMul sets gate[i] = silu(gate[i]) * up[i], the SwiGLU of Llama's FFN
// (ggml_vec_swiglu_f32).
func SiLUMul(gate, up []float32) { vecTable.siLUMul(gate, up) }

// AxpyF16 sets dst[i] += alpha * float(v[i]): attention's weighted sum over
// an F16 value cache. The product is rounded before the add (no FMA).
func AxpyF16(dst []float32, alpha float32, v []uint16) { vecTable.axpyF16(dst, alpha, v) }

// DotF16 is ggml_vec_dot_f16's scalar path: each half product (exact in
// float32) summed in float64 in index order, rounded once at the end.
func DotF16(a, b []uint16) float32 { return vecTable.dotF16(a, b) }

// Axpy sets dst[i] += alpha * v[i] (ggml_vec_mad_f32, unfused).
func Axpy(dst []float32, alpha float32, v []float32) { vecTable.axpy(dst, alpha, v) }

// F32ToF16Row converts src to half precision with F32ToF16; len(dst) must be
// at least len(src).
func F32ToF16Row(dst []uint16, src []float32) { vecTable.f32ToF16Row(dst, src) }

// DotF32Heads computes the attention scores of four cached positions
// against g query heads at once: out[p*g+h] = DotF32(rows[p*n:(p+1)*n], q_h)
// for p < 4 and h < g, where n = len(qT)/g and the queries are held
// transposed, q_h[i] = qT[i*g+h] (the heads that share one KV head, in
// grouped-query attention). Each score has DotF32's bits: the heads sit in
// vector lanes, so every lane keeps DotF32's float64 sum in index order,
// which a vector kernel along i could not. amd64 and arm64 vectorize g = 4
// and 8 (arm64: n a multiple of 4).
func DotF32Heads(out, rows, qT []float32, g int) { vecTable.dotF32Heads(out, rows, qT, g) }

// F16ToF32Row widens src with F16ToF32; len(dst) must be at least len(src).
func F16ToF32Row(dst []float32, src []uint16) { vecTable.f16ToF32Row(dst, src) }

// Scale multiplies x by s in place (ggml_vec_scale_f32).
func Scale(x []float32, s float32) { vecTable.scale(x, s) }

// Add sets dst = a + b element-wise over len(dst); dst may alias a or b.
func Add(dst, a, b []float32) { vecTable.add(dst, a, b) }
