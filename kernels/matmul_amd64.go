//go:build !purego && !noasm

package kernels

// The packed matmul kernels for amd64 (AVX2, matmul_amd64.s), run by the
// tiling driver of matmul_driver.go, which arm64 shares.

func init() {
	if !useAVX2 {
		return
	}
	packedTable[Q4_0] = matMulPackedQ4_0Tiled
	packedTable[Q8_0] = matMulPackedQ8_0Tiled
	packedTable[Q4_K] = matMulPackedQ4_KTiled
	matMulTable[Q4_0] = matMulQ4_0Transient
	matMulTable[Q8_0] = matMulQ8_0Transient
	packGroupFast = packGroupAsm
	// Measured on one Zen 4 core streaming a 16384 x 4096 matrix: Q4_0
	// 10.7 GiB/s with the row dots, 25.7 packed; Q4_K 20.7 and 25.9; Q8_0
	// 20.2 and 18.6 (its row dots already stream at memory speed, and
	// MatMul packs it on the fly for batches).
	packedFast[Q4_0] = true
	packedFast[Q4_K] = true
	packedDiffers[Q4_K] = true
	if useAVX512VNNI {
		useVNNIPacked()
	}
}

// Q4_K is packed only by Repack, and only on amd64: MatMul keeps the row
// dots for it, whose float order is llama.cpp's (see dotQ4_KQ8_KAsm in
// dot_amd64.s), and the packed kernels' is not.
var driverQ4_K = packedDriver{t: Q4_K, blockBytes: q4_KPackedBytes, aBytes: q8_KBytes,
	pass: auxKBlocks, tileBlocks: 8}

func matMulPackedQ4_KTiled(p *Packed, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) {
	driverQ4_K.packed(p, r0, r1, a, aRow, nb, out, outStride)
}

// The packed Q4_K kernels under the names the shared driver calls; the
// wrappers inline.

func q8_KAux(nblk int, a *byte, aux *byte) { q8_KAuxAsm(nblk, a, aux) }

func gemmQ4_Kx8x4(nblk int, w, a *byte, aStride int, aux *byte, auxStride int, acc *float32, accStride int, load bool) {
	gemmQ4_Kx8x4Asm(nblk, w, a, aStride, aux, auxStride, acc, accStride, load)
}

func gemmQ4_Kx8x1(nblk int, w, a *byte, aux *byte, acc *float32, load bool) {
	gemmQ4_Kx8x1Asm(nblk, w, a, aux, acc, load)
}

//go:noescape
func q8_KAuxAsm(nblk int, a *byte, aux *byte)

//go:noescape
func gemmQ4_Kx8x4Asm(nblk int, w, a *byte, aStride int, aux *byte, auxStride int, acc *float32, accStride int, load bool)

//go:noescape
func gemmQ4_Kx8x1Asm(nblk int, w, a *byte, aux *byte, acc *float32, load bool)
