//go:build linux && (amd64 || arm64)

package vulkan

import "strconv"

// resultError is a failed Vulkan command.
type resultError struct {
	op  string
	res int32
}

func (e *resultError) Error() string { return "vulkan: " + e.op + ": " + resultName(e.res) }

func check(op string, res int32) error {
	if res == 0 {
		return nil
	}
	return &resultError{op, res}
}

func resultName(r int32) string {
	switch r {
	case 0:
		return "VK_SUCCESS"
	case 1:
		return "VK_NOT_READY"
	case 2:
		return "VK_TIMEOUT"
	case 5:
		return "VK_INCOMPLETE"
	case -1:
		return "VK_ERROR_OUT_OF_HOST_MEMORY"
	case -2:
		return "VK_ERROR_OUT_OF_DEVICE_MEMORY"
	case -3:
		return "VK_ERROR_INITIALIZATION_FAILED"
	case -4:
		return "VK_ERROR_DEVICE_LOST"
	case -5:
		return "VK_ERROR_MEMORY_MAP_FAILED"
	case -6:
		return "VK_ERROR_LAYER_NOT_PRESENT"
	case -7:
		return "VK_ERROR_EXTENSION_NOT_PRESENT"
	case -8:
		return "VK_ERROR_FEATURE_NOT_PRESENT"
	case -9:
		return "VK_ERROR_INCOMPATIBLE_DRIVER"
	case -10:
		return "VK_ERROR_TOO_MANY_OBJECTS"
	case -12:
		return "VK_ERROR_FRAGMENTED_POOL"
	case -13:
		return "VK_ERROR_UNKNOWN"
	case -1000069000:
		return "VK_ERROR_OUT_OF_POOL_MEMORY"
	}
	return "VkResult(" + strconv.Itoa(int(r)) + ")"
}
