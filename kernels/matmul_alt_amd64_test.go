//go:build !purego && !noasm

package kernels

// altMatMulImpls lists the Q4_0/Q8_0 matmul kernels this CPU can run but
// dispatch did not choose, so that the tests check them too: with AVX-512
// VNNI, the AVX2 kernels it replaced, and the VNNI kernels for every batch
// size (dispatch keeps AVX2 for one column and MatMul's row dots below two).
func altMatMulImpls() []matMulImpl {
	if !useAVX512VNNI {
		return nil
	}
	vq4, vq8 := driverQ4_0, driverQ8_0
	vq4.minCols, vq8.minCols = 1, 1
	return []matMulImpl{
		{
			name: "amd64-avx2",
			packed: map[Type]packedKernel{
				Q4_0: matMulPackedQ4_0Tiled,
				Q8_0: matMulPackedQ8_0Tiled,
			},
			matMul: map[Type]matMulFunc{
				Q4_0: matMulQ4_0Transient,
				Q8_0: matMulQ8_0Transient,
			},
		},
		{
			name: "amd64-avx512vnni (every nb)",
			packed: map[Type]packedKernel{
				Q4_0: vq4.vnniPackedAll,
				Q8_0: vq8.vnniPackedAll,
			},
			matMul: map[Type]matMulFunc{
				Q4_0: vq4.vnniTransient,
				Q8_0: vq8.vnniTransient,
			},
		},
	}
}
