//go:build linux && (amd64 || arm64)

package vulkan

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/baylingd/baylingd/kernels"
)

const validationLayer = "VK_LAYER_KHRONOS_validation"
const debugUtilsExt = "VK_EXT_debug_utils"

// Backend is one Vulkan device with a compute queue. All its methods and
// the methods of its matrices may be called from any goroutine: they are
// serialized by one mutex, because the queue, the command buffer and the
// activation buffers are shared (a GPU runs one matmul at a time anyway).
type Backend struct {
	mu  sync.Mutex
	cfg Config
	lib *library

	inst      vkInstance
	ifn       *instanceFuncs
	messenger uint64
	cbID      uintptr
	validate  bool

	phys        vkPhysicalDevice
	info        DeviceInfo
	limits      vkPhysicalDeviceLimits
	memProps    vkPhysicalDeviceMemoryProperties
	queueFamily uint32
	tsBits      uint32 // timestampValidBits of the queue family

	dev   vkDevice
	d     *deviceFuncs
	queue vkQueue

	setLayout  uint64
	pipeLayout uint64
	pipelines  map[kernels.Type]uint64
	cmdPool    uint64
	cmd        vkCommandBuffer
	fence      uint64
	queryPool  uint64

	maxRange   uint64 // largest storage buffer binding, after Config.MaxBufferBytes
	xbuf, obuf *buffer
	scratchGen uint64 // bumped whenever xbuf or obuf is replaced
	staging    *buffer

	matrices map[*Matrix]struct{}
	closed   bool
	broken   error // a timeout or lost device: the backend refuses work
}

// Open creates a Vulkan instance, picks a device (see Config.Device) and
// sets up a compute queue. Its error satisfies IsUnavailable when there is
// no loader, no driver or no usable device.
func Open(cfg Config) (*Backend, error) {
	if cfg.Library == "" {
		cfg.Library = "libvulkan.so.1"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.StagingBytes <= 0 {
		cfg.StagingBytes = 16 << 20
	}
	cfg.StagingBytes = (cfg.StagingBytes + 3) &^ 3
	if cfg.Device == "" {
		cfg.Device = strings.TrimSpace(os.Getenv(EnvDevice))
	}
	lib, err := loadLibrary(cfg.Library)
	if err != nil {
		return nil, err
	}
	b := &Backend{cfg: cfg, lib: lib, pipelines: map[kernels.Type]uint64{}, matrices: map[*Matrix]struct{}{}}
	if err := b.createInstance(); err != nil {
		b.destroy()
		return nil, err
	}
	if err := b.pickDevice(); err != nil {
		b.destroy()
		return nil, err
	}
	if err := b.createDevice(); err != nil {
		b.destroy()
		return nil, err
	}
	return b, nil
}

// Devices lists the physical devices the loader reports, usable or not,
// for `bayling info` and for choosing Config.Device.
func Devices(cfg Config) ([]DeviceInfo, error) {
	if cfg.Library == "" {
		cfg.Library = "libvulkan.so.1"
	}
	lib, err := loadLibrary(cfg.Library)
	if err != nil {
		return nil, err
	}
	cfg.Validation = false
	b := &Backend{cfg: cfg, lib: lib}
	defer b.destroy()
	if err := b.createInstance(); err != nil {
		return nil, err
	}
	devs, _, err := b.enumerate()
	return devs, err
}

// Name is "vulkan:<device name>".
func (b *Backend) Name() string { return "vulkan:" + b.info.Name }

// Device describes the device in use.
func (b *Backend) Device() DeviceInfo { return b.info }

// ValidationEnabled reports whether the Khronos validation layer and a
// debug messenger are active (Config.Validation and the layer installed).
func (b *Backend) ValidationEnabled() bool { return b.validate }

// Supports reports whether Upload accepts weights of type t.
func (b *Backend) Supports(t kernels.Type) bool {
	_, ok := shaderFor(t)
	return ok
}

// Close waits for the device, frees every matrix still alive and destroys
// the device and instance. Calling it again does nothing.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.dev != 0 {
		b.d.deviceWaitIdle.call(uintptr(b.dev))
	}
	for m := range b.matrices {
		m.freeLocked()
	}
	b.destroy()
	return nil
}

