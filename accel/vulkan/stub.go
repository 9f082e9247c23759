//go:build !(linux && (amd64 || arm64))

package vulkan

import (
	"runtime"

	"github.com/baylingd/baylingd/kernels"
)

// The backend is built for 64-bit Linux only: the struct definitions in
// vk_types.go assume the LP64 C layout (see the comment there). Elsewhere
// every entry point reports Vulkan as unavailable, so that callers compile
// unchanged and fall back to the CPU.

// Backend is not available on this platform.
type Backend struct{}

// Matrix is not available on this platform.
type Matrix struct{}

func unsupported() error {
	return unavailable("the Vulkan backend is built only for linux/amd64 and linux/arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
}

// Open reports Vulkan as unavailable.
func Open(Config) (*Backend, error) { return nil, unsupported() }

// Devices reports Vulkan as unavailable.
func Devices(Config) ([]DeviceInfo, error) { return nil, unsupported() }

// Name returns "vulkan".
func (*Backend) Name() string { return "vulkan" }

// Device returns the zero DeviceInfo.
func (*Backend) Device() DeviceInfo { return DeviceInfo{} }

// ValidationEnabled returns false.
func (*Backend) ValidationEnabled() bool { return false }

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

// LastTiming returns zero.
func (*Matrix) LastTiming() Timing { return Timing{} }

// Free does nothing.
func (*Matrix) Free() {}
