package accel

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestSelectHardwareVulkan: auto mode skips Vulkan without a GPU render
// node, and otherwise loads only the drivers of the GPUs present.
func TestSelectHardwareVulkan(t *testing.T) {
	for _, v := range []string{"VK_LOADER_DRIVERS_SELECT", "VK_LOADER_DRIVERS_DISABLE", "VK_DRIVER_FILES", "VK_ICD_FILENAMES", "BAYLING_VULKAN_DEVICE"} {
		t.Setenv(v, "")
	}
	root := t.TempDir()
	oldSys, oldDev := sysDRM, devDRI
	defer func() { sysDRM, devDRI = oldSys, oldDev }()
	sysDRM, devDRI = filepath.Join(root, "sys"), filepath.Join(root, "dev")
	os.MkdirAll(devDRI, 0o755)

	if err := selectHardwareVulkan(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("no render node: %v, want unavailable", err)
	}
	// A Pi 5: v3d on renderD128; plus an unknown driver on renderD129.
	for node, drv := range map[string]string{"renderD128": "v3d", "renderD129": "mystery"} {
		os.WriteFile(filepath.Join(devDRI, node), nil, 0o644)
		os.MkdirAll(filepath.Join(sysDRM, node, "device"), 0o755)
		os.Symlink(filepath.Join("/sys/bus/platform/drivers", drv), filepath.Join(sysDRM, node, "device", "driver"))
	}
	if err := selectHardwareVulkan(); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv("VK_LOADER_DRIVERS_SELECT"); got != "*broadcom*" {
		t.Errorf("VK_LOADER_DRIVERS_SELECT=%q, want *broadcom*", got)
	}
	// A user's own choice is left alone.
	t.Setenv("VK_LOADER_DRIVERS_SELECT", "")
	t.Setenv("BAYLING_VULKAN_DEVICE", "1")
	if err := selectHardwareVulkan(); err != nil || os.Getenv("VK_LOADER_DRIVERS_SELECT") != "" {
		t.Errorf("with BAYLING_VULKAN_DEVICE set: %v, select %q", err, os.Getenv("VK_LOADER_DRIVERS_SELECT"))
	}
}