// destroy releases whatever was created, in reverse order; it tolerates a
// partly built backend so that Open can call it on any failure.
func (b *Backend) destroy() {
	if b.dev != 0 {
		d, dev := b.d, uintptr(b.dev)
		for _, p := range b.pipelines {
			d.destroyPipeline.callv(dev, uintptr(p), 0)
		}
		b.pipelines = nil
		b.freeBuffer(b.xbuf)
		b.freeBuffer(b.obuf)
		b.freeBuffer(b.staging)
		b.xbuf, b.obuf, b.staging = nil, nil, nil
		if b.queryPool != 0 {
			d.destroyQueryPool.callv(dev, uintptr(b.queryPool), 0)
		}
		if b.fence != 0 {
			d.destroyFence.callv(dev, uintptr(b.fence), 0)
		}
		if b.cmdPool != 0 { // frees b.cmd too
			d.destroyCommandPool.callv(dev, uintptr(b.cmdPool), 0)
		}
		if b.pipeLayout != 0 {
			d.destroyPipelineLayout.callv(dev, uintptr(b.pipeLayout), 0)
		}
		if b.setLayout != 0 {
			d.destroyDescriptorSetLayout.callv(dev, uintptr(b.setLayout), 0)
		}
		d.destroyDevice.callv(dev, 0)
		b.dev = 0
	}
	if b.inst != 0 {
		if b.messenger != 0 {
			b.ifn.destroyDebugUtilsMessengerEXT.callv(uintptr(b.inst), uintptr(b.messenger), 0)
			b.messenger = 0
		}
		b.ifn.destroyInstance.callv(uintptr(b.inst), 0)
		b.inst = 0
	}
	if b.cbID != 0 {
		unregisterMessages(b.cbID)
		b.cbID = 0
	}
}

func (b *Backend) createInstance() error {
	l := b.lib
	version := uint32(vkMakeAPIVersion(1, 0))
	if l.enumInstanceVersn != 0 {
		var a arena
		v := new(uint32)
		if l.enumInstanceVersn.call(u(ptr(&a, v))) == vkSuccess {
			version = *v
		}
		a.free()
	}
	if version < vkAPIVersion11 {
		return unavailable("the Vulkan loader supports only %s; 1.1 is required", vkVersionString(version))
	}

	var layers, exts []string
	if b.cfg.Validation && b.hasLayer(validationLayer) && (b.hasExtension("", debugUtilsExt) || b.hasExtension(validationLayer, debugUtilsExt)) {
		layers = append(layers, validationLayer)
		exts = append(exts, debugUtilsExt)
		b.validate = true
	}

	var a arena
	defer a.free()
	app := &vkApplicationInfo{
		sType:            vkStructureTypeApplicationInfo,
		pApplicationName: a.str("baylingd"),
		pEngineName:      a.str("baylingd-accel"),
		apiVersion:       vkAPIVersion11,
	}
	ci := &vkInstanceCreateInfo{
		sType:                   vkStructureTypeInstanceCreateInfo,
		pApplicationInfo:        ptr(&a, app),
		enabledLayerCount:       uint32(len(layers)),
		ppEnabledLayerNames:     a.strs(layers),
		enabledExtensionCount:   uint32(len(exts)),
		ppEnabledExtensionNames: a.strs(exts),
	}
	var dci *vkDebugUtilsMessengerCreateInfoEXT
	if b.validate {
		b.cbID = registerMessages(b.cfg.OnMessage)
		dci = &vkDebugUtilsMessengerCreateInfoEXT{
			sType:           vkStructureTypeDebugUtilsMessengerCreateInfo,
			messageSeverity: vkDebugSeverityWarning | vkDebugSeverityError,
			messageType:     vkDebugTypeGeneral | vkDebugTypeValidation | vkDebugTypePerformance,
			pfnUserCallback: debugCallback(),
			// An integer id, never a Go pointer: the callback looks
			// the receiver up in a table (see messages.go).
			pUserData: b.cbID,
		}
		// Chained into vkCreateInstance so that messages from instance
		// creation and destruction are reported too.
		ci.pNext = ptr(&a, dci)
	}
	inst := new(vkInstance)
	res := l.createInstance.call(u(ptr(&a, ci)), 0, u(ptr(&a, inst)))
	if res != vkSuccess {
		if res == vkErrorIncompatibleDriver || res == vkErrorInitFailed {
			return unavailable("vkCreateInstance: %s (no Vulkan driver installed?)", resultName(res))
		}
		return check("vkCreateInstance", res)
	}
	b.inst = *inst
	ifn, err := l.loadInstanceFuncs(b.inst)
	if err != nil {
		return err
	}
	b.ifn = ifn
	if b.validate {
		if ifn.createDebugUtilsMessengerEXT == 0 {
			return errors.New("vulkan: validation requested but vkCreateDebugUtilsMessengerEXT is missing")
		}
		m := new(uint64)
		if err := check("vkCreateDebugUtilsMessengerEXT", ifn.createDebugUtilsMessengerEXT.call(uintptr(b.inst), u(ptr(&a, dci)), 0, u(ptr(&a, m)))); err != nil {
			return err
		}
		b.messenger = *m
	}
	return nil
}

