package rknpu

import (
	"errors"
	"fmt"
	"os"
)

// Config tunes the NPU backend. The zero value uses the system's
// librknnrt.so with default settings.
type Config struct {
	// Library is the runtime to dlopen; "" means $BAYLING_RKNN_LIBRARY,
	// then "librknnrt.so". Tests point it at the ABI double built from
	// testdata/fake_rknnrt.c (the variable lets a whole engine run on it).
	Library string

	// CoreMask is rknn_core_mask: 0 lets the runtime pick (the default),
	// 1, 2, 4 select one RK3588 core, 3 cores 0 and 1, 7 all three,
	// 0xffff all the platform has.
	CoreMask uint32

	// BatchTile is M of the matmul contexts: activation rows per NPU run.
	// A batch is processed in tiles of this many rows, the last one padded
	// with zeros. 0 means 64.
	BatchTile int

	// MaxK is the largest K of one NPU context; longer rows are split
	// into chunks whose int32 results are summed on the CPU. 0 means 4096;
	// it must be a multiple of 32 and at most 4096, because RK3588 splits
	// the native layout of B into segments above K = 8192 and RK3576
	// above 4096, which this packer does not emit (the API's own limit is
	// 10240).
	MaxK int
}

// EnvLibrary names the runtime library when Config.Library is empty.
const EnvLibrary = "BAYLING_RKNN_LIBRARY"

const (
	defaultLibrary   = "librknnrt.so"
	defaultBatchTile = 64
	defaultMaxK      = 4096
)

func (c *Config) normalize() error {
	if c.Library == "" {
		c.Library = os.Getenv(EnvLibrary)
	}
	if c.Library == "" {
		c.Library = defaultLibrary
	}
	if c.BatchTile == 0 {
		c.BatchTile = defaultBatchTile
	}
	if c.BatchTile < 1 || c.BatchTile > 4096 {
		return fmt.Errorf("rknpu: BatchTile %d out of range [1, 4096]", c.BatchTile)
	}
	if c.MaxK == 0 {
		c.MaxK = defaultMaxK
	}
	if c.MaxK < 32 || c.MaxK > 4096 || c.MaxK%32 != 0 {
		return fmt.Errorf("rknpu: MaxK %d must be a multiple of 32 in [32, 4096]", c.MaxK)
	}
	switch c.CoreMask {
	case 0, 1, 2, 4, 3, 7, 0xffff:
	default:
		return fmt.Errorf("rknpu: CoreMask %#x is not an rknn_core_mask value", c.CoreMask)
	}
	return nil
}

// unavailableError says that the NPU cannot be used here: no librknnrt.so,
// a runtime without the matmul API, or no NPU device.
type unavailableError struct{ reason string }

func (e *unavailableError) Error() string     { return "rknpu unavailable: " + e.reason }
func (e *unavailableError) Unavailable() bool { return true }

func unavailable(format string, args ...any) error {
	return &unavailableError{reason: fmt.Sprintf(format, args...)}
}

// IsUnavailable reports whether err says the NPU runtime or device is
// missing, as opposed to a failure of one that exists.
func IsUnavailable(err error) bool {
	var u *unavailableError
	return errors.As(err, &u)
}

// ErrClosed is returned by calls on a closed Backend or a freed Matrix.
var ErrClosed = errors.New("rknpu: backend closed or matrix freed")

// Error is a failed RKNN call.
type Error struct {
	Op   string
	Code int32
}

func (e *Error) Error() string { return fmt.Sprintf("rknpu: %s: %s", e.Op, codeName(e.Code)) }

func codeName(c int32) string {
	switch c {
	case -1:
		return "RKNN_ERR_FAIL"
	case -2:
		return "RKNN_ERR_TIMEOUT"
	case -3:
		return "RKNN_ERR_DEVICE_UNAVAILABLE"
	case -4:
		return "RKNN_ERR_MALLOC_FAIL"
	case -5:
		return "RKNN_ERR_PARAM_INVALID"
	case -7:
		return "RKNN_ERR_CTX_INVALID"
	case -10:
		return "RKNN_ERR_DEVICE_UNMATCH"
	case -13:
		return "RKNN_ERR_TARGET_PLATFORM_UNMATCH"
	}
	return fmt.Sprintf("error %d", c)
}
