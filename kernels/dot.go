package kernels

import "fmt"

// DotFunc is the dot product of one weight row w, of the type it was chosen
// for, with one activation row a of type VecDotType of that type, both n
// elements long. n must be a whole number of blocks and w and a at least
// RowBytes(n) long; these are checked once by the caller (the engine checks
// tensor shapes at load), not per call. Too-short slices panic.
type DotFunc func(n int, w, a []byte) float32

// dotGeneric holds the reference dot products, always available so that
// architecture kernels can be tested against them.
var dotGeneric = [maxType]DotFunc{
	F32:  dotF32F32,
	F16:  dotF16F16,
	BF16: dotBF16BF16,
	Q4_0: dotQ4_0Q8_0,
	Q4_1: dotQ4_1Q8_1,
	Q5_0: dotQ5_0Q8_0,
	Q5_1: dotQ5_1Q8_1,
	Q8_0: dotQ8_0Q8_0,
	Q2_K: dotQ2_KQ8_K,
	Q3_K: dotQ3_KQ8_K,
	Q4_K: dotQ4_KQ8_K,
	Q5_K: dotQ5_KQ8_K,
	Q6_K: dotQ6_KQ8_K,
}

// impl names the kernel set the architecture files chose at init; see Impl.
var impl = "generic"

// Impl names the kernels this process runs: "generic" for the pure-Go
// references (other architectures, the purego/noasm build tags, or a CPU
// without the needed features), "amd64-avx2" for the AVX2/FMA/F16C
// assembly, "amd64-avx512vnni" for that with the AVX-512 VNNI packed
// matmul kernels, "arm64-neon-sdot" and "arm64-neon" for the NEON assembly
// with and without the dot-product extension. Benchmarks print it.
func Impl() string { return impl }

// dotTable is what Dot and MatMul use: the reference functions, with entries
// replaced at init by architecture files where a faster kernel exists.
var dotTable = dotGeneric

// Dot returns the dot product for weight type t against activations of type
// VecDotType(t): F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K,
// Q4_K, Q5_K and Q6_K. Choose it once per tensor, not per row. It returns an
// error for other types.
func Dot(t Type) (DotFunc, error) {
	if uint32(t) < maxType {
		if f := dotTable[t]; f != nil {
			return f, nil
		}
	}
	return nil, fmt.Errorf("kernels: no dot product for weight type %v", t)
}