func (b *Backend) hasLayer(name string) bool {
	var a arena
	defer a.free()
	n := new(uint32)
	if b.lib.enumLayers.call(u(ptr(&a, n)), 0) != vkSuccess || *n == 0 {
		return false
	}
	props := make([]vkLayerProperties, *n)
	res := b.lib.enumLayers.call(u(ptr(&a, n)), u(slice(&a, props)))
	if res != vkSuccess && res != vkIncomplete {
		return false
	}
	for _, p := range props[:*n] {
		if fixedString(p.layerName[:]) == name {
			return true
		}
	}
	return false
}

func (b *Backend) hasExtension(layer, name string) bool {
	var a arena
	defer a.free()
	var lp unsafe.Pointer
	if layer != "" {
		lp = a.str(layer)
	}
	n := new(uint32)
	if b.lib.enumExtensions.call(u(lp), u(ptr(&a, n)), 0) != vkSuccess || *n == 0 {
		return false
	}
	props := make([]vkExtensionProperties, *n)
	res := b.lib.enumExtensions.call(u(lp), u(ptr(&a, n)), u(slice(&a, props)))
	if res != vkSuccess && res != vkIncomplete {
		return false
	}
	for _, p := range props[:*n] {
		if fixedString(p.extensionName[:]) == name {
			return true
		}
	}
	return false
}

// enumerate lists the physical devices with their handles.
func (b *Backend) enumerate() ([]DeviceInfo, []vkPhysicalDevice, error) {
	var a arena
	defer a.free()
	n := new(uint32)
	if err := check("vkEnumeratePhysicalDevices", b.ifn.enumeratePhysicalDevices.call(uintptr(b.inst), u(ptr(&a, n)), 0)); err != nil {
		return nil, nil, err
	}
	if *n == 0 {
		return nil, nil, nil
	}
	handles := make([]vkPhysicalDevice, *n)
	res := b.ifn.enumeratePhysicalDevices.call(uintptr(b.inst), u(ptr(&a, n)), u(slice(&a, handles)))
	if res != vkSuccess && res != vkIncomplete {
		return nil, nil, check("vkEnumeratePhysicalDevices", res)
	}
	handles = handles[:*n]
	infos := make([]DeviceInfo, len(handles))
	for i, h := range handles {
		props := new(vkPhysicalDeviceProperties)
		b.ifn.getPhysicalDeviceProperties.callv(uintptr(h), u(ptr(&a, props)))
		info := DeviceInfo{
			Index:         i,
			Name:          fixedString(props.deviceName[:]),
			Type:          deviceTypeName(props.deviceType),
			APIVersion:    vkVersionString(props.apiVersion),
			VendorID:      props.vendorID,
			DeviceID:      props.deviceID,
			DriverVersion: props.driverVersion,
			Usable:        true,
		}
		if props.apiVersion < vkAPIVersion11 {
			info.Usable, info.Reason = false, "supports only Vulkan "+info.APIVersion
		} else if _, _, ok := b.computeFamily(h); !ok {
			info.Usable, info.Reason = false, "has no compute queue"
		}
		infos[i] = info
	}
	return infos, handles, nil
}

