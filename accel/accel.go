package accel

import (
	"errors"
	"fmt"
	"time"

	"github.com/baylingd/baylingd/accel/rknpu"
	"github.com/baylingd/baylingd/accel/vulkan"
	"github.com/baylingd/baylingd/kernels"
)

// Backend is one offload device. Upload places a weight matrix on it once,
// at model load; the returned Matrix is then multiplied by activation
// batches for as long as the model is loaded.
//
// All methods are safe for concurrent use. A backend runs one matmul at a
// time (calls from several goroutines are serialized), so the engine gains
// nothing from calling it in parallel.
type Backend interface {
	// Name identifies the backend and device for logs and /metrics:
	// "vulkan:<device name>" or "rknpu".
	Name() string

	// Supports reports whether Upload accepts weights of type t.
	Supports(t kernels.Type) bool

	// Upload copies (or converts) a weight matrix of rows x cols elements
	// of type t, in GGUF row layout: row r is the t.RowBytes(cols) bytes
	// at data[r*RowBytes:]. len(data) must be exactly rows*RowBytes(cols).
	// data is not retained, so it may be the memory-mapped model file.
	// name is for error messages.
	Upload(name string, t kernels.Type, rows, cols int, data []byte) (Matrix, error)

	// Close frees the device, including any Matrix not yet freed; the
	// backend and its matrices return errors afterwards. Idempotent.
	Close() error
}

// Matrix is a weight matrix resident on a backend.
type Matrix interface {
	// MatMul computes, for b < batch and r < rows,
	//
	//	out[b*rows + r] = sum_c W[r][c] * x[b*cols + c]
	//
	// with F32 activations in and F32 results out: the layout of the
	// engine's activation rows (x holds batch rows of cols values) and of
	// kernels.MatMul with outStride = rows. x must hold at least
	// batch*cols values and out at least batch*rows; nothing past
	// batch*rows is written. It returns an error, never panics, on bad
	// arguments or a failed device.
	MatMul(x []float32, batch int, out []float32) error

	// Free releases the device memory. Idempotent; MatMul fails after it.
	Free()
}

// Timing is the cost of a matmul as a backend measures it.
type Timing struct {
	Kernel time.Duration // device time (GPU timestamps); 0 if unknown
	Total  time.Duration // wall time of the MatMul call
}

// Timed is implemented by matrices that can report what their last
// MatMul cost (the Vulkan backend, from timestamp queries).
type Timed interface {
	LastTiming() Timing
}

// Options configure Open. The zero value is the default for every kind.
type Options struct {
	// VulkanLibrary overrides the Vulkan loader, "libvulkan.so.1" by
	// default. A path or a soname.
	VulkanLibrary string

	// RKNNLibrary overrides the RKNN runtime: "" means
	// $BAYLING_RKNN_LIBRARY, then "librknnrt.so". Tests point it at the
	// ABI double (see package rknpu).
	RKNNLibrary string

	// Device picks the Vulkan device by index or name substring; empty
	// means $BAYLING_VULKAN_DEVICE, then the best GPU (CPU drivers such as
	// lavapipe last). Ignored by rknpu.
	Device string

	// Validation enables the Khronos validation layer (vulkan) when
	// installed; messages go to OnMessage.
	Validation bool

	// OnMessage receives driver diagnostics (vulkan validation messages);
	// nil drops them. It may be called from any goroutine.
	OnMessage func(severity, message string)

	// CoreMask selects RK3588 NPU cores (rknpu): 0 lets the runtime
	// choose, 1/2/4 one core, 3 cores 0-1, 7 all three.
	CoreMask uint32

	// BatchTile is the number of activation rows per NPU call (rknpu):
	// the matmul contexts are created for this M. 0 means 64.
	BatchTile int

	// HardwareOnly (accel = "auto") opens Vulkan only when the machine has
	// a GPU render node, and loads only the drivers of the GPUs present;
	// see selectHardwareVulkan.
	HardwareOnly bool
}

// Kinds are the backend names Open accepts, in the order "auto" tries
// them.
var Kinds = []string{"vulkan", "rknpu"}

// ErrUnavailable is matched (errors.Is) by every UnavailableError.
var ErrUnavailable = errors.New("accel: backend unavailable")

