//go:build !purego && !noasm

package kernels

// Stubs of matmul_arm64.s: the packed Q4_0/Q8_0 kernels for CPUs with SDOT,
// with the signatures and contracts of their amd64 counterparts
// (matmul_amd64.go), so that the tiling driver there can run them once it
// is built for arm64 too. Until then nothing installs them in packedTable
// or matMulTable; neon_arm64_test.go tests them against the references.

//go:noescape
func q8_0AuxAsm(nblk int, a *byte, ys *int32, dy *float32)

//go:noescape
func gemmQ4_0x8x4Asm(nblk int, w, a *byte, aStride int, ys *int32, dy *float32, auxStride int, acc *float32, accStride int, load bool)

//go:noescape
func gemmQ4_0x8x1Asm(nblk int, w, a *byte, ys *int32, dy *float32, acc *float32, load bool)

//go:noescape
func gemmQ8_0x8x4Asm(nblk int, w, a *byte, aStride int, ys *int32, dy *float32, auxStride int, acc *float32, accStride int, load bool)

//go:noescape
func gemmQ8_0x8x1Asm(nblk int, w, a *byte, ys *int32, dy *float32, acc *float32, load bool)

//go:noescape
func packQ4_0Asm(dst, src *byte, rowBytes, nblk int)

//go:noescape
func packQ8_0Asm(dst, src *byte, rowBytes, nblk int)