// computeFamily picks the queue family to use on device h: one with
// compute, preferring one with timestamps and then a compute-only family
// (async compute queues on discrete GPUs do not compete with graphics).
func (b *Backend) computeFamily(h vkPhysicalDevice) (family, tsBits uint32, ok bool) {
	var a arena
	defer a.free()
	n := new(uint32)
	b.ifn.getPhysicalDeviceQueueFamilyProps.callv(uintptr(h), u(ptr(&a, n)), 0)
	if *n == 0 {
		return 0, 0, false
	}
	fams := make([]vkQueueFamilyProperties, *n)
	b.ifn.getPhysicalDeviceQueueFamilyProps.callv(uintptr(h), u(ptr(&a, n)), u(slice(&a, fams)))
	best := -1
	for i, f := range fams[:*n] {
		if f.queueFlags&vkQueueComputeBit == 0 || f.queueCount == 0 {
			continue
		}
		score := 0
		if f.timestampValidBits > 0 {
			score += 2
		}
		if f.queueFlags&vkQueueGraphicsBit == 0 {
			score++
		}
		if best < 0 || score > best {
			best, family, tsBits = score, uint32(i), f.timestampValidBits
		}
	}
	return family, tsBits, best >= 0
}

func deviceTypeName(t uint32) string {
	switch t {
	case vkPhysicalDeviceTypeDiscreteGPU:
		return "discrete"
	case vkPhysicalDeviceTypeIntegratedGPU:
		return "integrated"
	case vkPhysicalDeviceTypeVirtualGPU:
		return "virtual"
	case vkPhysicalDeviceTypeCPU:
		return "cpu"
	}
	return "other"
}

func deviceTypeRank(t string) int {
	switch t {
	case "discrete":
		return 4
	case "integrated":
		return 3
	case "virtual":
		return 2
	case "other":
		return 1
	}
	return 0 // cpu: lavapipe and friends lose to the CPU kernels
}

func (b *Backend) pickDevice() error {
	infos, handles, err := b.enumerate()
	if err != nil {
		return err
	}
	if len(infos) == 0 {
		return unavailable("the Vulkan loader reports no device (no driver installed?)")
	}
	list := func() string {
		var s []string
		for _, d := range infos {
			e := fmt.Sprintf("%d: %s (%s)", d.Index, d.Name, d.Type)
			if !d.Usable {
				e += " unusable: " + d.Reason
			}
			s = append(s, e)
		}
		return strings.Join(s, "; ")
	}
	pick := -1
	if want := b.cfg.Device; want != "" {
		if i, err := strconv.Atoi(want); err == nil {
			if i < 0 || i >= len(infos) {
				return unavailable("device %d requested, but the devices are: %s", i, list())
			}
			pick = i
		} else {
			for i, d := range infos {
				if strings.Contains(strings.ToLower(d.Name), strings.ToLower(want)) {
					pick = i
					break
				}
			}
			if pick < 0 {
				return unavailable("no device matches %q; the devices are: %s", want, list())
			}
		}
		if !infos[pick].Usable {
			return unavailable("device %d (%s) %s", pick, infos[pick].Name, infos[pick].Reason)
		}
	} else {
		for i, d := range infos {
			if d.Usable && (pick < 0 || deviceTypeRank(d.Type) > deviceTypeRank(infos[pick].Type)) {
				pick = i
			}
		}
		if pick < 0 {
			return unavailable("no usable device: %s", list())
		}
	}
	b.phys = handles[pick]
	b.info = infos[pick]

	var a arena
	defer a.free()
	props := new(vkPhysicalDeviceProperties)
	b.ifn.getPhysicalDeviceProperties.callv(uintptr(b.phys), u(ptr(&a, props)))
	b.limits = props.limits
	mp := new(vkPhysicalDeviceMemoryProperties)
	b.ifn.getPhysicalDeviceMemoryProperties.callv(uintptr(b.phys), u(ptr(&a, mp)))
	b.memProps = *mp
	b.queueFamily, b.tsBits, _ = b.computeFamily(b.phys)

	b.maxRange = uint64(b.limits.maxStorageBufferRange)
	if b.maxRange > 1<<30 {
		b.maxRange = 1 << 30
	}
	if m := b.cfg.MaxBufferBytes; m > 0 && uint64(m) < b.maxRange {
		b.maxRange = uint64(m)
	}
	b.maxRange &^= 3
	if b.maxRange < 256 {
		return fmt.Errorf("vulkan: storage buffer limit of %d bytes is too small", b.maxRange)
	}
	return nil
}