// UnavailableError says that a backend cannot run on this machine: its
// library is not installed, the driver finds no device, or the platform is
// unsupported. The daemon logs it and stays on the CPU, unless the config
// demands that backend, in which case it is fatal.
type UnavailableError struct {
	Kind   string // "vulkan" or "rknpu"
	Reason string // what is missing, for the log
	Err    error  // the backend's own error
}

func (e *UnavailableError) Error() string {
	return "accel: " + e.Kind + " unavailable: " + e.Reason
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Open opens the backend named kind ("vulkan" or "rknpu"). A missing
// library or device is an *UnavailableError; any other error means the
// backend exists but failed.
func Open(kind string, opts Options) (Backend, error) {
	var (
		b   Backend
		err error
	)
	switch kind {
	case "vulkan":
		if opts.HardwareOnly {
			if err := selectHardwareVulkan(); err != nil {
				return nil, err
			}
		}
		var vb *vulkan.Backend
		vb, err = vulkan.Open(vulkan.Config{
			Library:    opts.VulkanLibrary,
			Device:     opts.Device,
			Validation: opts.Validation,
			OnMessage:  opts.OnMessage,
		})
		if err == nil {
			b = vkBackend{vb}
		}
	case "rknpu":
		var rb *rknpu.Backend
		rb, err = rknpu.Open(rknpu.Config{
			Library:   opts.RKNNLibrary,
			CoreMask:  opts.CoreMask,
			BatchTile: opts.BatchTile,
		})
		if err == nil {
			b = npuBackend{rb}
		}
	default:
		return nil, fmt.Errorf("accel: unknown backend %q (want one of %v)", kind, Kinds)
	}
	if err != nil {
		var u interface{ Unavailable() bool }
		if errors.As(err, &u) && u.Unavailable() {
			return nil, &UnavailableError{Kind: kind, Reason: reason(err), Err: err}
		}
		return nil, err
	}
	return b, nil
}

// reason strips the backend's own "x unavailable: " prefix.
func reason(err error) string {
	s := err.Error()
	for _, p := range []string{"vulkan unavailable: ", "rknpu unavailable: "} {
		if len(s) > len(p) && s[:len(p)] == p {
			return s[len(p):]
		}
	}
	return s
}

// OpenAvailable opens every kind in Kinds that this machine has, for
// accel = "auto". unavailable holds the *UnavailableError of each kind
// that is missing (to log); failed holds the errors of kinds that exist
// but did not open.
func OpenAvailable(opts Options) (backends []Backend, unavailable, failed []error) {
	for _, k := range Kinds {
		b, err := Open(k, opts)
		switch {
		case err == nil:
			backends = append(backends, b)
		case errors.Is(err, ErrUnavailable):
			unavailable = append(unavailable, err)
		default:
			failed = append(failed, fmt.Errorf("accel: %s: %w", k, err))
		}
	}
	return backends, unavailable, failed
}

// The adapters below give the concrete backends the interface types:
// Go has no covariant results, so *vulkan.Backend.Upload returning
// *vulkan.Matrix does not by itself satisfy Backend.

type vkBackend struct{ b *vulkan.Backend }

func (v vkBackend) Name() string                 { return v.b.Name() }
func (v vkBackend) Supports(t kernels.Type) bool { return v.b.Supports(t) }
func (v vkBackend) Close() error                 { return v.b.Close() }
func (v vkBackend) Upload(name string, t kernels.Type, rows, cols int, data []byte) (Matrix, error) {
	m, err := v.b.Upload(name, t, rows, cols, data)
	if err != nil {
		return nil, err
	}
	return vkMatrix{m}, nil
}

type vkMatrix struct{ *vulkan.Matrix }

func (m vkMatrix) LastTiming() Timing {
	t := m.Matrix.LastTiming()
	return Timing{Kernel: t.Kernel, Total: t.Total}
}

type npuBackend struct{ b *rknpu.Backend }

func (n npuBackend) Name() string                 { return n.b.Name() }
func (n npuBackend) Supports(t kernels.Type) bool { return n.b.Supports(t) }
func (n npuBackend) Close() error                 { return n.b.Close() }
func (n npuBackend) Upload(name string, t kernels.Type, rows, cols int, data []byte) (Matrix, error) {
	m, err := n.b.Upload(name, t, rows, cols, data)
	if err != nil {
		return nil, err
	}
	return m, nil
}
