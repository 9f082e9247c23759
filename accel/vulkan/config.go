package vulkan

import "time"

// Config selects and tunes the Vulkan backend. The zero value picks the
// best device through the system's libvulkan.so.1.
type Config struct {
	// Library is the Vulkan loader to dlopen; "" means "libvulkan.so.1".
	Library string

	// Device picks the physical device: a decimal index into the list
	// Devices returns, or a case-insensitive substring of the device name
	// ("llvmpipe", "Mali"). "" means the BAYLING_VULKAN_DEVICE environment
	// variable, and if that is unset too, the best device: a discrete GPU,
	// then an integrated one, then a virtual one, and CPU drivers such as
	// lavapipe only when nothing else exists.
	Device string

	// Validation enables VK_LAYER_KHRONOS_validation with a
	// VK_EXT_debug_utils messenger when the layer is installed; it is
	// silently skipped otherwise (tests check ValidationEnabled).
	Validation bool

	// OnMessage receives validation and driver messages of warning and
	// error severity. It may be called from any goroutine, during any
	// Vulkan call. nil drops them.
	OnMessage func(severity, message string)

	// Timeout bounds the wait for one submission; a submission that takes
	// longer leaves the device in an unknown state and the backend refuses
	// further work. 0 means two minutes.
	Timeout time.Duration

	// ForceStaging uploads weights through a staging buffer and a copy
	// command even where device-local memory is host-visible (UMA boards,
	// lavapipe), which would otherwise be written directly. Tests use it to
	// cover the discrete-GPU path.
	ForceStaging bool

	// MaxBufferBytes caps the size of one storage buffer; weights larger
	// than that are split by rows into several buffers, and activation
	// batches are split to fit. 0 means the device's maxStorageBufferRange,
	// capped at 1 GiB. Tests set it small to cover the splitting.
	MaxBufferBytes int64

	// StagingBytes is the size of the staging buffer used for uploads; 0
	// means 16 MiB.
	StagingBytes int64
}

// DeviceInfo describes one Vulkan physical device.
type DeviceInfo struct {
	Index         int    // position in the loader's enumeration
	Name          string // deviceName, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
	Type          string // "discrete", "integrated", "virtual", "cpu" or "other"
	APIVersion    string // e.g. "1.3.230"
	VendorID      uint32
	DeviceID      uint32
	DriverVersion uint32
	// Usable is false for devices this backend cannot drive (older than
	// Vulkan 1.1, or without a compute queue); Reason says why.
	Usable bool
	Reason string
}

// Timing is what the last MatMul of a Matrix cost.
type Timing struct {
	// Kernel is the GPU time between the first and last dispatch,
	// measured with timestamp queries; 0 where the queue has no
	// timestamps.
	Kernel time.Duration
	// Total is the wall time of the call: copies in and out, recording,
	// submission and the wait.
	Total time.Duration
}

// EnvDevice is the environment variable consulted when Config.Device is
// empty.
const EnvDevice = "BAYLING_VULKAN_DEVICE"