func (b *Backend) createDevice() error {
	var a arena
	defer a.free()
	prio := []float32{1}
	qci := &vkDeviceQueueCreateInfo{
		sType:            vkStructureTypeDeviceQueueCreateInfo,
		queueFamilyIndex: b.queueFamily,
		queueCount:       1,
		pQueuePriorities: slice(&a, prio),
	}
	dci := &vkDeviceCreateInfo{
		sType:                vkStructureTypeDeviceCreateInfo,
		queueCreateInfoCount: 1,
		pQueueCreateInfos:    ptr(&a, qci),
	}
	dev := new(vkDevice)
	if err := check("vkCreateDevice", b.ifn.createDevice.call(uintptr(b.phys), u(ptr(&a, dci)), 0, u(ptr(&a, dev)))); err != nil {
		return err
	}
	b.dev = *dev
	d, err := loadDeviceFuncs(b.ifn.getDeviceProcAddr, b.dev)
	if err != nil {
		// The device exists but cannot be destroyed without its
		// functions; look vkDestroyDevice up alone.
		b.d = &deviceFuncs{}
		if p := b.deviceProc("vkDestroyDevice"); p != 0 {
			fn(p).callv(uintptr(b.dev), 0)
		}
		b.dev = 0
		return err
	}
	b.d = d
	dev2 := uintptr(b.dev)
	q := new(vkQueue)
	d.getDeviceQueue.callv(dev2, uintptr(b.queueFamily), 0, u(ptr(&a, q)))
	b.queue = *q

	// One descriptor set layout for every shader: weights, activations,
	// output, all storage buffers.
	bindings := make([]vkDescriptorSetLayoutBinding, 3)
	for i := range bindings {
		bindings[i] = vkDescriptorSetLayoutBinding{binding: uint32(i), descriptorType: vkDescriptorTypeStorageBuffer, descriptorCount: 1, stageFlags: vkShaderStageCompute}
	}
	slci := &vkDescriptorSetLayoutCreateInfo{sType: vkStructureTypeDescriptorSetLayoutCreateInfo, bindingCount: 3, pBindings: slice(&a, bindings)}
	sl := new(uint64)
	if err := check("vkCreateDescriptorSetLayout", d.createDescriptorSetLayout.call(dev2, u(ptr(&a, slci)), 0, u(ptr(&a, sl)))); err != nil {
		return err
	}
	b.setLayout = *sl

	pcr := &vkPushConstantRange{stageFlags: vkShaderStageCompute, offset: 0, size: uint32(unsafe.Sizeof(pushConstants{}))}
	layouts := []uint64{b.setLayout}
	plci := &vkPipelineLayoutCreateInfo{
		sType:                  vkStructureTypePipelineLayoutCreateInfo,
		setLayoutCount:         1,
		pSetLayouts:            slice(&a, layouts),
		pushConstantRangeCount: 1,
		pPushConstantRanges:    ptr(&a, pcr),
	}
	pl := new(uint64)
	if err := check("vkCreatePipelineLayout", d.createPipelineLayout.call(dev2, u(ptr(&a, plci)), 0, u(ptr(&a, pl)))); err != nil {
		return err
	}
	b.pipeLayout = *pl

	cpci := &vkCommandPoolCreateInfo{sType: vkStructureTypeCommandPoolCreateInfo, flags: vkCommandPoolCreateResetCommandBuffer, queueFamilyIndex: b.queueFamily}
	cp := new(uint64)
	if err := check("vkCreateCommandPool", d.createCommandPool.call(dev2, u(ptr(&a, cpci)), 0, u(ptr(&a, cp)))); err != nil {
		return err
	}
	b.cmdPool = *cp
	cbai := &vkCommandBufferAllocateInfo{sType: vkStructureTypeCommandBufferAllocateInfo, commandPool: b.cmdPool, level: vkCommandBufferLevelPrimary, commandBufferCount: 1}
	cb := new(vkCommandBuffer)
	if err := check("vkAllocateCommandBuffers", d.allocateCommandBuffers.call(dev2, u(ptr(&a, cbai)), u(ptr(&a, cb)))); err != nil {
		return err
	}
	b.cmd = *cb

	fci := &vkFenceCreateInfo{sType: vkStructureTypeFenceCreateInfo}
	f := new(uint64)
	if err := check("vkCreateFence", d.createFence.call(dev2, u(ptr(&a, fci)), 0, u(ptr(&a, f)))); err != nil {
		return err
	}
	b.fence = *f

	if b.tsBits > 0 && b.limits.timestampPeriod > 0 {
		qpci := &vkQueryPoolCreateInfo{sType: vkStructureTypeQueryPoolCreateInfo, queryType: vkQueryTypeTimestamp, queryCount: 2}
		qp := new(uint64)
		if err := check("vkCreateQueryPool", d.createQueryPool.call(dev2, u(ptr(&a, qpci)), 0, u(ptr(&a, qp)))); err != nil {
			return err
		}
		b.queryPool = *qp
	}
	return nil
}

