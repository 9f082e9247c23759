//go:build linux && (amd64 || arm64)

package vulkan

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/baylingd/baylingd/accel/internal/libcache"
	"github.com/ebitengine/purego"
)

// fn is the address of one Vulkan entry point. Every Vulkan command the
// backend calls takes only integer and pointer arguments (handles, sizes,
// flags, pointers to structs), so purego.SyscallN can call all of them
// without reflection; SyscallN is go:uintptrescapes, so a Go pointer turned
// into a uintptr in its argument list stays alive and in place for the call.
type fn uintptr

// call calls a command that returns VkResult.
func (f fn) call(args ...uintptr) int32 {
	r, _, _ := purego.SyscallN(uintptr(f), args...)
	return int32(r)
}

// callv calls a command that returns void.
func (f fn) callv(args ...uintptr) {
	purego.SyscallN(uintptr(f), args...)
}

// library is libvulkan opened once per path for the life of the process.
// The loader and the ICDs it pulls in (Mesa's among them) register atexit
// handlers and keep thread-local state, so unloading and reloading them
// with every backend is a source of crashes for no gain; the handle is
// cached and never closed.
type library struct {
	handle            uintptr
	getInstanceProc   fn // vkGetInstanceProcAddr
	createInstance    fn
	enumLayers        fn
	enumExtensions    fn
	enumInstanceVersn fn
}

// libraries opens each library path once per process.
var libraries = libcache.New(openLibrary)

func loadLibrary(path string) (*library, error) { return libraries.Load(path) }

func openLibrary(path string) (*library, error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, unavailable("cannot load the Vulkan loader %s: %v (install libvulkan1 and a driver)", path, err)
	}
	sym, err := purego.Dlsym(h, "vkGetInstanceProcAddr")
	if err != nil || sym == 0 {
		return nil, unavailable("%s has no vkGetInstanceProcAddr: %v", path, err)
	}
	l := &library{handle: h, getInstanceProc: fn(sym)}
	// The global commands are looked up with a NULL instance, as the loader
	// interface requires.
	l.createInstance = l.instanceProc(0, "vkCreateInstance")
	l.enumLayers = l.instanceProc(0, "vkEnumerateInstanceLayerProperties")
	l.enumExtensions = l.instanceProc(0, "vkEnumerateInstanceExtensionProperties")
	l.enumInstanceVersn = l.instanceProc(0, "vkEnumerateInstanceVersion")
	if l.createInstance == 0 || l.enumLayers == 0 || l.enumExtensions == 0 {
		return nil, unavailable("%s does not export the Vulkan 1.0 global commands", path)
	}
	return l, nil
}

// instanceProc returns vkGetInstanceProcAddr(instance, name), 0 if absent.
func (l *library) instanceProc(instance vkInstance, name string) fn {
	b := cstring(name)
	r, _, _ := purego.SyscallN(uintptr(l.getInstanceProc), uintptr(instance), uintptr(unsafe.Pointer(&b[0])))
	runtime.KeepAlive(b)
	return fn(r)
}

// instanceFuncs are the instance-level commands, resolved through
// vkGetInstanceProcAddr so that they go through the loader's trampolines
// to the right driver.
type instanceFuncs struct {
	destroyInstance                   fn
	enumeratePhysicalDevices          fn
	getPhysicalDeviceProperties       fn
	getPhysicalDeviceQueueFamilyProps fn
	getPhysicalDeviceMemoryProperties fn
	createDevice                      fn
	getDeviceProcAddr                 fn
	createDebugUtilsMessengerEXT      fn // optional
	destroyDebugUtilsMessengerEXT     fn // optional
}

