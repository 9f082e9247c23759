//go:build linux && (amd64 || arm64)

package vulkan

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/baylingd/baylingd/internal/acceltest"
)

// layoutTypes are all the Go mirrors of Vulkan structs, each with the C
// size on LP64 (amd64 and arm64 agree) derived from the field list by the
// C alignment rules: the check that runs even where no C compiler is.
var layoutTypes = []struct {
	v    any
	size uintptr
}{
	{vkPhysicalDeviceLimits{}, 504},
	{vkPhysicalDeviceSparseProperties{}, 20},
	{vkApplicationInfo{}, 48},
	{vkInstanceCreateInfo{}, 64},
	{vkLayerProperties{}, 520},
	{vkExtensionProperties{}, 260},
	{vkPhysicalDeviceProperties{}, 824},
	{vkExtent3D{}, 12},
	{vkQueueFamilyProperties{}, 24},
	{vkMemoryType{}, 8},
	{vkMemoryHeap{}, 16},
	{vkPhysicalDeviceMemoryProperties{}, 520},
	{vkDeviceQueueCreateInfo{}, 40},
	{vkDeviceCreateInfo{}, 72},
	{vkBufferCreateInfo{}, 56},
	{vkMemoryRequirements{}, 24},
	{vkMemoryAllocateInfo{}, 32},
	{vkDescriptorSetLayoutBinding{}, 24},
	{vkDescriptorSetLayoutCreateInfo{}, 32},
	{vkDescriptorPoolSize{}, 8},
	{vkDescriptorPoolCreateInfo{}, 40},
	{vkDescriptorSetAllocateInfo{}, 40},
	{vkDescriptorBufferInfo{}, 24},
	{vkWriteDescriptorSet{}, 64},
	{vkPushConstantRange{}, 12},
	{vkPipelineLayoutCreateInfo{}, 48},
	{vkShaderModuleCreateInfo{}, 40},
	{vkPipelineShaderStageCreateInfo{}, 48},
	{vkComputePipelineCreateInfo{}, 96},
	{vkCommandPoolCreateInfo{}, 24},
	{vkCommandBufferAllocateInfo{}, 32},
	{vkCommandBufferBeginInfo{}, 32},
	{vkSubmitInfo{}, 72},
	{vkFenceCreateInfo{}, 24},
	{vkBufferCopy{}, 24},
	{vkMemoryBarrier{}, 24},
	{vkQueryPoolCreateInfo{}, 32},
	{vkDebugUtilsMessengerCreateInfoEXT{}, 48},
	{vkDebugUtilsMessengerCallbackDataEXT{}, 96},
}

// cName maps a Go mirror to its C name: vkFoo -> VkFoo, and field names
// that are Go keywords carry a trailing underscore.
func cName(goType string) string   { return "V" + goType[1:] }
func cField(goField string) string { return strings.TrimSuffix(goField, "_") }

func TestStructSizes(t *testing.T) {
	for _, l := range layoutTypes {
		typ := reflect.TypeOf(l.v)
		if typ.Size() != l.size {
			t.Errorf("%s: Go size %d, C size %d", cName(typ.Name()), typ.Size(), l.size)
		}
		// Explicit padding means Go adds none of its own: the fields and
		// _ fields tile the struct exactly.
		var end uintptr
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Offset != end {
				t.Errorf("%s.%s: implicit padding before offset %d (previous field ends at %d)", cName(typ.Name()), f.Name, f.Offset, end)
			}
			end = f.Offset + f.Type.Size()
		}
		if end != typ.Size() {
			t.Errorf("%s: implicit tail padding (%d of %d bytes)", cName(typ.Name()), end, typ.Size())
		}
	}
}

// TestStructLayoutMatchesC compiles a C program against the system Vulkan
// headers that prints sizeof, _Alignof and offsetof/sizeof of every field
// of every mirrored struct, and compares with the Go layout.
func TestStructLayoutMatchesC(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	header := "/usr/include/vulkan/vulkan_core.h"
	if _, herr := os.Stat(header); err != nil || herr != nil {
		if acceltest.CI() {
			t.Fatalf("gcc or %s missing under CI=true (apt: gcc libvulkan-dev): %v %v", header, err, herr)
		}
		t.Skipf("gcc or the Vulkan headers are missing (apt: gcc libvulkan-dev); only the ABI-derived sizes were checked")
	}
	var src bytes.Buffer
	src.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include <vulkan/vulkan.h>\nint main(void) {\n")
	want := map[string]string{}
	for _, l := range layoutTypes {
		typ := reflect.TypeOf(l.v)
		c := cName(typ.Name())
		fmt.Fprintf(&src, "printf(\"%s %%zu %%zu\\n\", sizeof(%s), _Alignof(%s));\n", c, c, c)
		want[c] = fmt.Sprintf("%d %d", typ.Size(), typ.Align())
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Name == "_" {
				continue
			}
			cf := c + "." + cField(f.Name)
			fmt.Fprintf(&src, "printf(\"%s %%zu %%zu\\n\", offsetof(%s, %s), sizeof(((%s*)0)->%s));\n", cf, c, cField(f.Name), c, cField(f.Name))
			want[cf] = fmt.Sprintf("%d %d", f.Offset, f.Type.Size())
		}
	}
	src.WriteString("return 0;\n}\n")
	dir := t.TempDir()
	cfile, exe := filepath.Join(dir, "layout.c"), filepath.Join(dir, "layout")
	if err := os.WriteFile(cfile, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-std=c11", "-o", exe, cfile).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	out, err := exec.Command(exe).Output()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		name, got, _ := strings.Cut(sc.Text(), " ")
		seen++
		if want[name] != got {
			t.Errorf("%s: C has offset/size (or size/align) %s, Go %s", name, got, want[name])
		}
	}
	if seen != len(want) {
		t.Errorf("C printed %d lines, want %d", seen, len(want))
	}
	t.Logf("checked %d structs, %d entries against gcc", len(layoutTypes), seen)
}