func (b *Backend) deviceProc(name string) uintptr {
	s := cstring(name)
	p, _, _ := purego.SyscallN(uintptr(b.ifn.getDeviceProcAddr), uintptr(b.dev), uintptr(unsafe.Pointer(&s[0])))
	return p
}

// usable returns the error that forbids new work, if any.
func (b *Backend) usable() error {
	if b.closed {
		return ErrClosed
	}
	return b.broken
}

// pipeline returns the compute pipeline for weight type t, creating it on
// first use. Creation compiles the shader in the driver (tens to hundreds
// of milliseconds), which is why it happens at upload, never in MatMul.
func (b *Backend) pipeline(t kernels.Type) (uint64, error) {
	if p, ok := b.pipelines[t]; ok {
		return p, nil
	}
	sh, ok := shaderFor(t)
	if !ok {
		return 0, fmt.Errorf("vulkan: no shader for weight type %v", t)
	}
	code, err := sh.words()
	if err != nil {
		return 0, err
	}
	var a arena
	defer a.free()
	d, dev := b.d, uintptr(b.dev)
	smci := &vkShaderModuleCreateInfo{sType: vkStructureTypeShaderModuleCreateInfo, codeSize: uintptr(len(code) * 4), pCode: slice(&a, code)}
	mod := new(uint64)
	if err := check("vkCreateShaderModule "+sh.name, d.createShaderModule.call(dev, u(ptr(&a, smci)), 0, u(ptr(&a, mod)))); err != nil {
		return 0, err
	}
	defer d.destroyShaderModule.callv(dev, uintptr(*mod), 0)
	cpci := &vkComputePipelineCreateInfo{
		sType: vkStructureTypeComputePipelineCreateInfo,
		stage: vkPipelineShaderStageCreateInfo{
			sType:  vkStructureTypePipelineShaderStageCreateInfo,
			stage:  vkShaderStageCompute,
			module: *mod,
			pName:  a.str("main"),
		},
		layout:            b.pipeLayout,
		basePipelineIndex: -1,
	}
	p := new(uint64)
	if err := check("vkCreateComputePipelines "+sh.name, d.createComputePipelines.call(dev, 0, 1, u(ptr(&a, cpci)), 0, u(ptr(&a, p)))); err != nil {
		return 0, err
	}
	b.pipelines[t] = *p
	return *p, nil
}

// buffer is a VkBuffer with its own VkDeviceMemory. One allocation per
// buffer is plenty here: a model has a few hundred weight tensors, far
// below maxMemoryAllocationCount (4096 at least).
type buffer struct {
	buf, mem uint64
	size     uint64
	flags    uint32         // property flags of the memory type
	mapped   unsafe.Pointer // persistently mapped, or nil
}

