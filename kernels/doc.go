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
// # Layout and dispatch
//
// Files named *_generic.go hold the pure-Go reference implementations; they
// are always compiled. Architecture kernels live in x_amd64.s / x_arm64.s
// with x_amd64.go / x_arm64.go stubs, all under `//go:build !purego &&
// !noasm`, so either build tag compiles the references only; the packed
// matmul's tiling driver, which both architectures share, is
// matmul_driver.go (`(amd64 || arm64) && !purego && !noasm`). Each
// architecture decides once, in an init function, from golang.org/x/sys/cpu
// (amd64: cpu_amd64.go, useAVX2 = AVX2 && FMA && F16C, and useAVX512VNNI
// = that && AVX-512 F, BW, VL and VNNI; arm64: cpu_arm64.go, SDOT from
// HasASIMDDP unless BAYLING_ARM64_NOSDOT is set), and replaces
// entries of these tables, which every exported function reads (never a
// per-call feature test):
//
//	dotTable [maxType]DotFunc      Dot and MatMul's row loop; references in dotGeneric
//	quantTable [maxType]quantFunc  Quantize; references quantQ8_0, quantQ8_K, quantF16 ...
//	matMulTable [maxType]matMulFunc  a whole MatMul for a type (may decline a shape
//	                               by returning false: the row loop runs)
//	packedTable [maxType]packedKernel  MatMulPacked; references in packedGeneric
//	packGroupFast                  Repack's packing of whole groups (optional)
//	packedFast, packedDiffers      what RepackInfo reports per type
//	vecTable vecImpl               Softmax, SiLU, SiLUMul, Axpy, AxpyF16, DotF16,
//	                               Scale, Add, F16ToF32Row, F32ToF16Row,
//	                               DotF32Heads; references in vecGeneric
//	readSum                        Bandwidth's read loop; reference readSumGeneric
//	impl                           the name Impl returns: "generic", "amd64-avx2",
//	                               "amd64-avx512vnni", "arm64-neon",
//	                               "arm64-neon-sdot"
//
// What each architecture installs:
//
//	                 amd64 (AVX2)           arm64 with SDOT         arm64 without SDOT
//	dotTable         Q4_0 Q8_0 Q4_K Q5_K    Q4_0 Q8_0 (SDOT), Q4_K  Q4_0 Q8_0 (SMULL/SMLAL),
//	                 Q6_K F16               Q5_K Q6_K F16           Q4_K Q5_K Q6_K F16
//	quantTable       Q8_0 Q8_K F16          Q8_0 Q8_K F16           Q8_0 Q8_K F16
//	packedTable      Q4_0 Q8_0 Q4_K         Q4_0 Q8_0               none
//	matMulTable      Q4_0 Q8_0 (nb >= 2),   Q4_0 Q8_0 (nb >= 2)     none
//	                 Q6_K (nb >= 4)
//	RepackInfo.Fast  Q4_0 Q4_K              Q4_0                    none
//	vecTable         all but DotF16         AxpyF16 Axpy DotF16     AxpyF16 Axpy DotF16
//	                                        F16ToF32Row             F16ToF32Row
//	                                        DotF32Heads             DotF32Heads
//	readSum          AVX2                   NEON                    NEON
//
// With AVX-512 VNNI (Zen 4, Intel from Cascade/Ice Lake), amd64 replaces
// the Q4_0 and Q8_0 entries of packedTable and matMulTable with the
// kernels of matmul_vnni_amd64.go (one column of MatMulPacked keeps the
// AVX2 kernel; see below); everything else stays AVX2. `GODEBUG=
// cpu.avx512f=off` selects the AVX2 set.
//
// The references stay in dotGeneric, vecGeneric, packedGeneric and the
// named quantizers so that every kernel is tested against its own
// reference on the same machine (dispatch_test.go, matmul_packed_test.go,
// fuzz_asm_test.go, and on arm64 neon_arm64_test.go, which also calls both
// variants of each arm64 kernel directly; on amd64 with AVX-512 VNNI the
// matmul tests also run the AVX2 set it replaced, see altMatMulImpls).
// x/sys/cpu honours GODEBUG, so `GODEBUG=cpu.avx2=off` (amd64) or
// `GODEBUG=cpu.asimddp=off` (arm64) selects the fallback paths of a binary
// at run time. Go's arm64 assembler
// lacks most NEON forms used here (SDOT, the widening multiplies, vector
// FADD/FMUL/FCVTL ...); the .s files emit them as WORDs with the mnemonic
// in a comment, and sdot_encoding_test.go re-derives every WORD from its
// comment (and checks that none is a fused multiply-add).
//
// What the amd64 (AVX2) kernels return, against the references:
//
//   - bit for bit: the Q4_0 and Q8_0 dots (eight blocks' integer sums are
//     reduced into one register and added into the scalar sum one block at
//     a time, in order), MatMul and MatMulPacked for Q4_0 and Q8_0 (the
//     packed kernels' lanes are rows, each summed in the reference's
//     order), the Q8_0/Q8_K/F16 quantizers (roundf and nearest_int
//     replicated; non-finite blocks go to the reference), and every vecTable
//     operation (the exponentials replicate math.Exp's amd64 algorithm in
//     float64 lanes; Softmax still adds its float64 sum in order);
//   - to float64 summation order (the rounded float32 practically always
//     equal): the F16 dot;
//   - to float32 rounding (TestDotAsmVsReference reports the largest
//     difference, about 1e-7 of sum|w*a|): the Q4_K, Q5_K and Q6_K dots,
//     which keep the lane order of ggml's own AVX2 kernels. That order is
//     what llama.cpp computes on x86, and it matches the fixture goldens to
//     float noise (NMSE 2e-14 on tiny-llama2-q4_k_m against 5e-5 for the
//     scalar reference order: a last-bit difference flips a few activation
//     quants at the next layer). The packed Q4_K kernel sums whole blocks
//     per row instead, so for Q4_K MatMulPacked and MatMul differ in the
//     last bits (RepackInfo.SameBits). MatMul's four-column Q6_K dot
//     (matMulQ6_KAVX2) repeats the single dot's arithmetic per column, so
//     MatMul gives Dot's bits for every type and batch size
//     (TestMatMulMatchesDot).
//
// The AVX-512 VNNI kernels (Q4_0, Q8_0 matmul) return the references'
// bits, like the AVX2 ones: exact int32 block sums (VPDPBUSD does not
// saturate), then the reference's float steps per row.
//
// What the arm64 (NEON) kernels return: bit for bit everything (the
// Q4_0, Q8_0, Q4_K, Q5_K and Q6_K dots on both paths, MatMul and
// MatMulPacked, the quantizers, and the vecTable operations, NaN payloads
// included), except the F16 dot of dotTable, which sums its exact products
// in eight float64 lanes (to float64 summation order, as on amd64); DotF16
// keeps the reference's order. The fixture goldens therefore come out the
// same on both arm64 paths and as the pure-Go references (NMSE 5e-5 on
// tiny-llama2-q4_k_m).
//
// # Batched matmul and packing
//
// MatMul computes a range of weight rows against nb activation rows. On
// amd64, and on arm64 with SDOT, for Q4_0 and Q8_0 from two activation
// rows on, it packs the weights on the fly ("transient" packing into a
// stack buffer, no extra memory) into the layout of Packed and runs the
// packed kernels. One activation row (decode) keeps the row dots: reading
// eight rows at once to pack them streams the weights slower than reading
// one (measured on amd64).
//
// The loop order depends on nb (matmul_driver.go). A decode step of up
// to 16 sequences reads every weight group once, running each kernel call
// over all its columns while the group is in L1, with the per-block
// activation data computed once per call; prefill tiles 32 rows x 2048
// elements of weights in L1/L2 while all activation rows pass over them.
// The AVX2 and SDOT kernels do 8 rows x 1 or 4 columns per call. With
// AVX-512 VNNI (matmul_vnni_amd64.go, generated by
// matmul_vnni_gen_test.go) a call does 16 rows (two groups, one zmm lane
// per row) x up to 8 columns, one weight vector unpacked for all of them
// and VPDPBUSD taking each activation dword as a broadcast memory
// operand: on the Zen 4 of the README's tables, 156 GMAC/s per core at 8
// columns against 80-91 for the AVX2 8x4 kernel (BenchmarkMatMulPackedBatch
// Q4_0/l2/nb=8, two runs each), about the limit of the two pipes that do
// both the integer dots and the float multiplies.
// Both sets prefetch the weights ahead of the hardware prefetchers,
// which left the kernels waiting on DRAM in decode.
//
// Repack makes a persistent packed copy (PackRows = 8 rows interleaved four
// bytes at a time: one broadcast activation dword feeds eight rows, which
// on arm64 is exactly SDOT's by-element form), which MatMulPacked uses;
// decode then reads the weights as one sequential stream at memory speed.
// It costs anonymous memory as large as the weights: an option for the
// engine, which repacks the types RepackInfo calls fast. RepackInfo says
// per type whether this CPU has packed kernels that beat MatMul and
// whether the results are MatMul's bits (not for Q4_K on amd64; see
// above). amd64 (measured): Q4_0, whose row dots stream at less than half
// the memory speed of one core, and Q4_K; not Q8_0, whose row dots already
// stream at memory speed. arm64 with SDOT (counted, not measured; see
// useARM64Packed): Q4_0, whose packed kernel needs a third of the row
// dot's SIMD instructions per weight byte; not Q8_0, for the amd64 reason.
// arm64 without SDOT: none (no packed kernels; see cpu_arm64.go for the
// instruction count behind not writing them).
// Bandwidth measures the read roofline that decode is bound by.
//
// # Lengths
//
// Dequantize and Quantize check their lengths and return errors. The hot-path
// functions (the DotFunc values, MatMul and the vector operations) expect
// lengths validated once when the model is loaded; they panic, never corrupt
// memory, when given slices that are too short.
package kernels
