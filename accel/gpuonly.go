package accel

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// icdForKernelDriver maps a DRM kernel driver (the render node's
// device/driver) to the glob of the Mesa/vendor Vulkan driver manifest
// that drives it, for VK_LOADER_DRIVERS_SELECT.
var icdForKernelDriver = map[string]string{
	"v3d":        "*broadcom*", // Raspberry Pi 4/5 (v3dv)
	"vc4":        "*broadcom*",
	"panfrost":   "*panfrost*", // Mali (RK3588's G610 with Mesa >= 23.1: panvk)
	"panthor":    "*panfrost*",
	"i915":       "*intel*",
	"xe":         "*intel*",
	"amdgpu":     "*radeon*",
	"radeon":     "*radeon*",
	"nouveau":    "*nouveau*",
	"nvidia":     "*nvidia*",
	"msm":        "*freedreno*",
	"virtio_gpu": "*virtio*",
}

// sysDRM and devDRI are variables so tests can point them at fake trees.
var (
	sysDRM = "/sys/class/drm"
	devDRI = "/dev/dri"
)

// selectHardwareVulkan prepares the Vulkan loader for accel = "auto": it
// fails when the machine has no GPU render node (CPU drivers such as
// lavapipe emulate a GPU on the very cores the CPU kernels use, so they
// never win, and loading every installed driver costs tens of megabytes
// of resident memory on a board), and otherwise restricts the loader to
// the drivers of the GPUs present (VK_LOADER_DRIVERS_SELECT), unless the
// user chose drivers or a device already.
func selectHardwareVulkan() error {
	nodes, _ := filepath.Glob(filepath.Join(devDRI, "renderD*"))
	if len(nodes) == 0 {
		return &UnavailableError{Kind: "vulkan", Reason: "no GPU render node (" + devDRI + "/renderD*); CPU Vulkan drivers are not used by accel = \"auto\""}
	}
	for _, v := range []string{"VK_LOADER_DRIVERS_SELECT", "VK_LOADER_DRIVERS_DISABLE", "VK_DRIVER_FILES", "VK_ICD_FILENAMES", "BAYLING_VULKAN_DEVICE"} {
		if os.Getenv(v) != "" {
			return nil
		}
	}
	var globs []string
	for _, n := range nodes {
		link, err := os.Readlink(filepath.Join(sysDRM, filepath.Base(n), "device", "driver"))
		if err != nil {
			continue
		}
		if g, ok := icdForKernelDriver[filepath.Base(link)]; ok && !contains(globs, g) {
			globs = append(globs, g)
		}
	}
	if len(globs) == 0 {
		return nil // unknown GPU: let the loader try every driver
	}
	sort.Strings(globs)
	if err := os.Setenv("VK_LOADER_DRIVERS_SELECT", strings.Join(globs, ",")); err != nil {
		return fmt.Errorf("accel: selecting Vulkan drivers: %w", err)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