// newBuffer creates a buffer of size bytes in the first memory type that
// has all the property flags of one of prefs, tried in order; on an
// out-of-memory error the next preference is tried. When mapIt is set the
// memory must be host-visible and stays mapped.
func (b *Backend) newBuffer(size uint64, usage uint32, mapIt bool, prefs ...uint32) (*buffer, error) {
	var a arena
	defer a.free()
	d, dev := b.d, uintptr(b.dev)
	bci := &vkBufferCreateInfo{sType: vkStructureTypeBufferCreateInfo, size: size, usage: usage, sharingMode: vkSharingModeExclusive}
	h := new(uint64)
	if err := check("vkCreateBuffer", d.createBuffer.call(dev, u(ptr(&a, bci)), 0, u(ptr(&a, h)))); err != nil {
		return nil, err
	}
	bf := &buffer{buf: *h, size: size}
	req := new(vkMemoryRequirements)
	d.getBufferMemoryRequirements.callv(dev, uintptr(bf.buf), u(ptr(&a, req)))
	var lastErr error = fmt.Errorf("vulkan: no memory type for a buffer of %d bytes (type bits %#x)", size, req.memoryTypeBits)
	tried := map[uint32]bool{}
	for _, want := range prefs {
		for i := uint32(0); i < b.memProps.memoryTypeCount && i < 32; i++ {
			flags := b.memProps.memoryTypes[i].propertyFlags
			if req.memoryTypeBits&(1<<i) == 0 || flags&want != want || tried[i] {
				continue
			}
			if mapIt && flags&vkMemoryPropertyHostVisible == 0 {
				continue
			}
			tried[i] = true
			mai := &vkMemoryAllocateInfo{sType: vkStructureTypeMemoryAllocateInfo, allocationSize: req.size, memoryTypeIndex: i}
			m := new(uint64)
			res := d.allocateMemory.call(dev, u(ptr(&a, mai)), 0, u(ptr(&a, m)))
			if res == vkErrorOutOfDeviceMemory || res == vkErrorOutOfHostMemory {
				lastErr = check("vkAllocateMemory", res)
				continue
			}
			if err := check("vkAllocateMemory", res); err != nil {
				b.freeBuffer(bf)
				return nil, err
			}
			bf.mem, bf.flags = *m, flags
			if err := check("vkBindBufferMemory", d.bindBufferMemory.call(dev, uintptr(bf.buf), uintptr(bf.mem), 0)); err != nil {
				b.freeBuffer(bf)
				return nil, err
			}
			if mapIt {
				p := new(unsafe.Pointer)
				if err := check("vkMapMemory", d.mapMemory.call(dev, uintptr(bf.mem), 0, uintptr(size), 0, u(ptr(&a, p)))); err != nil {
					b.freeBuffer(bf)
					return nil, err
				}
				bf.mapped = *p
			}
			return bf, nil
		}
	}
	b.freeBuffer(bf)
	return nil, lastErr
}

func (b *Backend) freeBuffer(bf *buffer) {
	if bf == nil {
		return
	}
	d, dev := b.d, uintptr(b.dev)
	if bf.mapped != nil {
		d.unmapMemory.callv(dev, uintptr(bf.mem))
		bf.mapped = nil
	}
	if bf.buf != 0 {
		d.destroyBuffer.callv(dev, uintptr(bf.buf), 0)
		bf.buf = 0
	}
	if bf.mem != 0 {
		d.freeMemory.callv(dev, uintptr(bf.mem), 0)
		bf.mem = 0
	}
}

// bytes views the mapped memory of bf.
func (bf *buffer) bytes() []byte { return unsafe.Slice((*byte)(bf.mapped), bf.size) }

// floats views the mapped memory of bf as float32s.
func (bf *buffer) floats() []float32 { return unsafe.Slice((*float32)(bf.mapped), bf.size/4) }

const hostCoherent = vkMemoryPropertyHostVisible | vkMemoryPropertyHostCoherent

