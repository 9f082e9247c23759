//go:build !purego && !noasm

package kernels

// Stubs of matmul_arm64.s: the packed Q4_0/Q8_0 kernels for CPUs with SDOT,
// with the signatures and contracts of their amd64 counterparts, run by
// the shared tiling driver (matmul_driver.go). useARM64Kernels installs
// them with SDOT only (see cpu_arm64.go for why not without it);
// neon_arm64_test.go tests them against the references directly.

// useARM64Packed installs the SDOT packed kernels: MatMulPacked for Q4_0
// and Q8_0, MatMul through transient packing for batches of two or more,
// and Repack's group packing. Both are bit-identical to the reference dots
// (TestARM64PackedKernels, TestMatMulPackedGuarded,
// TestMatMulAsmVsReference), so packedDiffers stays false.
func useARM64Packed() {
	packedTable[Q4_0] = matMulPackedQ4_0Tiled
	packedTable[Q8_0] = matMulPackedQ8_0Tiled
	matMulTable[Q4_0] = matMulQ4_0Transient
	matMulTable[Q8_0] = matMulQ8_0Transient
	packGroupFast = packGroupAsm
	// Decode streams the weights once per token. Per block of eight rows
	// the packed Q4_0 kernel issues 46 SIMD/FP instructions (5.75 per row;
	// plus 8 loads), the SDOT row dot 16 per row (plus 4 loads): at two
	// SIMD instructions per cycle (Cortex-A76) one core's ceiling moves
	// from about 2.2 to about 6.3 weight bytes per cycle, 5.4 to 15 GB/s
	// at 2.4 GHz, where a Pi 5's memory gives all cores together 10-11
	// GB/s. The Q8_0 row dot (12
	// SIMD instructions per 34-byte block, 5.7 bytes per cycle) already
	// outruns that memory, so a packed copy would cost memory for nothing,
	// as on amd64. Counted, not measured: no board was at hand.
	packedFast[Q4_0] = true
}

// arm64 has no packed Q4_K kernels: packedTable[Q4_K] stays the generic
// kernel, and no Q4_K driver exists here. These only let the shared
// driver's Q4_K branches compile.

func q8_KAux(int, *byte, *byte) { panic("kernels: no packed Q4_K kernels on arm64") }

func gemmQ4_Kx8x4(int, *byte, *byte, int, *byte, int, *float32, int, bool) {
	panic("kernels: no packed Q4_K kernels on arm64")
}

func gemmQ4_Kx8x1(int, *byte, *byte, *byte, *float32, bool) {
	panic("kernels: no packed Q4_K kernels on arm64")
}
