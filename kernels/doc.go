// Package kernels is the CPU math of baylingd: decoding and encoding of the
// ggml block formats found in GGUF files, the quantized dot products and the
// matrix multiply built on them, and the float vector operations of a Llama
// forward pass (RMS norm, rotary embedding, softmax, SiLU, half-precision
// KV-cache dots).
//
// # Numerics
//
// The engine's logits are compared against llama.cpp's, so every function here
// follows ggml's scalar reference code (the *_ref functions of ggml-quants.c,
// the *_generic dot products of ggml-cpu/quants.c and the scalar paths of
// ggml-cpu/vec.cpp and ops.cpp): the same integer sums per block, the same
// order of float32 multiplications and additions, float64 where ggml uses
// ggml_float. The block decoders, activation quantizers, dot products, RMS
// norm and half/bfloat conversions are bit-identical to ggml's C on every
// input; TestGoldenDigest pins digests that ggml's own code produced.
//
// Go may fuse x*y+z into one FMA on arm64 (and ppc64, s390x, riscv64), even
// across statements and inlined calls; only an explicit conversion forbids
// it. So every product that reaches an add is wrapped in float32() where it
// is computed, which makes results identical on every GOARCH and equal to
// ggml compiled without contraction (its x86 builds). TestNoFusedMultiplyAdd
// checks the arm64 build for fused instructions.
//
// expf, sinf and cosf are Go's float64 math rounded to float32; they can
// differ from glibc's by an ulp or two (Softmax, SiLU, RopeCache). Note that
// llama.cpp itself runs SIMD kernels on AVX2 and NEON machines, which sum in
// other orders and use a polynomial expf, so a real llama.cpp binary differs
// from its own scalar reference, and from this package, at about 1e-7
// relative per dot product.
//
// # Layout
//
// Files named *_generic.go hold the pure-Go reference implementations; they
// are always compiled. Architecture kernels (x_amd64.s, x_arm64.s with their
// x_amd64.go / x_arm64.go stubs) are to replace entries of the dispatch
// table (dotTable) at init from golang.org/x/sys/cpu, with the purego/noasm
// build tags forcing the reference path; dotGeneric keeps the references so
// that each kernel is tested against its own. None exist yet.
//
// # Lengths
//
// Dequantize and Quantize check their lengths and return errors. The hot-path
// functions (the DotFunc values, MatMul and the vector operations) expect
// lengths validated once when the model is loaded; they panic, never corrupt
// memory, when given slices that are too short.
package kernels