func (l *library) loadInstanceFuncs(inst vkInstance) (*instanceFuncs, error) {
	f := &instanceFuncs{}
	req := []struct {
		p    *fn
		name string
	}{
		{&f.destroyInstance, "vkDestroyInstance"},
		{&f.enumeratePhysicalDevices, "vkEnumeratePhysicalDevices"},
		{&f.getPhysicalDeviceProperties, "vkGetPhysicalDeviceProperties"},
		{&f.getPhysicalDeviceQueueFamilyProps, "vkGetPhysicalDeviceQueueFamilyProperties"},
		{&f.getPhysicalDeviceMemoryProperties, "vkGetPhysicalDeviceMemoryProperties"},
		{&f.createDevice, "vkCreateDevice"},
		{&f.getDeviceProcAddr, "vkGetDeviceProcAddr"},
	}
	for _, r := range req {
		if *r.p = l.instanceProc(inst, r.name); *r.p == 0 {
			return nil, fmt.Errorf("vulkan: the loader has no %s", r.name)
		}
	}
	f.createDebugUtilsMessengerEXT = l.instanceProc(inst, "vkCreateDebugUtilsMessengerEXT")
	f.destroyDebugUtilsMessengerEXT = l.instanceProc(inst, "vkDestroyDebugUtilsMessengerEXT")
	return f, nil
}

// deviceFuncs are the device-level commands, resolved with
// vkGetDeviceProcAddr to skip the loader's dispatch on every call.
type deviceFuncs struct {
	destroyDevice               fn
	getDeviceQueue              fn
	deviceWaitIdle              fn
	createBuffer                fn
	destroyBuffer               fn
	getBufferMemoryRequirements fn
	allocateMemory              fn
	freeMemory                  fn
	bindBufferMemory            fn
	mapMemory                   fn
	unmapMemory                 fn
	createDescriptorSetLayout   fn
	destroyDescriptorSetLayout  fn
	createDescriptorPool        fn
	destroyDescriptorPool       fn
	allocateDescriptorSets      fn
	updateDescriptorSets        fn
	createPipelineLayout        fn
	destroyPipelineLayout       fn
	createShaderModule          fn
	destroyShaderModule         fn
	createComputePipelines      fn
	destroyPipeline             fn
	createCommandPool           fn
	destroyCommandPool          fn
	allocateCommandBuffers      fn
	beginCommandBuffer          fn
	endCommandBuffer            fn
	resetCommandBuffer          fn
	cmdBindPipeline             fn
	cmdBindDescriptorSets       fn
	cmdPushConstants            fn
	cmdDispatch                 fn
	cmdCopyBuffer               fn
	cmdPipelineBarrier          fn
	cmdResetQueryPool           fn
	cmdWriteTimestamp           fn
	createQueryPool             fn
	destroyQueryPool            fn
	getQueryPoolResults         fn
	createFence                 fn
	destroyFence                fn
	resetFences                 fn
	waitForFences               fn
	queueSubmit                 fn
}