// ensureScratch makes the activation and output buffers at least xBytes
// and oBytes long. They only grow, rounded up to 1 MiB (but never past
// maxRange, the most one binding may cover), so a model settles on its
// largest shape after the first few calls.
func (b *Backend) ensureScratch(xBytes, oBytes uint64) error {
	grow := func(cur **buffer, need uint64, prefs ...uint32) error {
		if *cur != nil && (*cur).size >= need {
			return nil
		}
		size := (need + (1<<20 - 1)) &^ (1<<20 - 1)
		if size > b.maxRange {
			size = b.maxRange
		}
		if size < need {
			size = need
		}
		nb, err := b.newBuffer(size, vkBufferUsageStorageBuffer, true, prefs...)
		if err != nil {
			return err
		}
		b.freeBuffer(*cur)
		*cur = nb
		b.scratchGen++
		return nil
	}
	// Activations: device-local and host-visible where it exists (UMA,
	// resizable BAR), so the shader reads them at full speed.
	if err := grow(&b.xbuf, xBytes, hostCoherent|vkMemoryPropertyDeviceLocal, hostCoherent); err != nil {
		return err
	}
	// Results are read by the CPU: cached host memory reads fastest.
	return grow(&b.obuf, oBytes, hostCoherent|vkMemoryPropertyHostCached, hostCoherent)
}

// submit ends the command buffer, submits it, and waits for it.
func (b *Backend) submit() error {
	var a arena
	defer a.free()
	d, dev := b.d, uintptr(b.dev)
	if err := check("vkEndCommandBuffer", d.endCommandBuffer.call(uintptr(b.cmd))); err != nil {
		return err
	}
	cmds := []vkCommandBuffer{b.cmd}
	si := &vkSubmitInfo{sType: vkStructureTypeSubmitInfo, commandBufferCount: 1, pCommandBuffers: slice(&a, cmds)}
	if err := check("vkQueueSubmit", d.queueSubmit.call(uintptr(b.queue), 1, u(ptr(&a, si)), uintptr(b.fence))); err != nil {
		b.brokenBy(err)
		return err
	}
	fences := []uint64{b.fence}
	res := d.waitForFences.call(dev, 1, u(slice(&a, fences)), 1, uintptr(b.cfg.Timeout.Nanoseconds()))
	if res != vkSuccess {
		err := check("vkWaitForFences", res)
		b.brokenBy(err)
		return err
	}
	return check("vkResetFences", d.resetFences.call(dev, 1, u(slice(&a, fences))))
}

func (b *Backend) brokenBy(err error) {
	if b.broken == nil {
		b.broken = fmt.Errorf("vulkan: device unusable after an earlier failure: %w", err)
	}
}

// begin resets and begins the command buffer for one submission.
func (b *Backend) begin() error {
	var a arena
	defer a.free()
	if err := check("vkResetCommandBuffer", b.d.resetCommandBuffer.call(uintptr(b.cmd), 0)); err != nil {
		return err
	}
	bi := &vkCommandBufferBeginInfo{sType: vkStructureTypeCommandBufferBeginInfo, flags: vkCommandBufferUsageOneTimeSubmit}
	return check("vkBeginCommandBuffer", b.d.beginCommandBuffer.call(uintptr(b.cmd), u(ptr(&a, bi))))
}

// barrier records a global memory barrier.
func (b *Backend) barrier(srcStage, dstStage, srcAccess, dstAccess uint32) {
	var a arena
	defer a.free()
	mb := &vkMemoryBarrier{sType: vkStructureTypeMemoryBarrier, srcAccessMask: srcAccess, dstAccessMask: dstAccess}
	b.d.cmdPipelineBarrier.callv(uintptr(b.cmd), uintptr(srcStage), uintptr(dstStage), 0, 1, u(ptr(&a, mb)), 0, 0, 0, 0)
}

// kernelTime reads the two timestamps of the last submission.
func (b *Backend) kernelTime() time.Duration {
	if b.queryPool == 0 {
		return 0
	}
	var a arena
	defer a.free()
	ts := make([]uint64, 2)
	res := b.d.getQueryPoolResults.call(uintptr(b.dev), uintptr(b.queryPool), 0, 2, 16, u(slice(&a, ts)), 8, vkQueryResult64|vkQueryResultWait)
	if res != vkSuccess {
		return 0
	}
	mask := uint64(math.MaxUint64)
	if b.tsBits < 64 {
		mask = 1<<b.tsBits - 1
	}
	ticks := (ts[1] - ts[0]) & mask
	return time.Duration(float64(ticks) * float64(b.limits.timestampPeriod))
}
