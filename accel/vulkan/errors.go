package vulkan

import (
	"errors"
	"fmt"
)

// unavailableError says that Vulkan cannot be used on this machine: no
// loader, no driver, no suitable device. It is a fact to log, not a fault,
// and it is how accel.Open tells "fall back to the CPU" from "broken".
type unavailableError struct{ reason string }

func (e *unavailableError) Error() string     { return "vulkan unavailable: " + e.reason }
func (e *unavailableError) Unavailable() bool { return true }

func unavailable(format string, args ...any) error {
	return &unavailableError{reason: fmt.Sprintf(format, args...)}
}

// IsUnavailable reports whether err says that Vulkan (the loader, a
// driver or the requested device) is missing, as opposed to a failure of a
// backend that exists.
func IsUnavailable(err error) bool {
	var u *unavailableError
	return errors.As(err, &u)
}

// ErrClosed is returned by calls on a closed Backend or a freed Matrix.
var ErrClosed = errors.New("vulkan: backend closed or matrix freed")
