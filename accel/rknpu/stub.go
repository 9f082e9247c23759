//go:build !(linux && (amd64 || arm64))

package rknpu

import (
	"runtime"

	"github.com/baylingd/baylingd/kernels"
)

// The NPU backend is built for 64-bit Linux only: librknnrt's structs
// differ on 32-bit ARM (see abi.go). Elsewhere it reports itself
// unavailable, so that callers compile unchanged and stay on the CPU.

// Backend is not available on this platform.
type Backend struct{}

// Matrix is not available on this platform.
type Matrix struct{}

func unsupported() error {
	return unavailable("the RKNN backend is built only for linux/amd64 and linux/arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
}

// Open reports the NPU as unavailable (after validating cfg, so that a
// bad configuration is reported the same everywhere).
func Open(cfg Config) (*Backend, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return nil, unsupported()
}

// Name returns "rknpu".
func (*Backend) Name() string { return "rknpu" }

// Supports returns false.
func (*Backend) Supports(kernels.Type) bool { return false }

// Upload fails.
func (*Backend) Upload(string, kernels.Type, int, int, []byte) (*Matrix, error) {
	return nil, unsupported()
}

// Close does nothing.
func (*Backend) Close() error { return nil }

// MatMul fails.
func (*Matrix) MatMul([]float32, int, []float32) error { return unsupported() }

// Free does nothing.
func (*Matrix) Free() {}