func loadDeviceFuncs(getDeviceProcAddr fn, dev vkDevice) (*deviceFuncs, error) {
	f := &deviceFuncs{}
	req := []struct {
		p    *fn
		name string
	}{
		{&f.destroyDevice, "vkDestroyDevice"},
		{&f.getDeviceQueue, "vkGetDeviceQueue"},
		{&f.deviceWaitIdle, "vkDeviceWaitIdle"},
		{&f.createBuffer, "vkCreateBuffer"},
		{&f.destroyBuffer, "vkDestroyBuffer"},
		{&f.getBufferMemoryRequirements, "vkGetBufferMemoryRequirements"},
		{&f.allocateMemory, "vkAllocateMemory"},
		{&f.freeMemory, "vkFreeMemory"},
		{&f.bindBufferMemory, "vkBindBufferMemory"},
		{&f.mapMemory, "vkMapMemory"},
		{&f.unmapMemory, "vkUnmapMemory"},
		{&f.createDescriptorSetLayout, "vkCreateDescriptorSetLayout"},
		{&f.destroyDescriptorSetLayout, "vkDestroyDescriptorSetLayout"},
		{&f.createDescriptorPool, "vkCreateDescriptorPool"},
		{&f.destroyDescriptorPool, "vkDestroyDescriptorPool"},
		{&f.allocateDescriptorSets, "vkAllocateDescriptorSets"},
		{&f.updateDescriptorSets, "vkUpdateDescriptorSets"},
		{&f.createPipelineLayout, "vkCreatePipelineLayout"},
		{&f.destroyPipelineLayout, "vkDestroyPipelineLayout"},
		{&f.createShaderModule, "vkCreateShaderModule"},
		{&f.destroyShaderModule, "vkDestroyShaderModule"},
		{&f.createComputePipelines, "vkCreateComputePipelines"},
		{&f.destroyPipeline, "vkDestroyPipeline"},
		{&f.createCommandPool, "vkCreateCommandPool"},
		{&f.destroyCommandPool, "vkDestroyCommandPool"},
		{&f.allocateCommandBuffers, "vkAllocateCommandBuffers"},
		{&f.beginCommandBuffer, "vkBeginCommandBuffer"},
		{&f.endCommandBuffer, "vkEndCommandBuffer"},
		{&f.resetCommandBuffer, "vkResetCommandBuffer"},
		{&f.cmdBindPipeline, "vkCmdBindPipeline"},
		{&f.cmdBindDescriptorSets, "vkCmdBindDescriptorSets"},
		{&f.cmdPushConstants, "vkCmdPushConstants"},
		{&f.cmdDispatch, "vkCmdDispatch"},
		{&f.cmdCopyBuffer, "vkCmdCopyBuffer"},
		{&f.cmdPipelineBarrier, "vkCmdPipelineBarrier"},
		{&f.cmdResetQueryPool, "vkCmdResetQueryPool"},
		{&f.cmdWriteTimestamp, "vkCmdWriteTimestamp"},
		{&f.createQueryPool, "vkCreateQueryPool"},
		{&f.destroyQueryPool, "vkDestroyQueryPool"},
		{&f.getQueryPoolResults, "vkGetQueryPoolResults"},
		{&f.createFence, "vkCreateFence"},
		{&f.destroyFence, "vkDestroyFence"},
		{&f.resetFences, "vkResetFences"},
		{&f.waitForFences, "vkWaitForFences"},
		{&f.queueSubmit, "vkQueueSubmit"},
	}
	for _, r := range req {
		b := cstring(r.name)
		p, _, _ := purego.SyscallN(uintptr(getDeviceProcAddr), uintptr(dev), uintptr(unsafe.Pointer(&b[0])))
		if p == 0 {
			return nil, fmt.Errorf("vulkan: the driver has no %s", r.name)
		}
		*r.p = fn(p)
	}
	return f, nil
}

// arena pins the Go memory that one Vulkan call reads through pointers
// (create-info structs, the arrays and strings they point to, out
// parameters), so that the garbage collector neither frees nor moves it
// while the driver holds the pointer; the same rule cgo imposes, applied
// with runtime.Pinner. A zero arena is ready; call free when the call has
// returned.
type arena struct{ p runtime.Pinner }

func (a *arena) free() { a.p.Unpin() }

// ptr pins *v and returns its address.
func ptr[T any](a *arena, v *T) unsafe.Pointer {
	a.p.Pin(v)
	return unsafe.Pointer(v)
}

// slice pins the backing array of s and returns the address of s[0], or
// nil for an empty slice.
func slice[T any](a *arena, s []T) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	a.p.Pin(&s[0])
	return unsafe.Pointer(&s[0])
}

// str returns a pinned NUL-terminated copy of s.
func (a *arena) str(s string) unsafe.Pointer {
	return slice(a, cstring(s))
}

// strs returns a pinned array of pinned C strings.
func (a *arena) strs(ss []string) unsafe.Pointer {
	if len(ss) == 0 {
		return nil
	}
	arr := make([]unsafe.Pointer, len(ss))
	for i, s := range ss {
		arr[i] = a.str(s)
	}
	return slice(a, arr)
}

func cstring(s string) []byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b
}

// gostring reads a NUL-terminated C string the driver owns.
func gostring(p unsafe.Pointer) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

// fixedString reads a NUL-padded char array of a struct.
func fixedString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// u is uintptr(p) for argument lists, kept short because every call has one.
func u(p unsafe.Pointer) uintptr { return uintptr(p) }
