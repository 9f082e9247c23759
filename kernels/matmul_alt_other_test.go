//go:build !amd64 || purego || noasm

package kernels

// altMatMulImpls: on this architecture or build, dispatch's matmul
// kernels are the only ones (arm64 tests its variants directly in
// neon_arm64_test.go).
func altMatMulImpls() []matMulImpl { return nil }
