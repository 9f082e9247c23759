//go:build linux && (amd64 || arm64)

//lint:file-ignore U1000 the structs mirror C layouts: every field must exist, used or not

package vulkan

import "unsafe"

// This file mirrors the parts of vulkan_core.h (Vulkan 1.3.239 headers) that
// the backend uses. The structs are written out field by field with the
// padding a C compiler inserts on LP64 targets (amd64, arm64) made explicit
// as `_` fields, so that a reader can check them against the header without
// knowing Go's layout rules; Go would insert the same padding on these
// targets. Field names are the C member names, and type vkFoo is C VkFoo, so
// that layout_test.go can generate a C program that prints sizeof/offsetof
// for every field and compare. Pointer members are unsafe.Pointer: the
// memory they point to is either pinned Go memory (see arena) or memory the
// driver owns.
//
// Only 64-bit targets are built: on 32-bit ARM, C aligns uint64_t members
// to 8 bytes while Go aligns them to 4, and pointers shrink, so these
// definitions would be wrong there (stub.go reports the backend as
// unavailable instead).

// Handles. Dispatchable handles are pointers; non-dispatchable handles are
// 64-bit integers on every platform.
type (
	vkInstance       uintptr
	vkPhysicalDevice uintptr
	vkDevice         uintptr
	vkQueue          uintptr
	vkCommandBuffer  uintptr
)

const (
	vkSuccess    = 0
	vkIncomplete = 5

	vkErrorOutOfHostMemory    = -1
	vkErrorOutOfDeviceMemory  = -2
	vkErrorInitFailed         = -3
	vkErrorIncompatibleDriver = -9
)

// VkStructureType values.
const (
	vkStructureTypeApplicationInfo               = 0
	vkStructureTypeInstanceCreateInfo            = 1
	vkStructureTypeDeviceQueueCreateInfo         = 2
	vkStructureTypeDeviceCreateInfo              = 3
	vkStructureTypeSubmitInfo                    = 4
	vkStructureTypeMemoryAllocateInfo            = 5
	vkStructureTypeFenceCreateInfo               = 8
	vkStructureTypeQueryPoolCreateInfo           = 11
	vkStructureTypeBufferCreateInfo              = 12
	vkStructureTypeShaderModuleCreateInfo        = 16
	vkStructureTypePipelineShaderStageCreateInfo = 18
	vkStructureTypeComputePipelineCreateInfo     = 29
	vkStructureTypePipelineLayoutCreateInfo      = 30
	vkStructureTypeDescriptorSetLayoutCreateInfo = 32
	vkStructureTypeDescriptorPoolCreateInfo      = 33
	vkStructureTypeDescriptorSetAllocateInfo     = 34
	vkStructureTypeWriteDescriptorSet            = 35
	vkStructureTypeCommandPoolCreateInfo         = 39
	vkStructureTypeCommandBufferAllocateInfo     = 40
	vkStructureTypeCommandBufferBeginInfo        = 42
	vkStructureTypeMemoryBarrier                 = 46
	vkStructureTypeDebugUtilsMessengerCreateInfo = 1000128004
)

// Enums and flag bits.
const (
	vkPhysicalDeviceTypeIntegratedGPU = 1
	vkPhysicalDeviceTypeDiscreteGPU   = 2
	vkPhysicalDeviceTypeVirtualGPU    = 3
	vkPhysicalDeviceTypeCPU           = 4

	vkQueueGraphicsBit = 0x1
	vkQueueComputeBit  = 0x2

	vkMemoryPropertyDeviceLocal  = 0x1
	vkMemoryPropertyHostVisible  = 0x2
	vkMemoryPropertyHostCoherent = 0x4
	vkMemoryPropertyHostCached   = 0x8

	vkBufferUsageTransferSrc   = 0x1
	vkBufferUsageTransferDst   = 0x2
	vkBufferUsageStorageBuffer = 0x20

	vkSharingModeExclusive = 0

	vkDescriptorTypeStorageBuffer = 7
	vkShaderStageCompute          = 0x20
	vkPipelineBindPointCompute    = 1

	vkCommandPoolCreateResetCommandBuffer = 0x2
	vkCommandBufferLevelPrimary           = 0
	vkCommandBufferUsageOneTimeSubmit     = 0x1

	vkQueryTypeTimestamp = 2
	vkQueryResult64      = 0x1
	vkQueryResultWait    = 0x2

	vkPipelineStageTopOfPipe     = 0x1
	vkPipelineStageComputeShader = 0x800
	vkPipelineStageTransfer      = 0x1000
	vkPipelineStageBottomOfPipe  = 0x2000
	vkPipelineStageHost          = 0x4000

	vkAccessShaderRead    = 0x20
	vkAccessShaderWrite   = 0x40
	vkAccessTransferWrite = 0x1000
	vkAccessHostRead      = 0x2000

	vkDebugSeverityWarning = 0x100
	vkDebugSeverityError   = 0x1000

	vkDebugTypeGeneral     = 0x1
	vkDebugTypeValidation  = 0x2
	vkDebugTypePerformance = 0x4
)

// vkMakeAPIVersion is VK_MAKE_API_VERSION(0, major, minor, 0).
func vkMakeAPIVersion(major, minor uint32) uint32 { return major<<22 | minor<<12 }

// vkAPIVersion11 is VK_API_VERSION_1_1, the version this backend asks for:
// nothing past 1.0 core is used, but 1.1 is the floor the project set for
// drivers it trusts.
var vkAPIVersion11 = vkMakeAPIVersion(1, 1)

// vkVersionString formats a packed Vulkan version.
func vkVersionString(v uint32) string {
	return itoa(v>>22&0x7f) + "." + itoa(v>>12&0x3ff) + "." + itoa(v&0xfff)
}

func itoa(v uint32) string {
	if v == 0 {
		return "0"
	}
	var b [10]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// vkPhysicalDeviceLimits is C VkPhysicalDeviceLimits (504 bytes on LP64).
type vkPhysicalDeviceLimits struct {
	maxImageDimension1D                             uint32
	maxImageDimension2D                             uint32
	maxImageDimension3D                             uint32
	maxImageDimensionCube                           uint32
	maxImageArrayLayers                             uint32
	maxTexelBufferElements                          uint32
	maxUniformBufferRange                           uint32
	maxStorageBufferRange                           uint32
	maxPushConstantsSize                            uint32
	maxMemoryAllocationCount                        uint32
	maxSamplerAllocationCount                       uint32
	_                                               [4]byte
	bufferImageGranularity                          uint64
	sparseAddressSpaceSize                          uint64
	maxBoundDescriptorSets                          uint32
	maxPerStageDescriptorSamplers                   uint32
	maxPerStageDescriptorUniformBuffers             uint32
	maxPerStageDescriptorStorageBuffers             uint32
	maxPerStageDescriptorSampledImages              uint32
	maxPerStageDescriptorStorageImages              uint32
	maxPerStageDescriptorInputAttachments           uint32
	maxPerStageResources                            uint32
	maxDescriptorSetSamplers                        uint32
	maxDescriptorSetUniformBuffers                  uint32
	maxDescriptorSetUniformBuffersDynamic           uint32
	maxDescriptorSetStorageBuffers                  uint32
	maxDescriptorSetStorageBuffersDynamic           uint32
	maxDescriptorSetSampledImages                   uint32
	maxDescriptorSetStorageImages                   uint32
	maxDescriptorSetInputAttachments                uint32
	maxVertexInputAttributes                        uint32
	maxVertexInputBindings                          uint32
	maxVertexInputAttributeOffset                   uint32
	maxVertexInputBindingStride                     uint32
	maxVertexOutputComponents                       uint32
	maxTessellationGenerationLevel                  uint32
	maxTessellationPatchSize                        uint32
	maxTessellationControlPerVertexInputComponents  uint32
	maxTessellationControlPerVertexOutputComponents uint32
	maxTessellationControlPerPatchOutputComponents  uint32
	maxTessellationControlTotalOutputComponents     uint32
	maxTessellationEvaluationInputComponents        uint32
	maxTessellationEvaluationOutputComponents       uint32
	maxGeometryShaderInvocations                    uint32
	maxGeometryInputComponents                      uint32
	maxGeometryOutputComponents                     uint32
	maxGeometryOutputVertices                       uint32
	maxGeometryTotalOutputComponents                uint32
	maxFragmentInputComponents                      uint32
	maxFragmentOutputAttachments                    uint32
	maxFragmentDualSrcAttachments                   uint32
	maxFragmentCombinedOutputResources              uint32
	maxComputeSharedMemorySize                      uint32
	maxComputeWorkGroupCount                        [3]uint32
	maxComputeWorkGroupInvocations                  uint32
	maxComputeWorkGroupSize                         [3]uint32
	subPixelPrecisionBits                           uint32
	subTexelPrecisionBits                           uint32
	mipmapPrecisionBits                             uint32
	maxDrawIndexedIndexValue                        uint32
	maxDrawIndirectCount                            uint32
	maxSamplerLodBias                               float32
	maxSamplerAnisotropy                            float32
	maxViewports                                    uint32
	maxViewportDimensions                           [2]uint32
	viewportBoundsRange                             [2]float32
	viewportSubPixelBits                            uint32
	_                                               [4]byte
	minMemoryMapAlignment                           uintptr
	minTexelBufferOffsetAlignment                   uint64
	minUniformBufferOffsetAlignment                 uint64
	minStorageBufferOffsetAlignment                 uint64
	minTexelOffset                                  int32
	maxTexelOffset                                  uint32
	minTexelGatherOffset                            int32
	maxTexelGatherOffset                            uint32
	minInterpolationOffset                          float32
	maxInterpolationOffset                          float32
	subPixelInterpolationOffsetBits                 uint32
	maxFramebufferWidth                             uint32
	maxFramebufferHeight                            uint32
	maxFramebufferLayers                            uint32
	framebufferColorSampleCounts                    uint32
	framebufferDepthSampleCounts                    uint32
	framebufferStencilSampleCounts                  uint32
	framebufferNoAttachmentsSampleCounts            uint32
	maxColorAttachments                             uint32
	sampledImageColorSampleCounts                   uint32
	sampledImageIntegerSampleCounts                 uint32
	sampledImageDepthSampleCounts                   uint32
	sampledImageStencilSampleCounts                 uint32
	storageImageSampleCounts                        uint32
	maxSampleMaskWords                              uint32
	timestampComputeAndGraphics                     uint32
	timestampPeriod                                 float32
	maxClipDistances                                uint32
	maxCullDistances                                uint32
	maxCombinedClipAndCullDistances                 uint32
	discreteQueuePriorities                         uint32
	pointSizeRange                                  [2]float32
	lineWidthRange                                  [2]float32
	pointSizeGranularity                            float32
	lineWidthGranularity                            float32
	strictLines                                     uint32
	standardSampleLocations                         uint32
	_                                               [4]byte
	optimalBufferCopyOffsetAlignment                uint64
	optimalBufferCopyRowPitchAlignment              uint64
	nonCoherentAtomSize                             uint64
}

// vkPhysicalDeviceSparseProperties is C VkPhysicalDeviceSparseProperties (20 bytes on LP64).
type vkPhysicalDeviceSparseProperties struct {
	residencyStandard2DBlockShape            uint32
	residencyStandard2DMultisampleBlockShape uint32
	residencyStandard3DBlockShape            uint32
	residencyAlignedMipSize                  uint32
	residencyNonResidentStrict               uint32
}

// vkApplicationInfo is C VkApplicationInfo (48 bytes on LP64).
type vkApplicationInfo struct {
	sType              uint32
	_                  [4]byte
	pNext              unsafe.Pointer
	pApplicationName   unsafe.Pointer
	applicationVersion uint32
	_                  [4]byte
	pEngineName        unsafe.Pointer
	engineVersion      uint32
	apiVersion         uint32
}

// vkInstanceCreateInfo is C VkInstanceCreateInfo (64 bytes on LP64).
type vkInstanceCreateInfo struct {
	sType                   uint32
	_                       [4]byte
	pNext                   unsafe.Pointer
	flags                   uint32
	_                       [4]byte
	pApplicationInfo        unsafe.Pointer
	enabledLayerCount       uint32
	_                       [4]byte
	ppEnabledLayerNames     unsafe.Pointer
	enabledExtensionCount   uint32
	_                       [4]byte
	ppEnabledExtensionNames unsafe.Pointer
}

// vkLayerProperties is C VkLayerProperties (520 bytes on LP64).
type vkLayerProperties struct {
	layerName             [256]byte
	specVersion           uint32
	implementationVersion uint32
	description           [256]byte
}

// vkExtensionProperties is C VkExtensionProperties (260 bytes on LP64).
type vkExtensionProperties struct {
	extensionName [256]byte
	specVersion   uint32
}

// vkPhysicalDeviceProperties is C VkPhysicalDeviceProperties (824 bytes on LP64).
type vkPhysicalDeviceProperties struct {
	apiVersion        uint32
	driverVersion     uint32
	vendorID          uint32
	deviceID          uint32
	deviceType        uint32
	deviceName        [256]byte
	pipelineCacheUUID [16]uint8
	_                 [4]byte
	limits            vkPhysicalDeviceLimits
	sparseProperties  vkPhysicalDeviceSparseProperties
	_                 [4]byte
}

// vkExtent3D is C VkExtent3D (12 bytes on LP64).
type vkExtent3D struct {
	width  uint32
	height uint32
	depth  uint32
}

// vkQueueFamilyProperties is C VkQueueFamilyProperties (24 bytes on LP64).
type vkQueueFamilyProperties struct {
	queueFlags                  uint32
	queueCount                  uint32
	timestampValidBits          uint32
	minImageTransferGranularity vkExtent3D
}

// vkMemoryType is C VkMemoryType (8 bytes on LP64).
type vkMemoryType struct {
	propertyFlags uint32
	heapIndex     uint32
}

// vkMemoryHeap is C VkMemoryHeap (16 bytes on LP64).
type vkMemoryHeap struct {
	size  uint64
	flags uint32
	_     [4]byte
}

// vkPhysicalDeviceMemoryProperties is C VkPhysicalDeviceMemoryProperties (520 bytes on LP64).
type vkPhysicalDeviceMemoryProperties struct {
	memoryTypeCount uint32
	memoryTypes     [32]vkMemoryType
	memoryHeapCount uint32
	memoryHeaps     [16]vkMemoryHeap
}

// vkDeviceQueueCreateInfo is C VkDeviceQueueCreateInfo (40 bytes on LP64).
type vkDeviceQueueCreateInfo struct {
	sType            uint32
	_                [4]byte
	pNext            unsafe.Pointer
	flags            uint32
	queueFamilyIndex uint32
	queueCount       uint32
	_                [4]byte
	pQueuePriorities unsafe.Pointer
}

// vkDeviceCreateInfo is C VkDeviceCreateInfo (72 bytes on LP64).
type vkDeviceCreateInfo struct {
	sType                   uint32
	_                       [4]byte
	pNext                   unsafe.Pointer
	flags                   uint32
	queueCreateInfoCount    uint32
	pQueueCreateInfos       unsafe.Pointer
	enabledLayerCount       uint32
	_                       [4]byte
	ppEnabledLayerNames     unsafe.Pointer
	enabledExtensionCount   uint32
	_                       [4]byte
	ppEnabledExtensionNames unsafe.Pointer
	pEnabledFeatures        unsafe.Pointer
}

// vkBufferCreateInfo is C VkBufferCreateInfo (56 bytes on LP64).
type vkBufferCreateInfo struct {
	sType                 uint32
	_                     [4]byte
	pNext                 unsafe.Pointer
	flags                 uint32
	_                     [4]byte
	size                  uint64
	usage                 uint32
	sharingMode           uint32
	queueFamilyIndexCount uint32
	_                     [4]byte
	pQueueFamilyIndices   unsafe.Pointer
}

// vkMemoryRequirements is C VkMemoryRequirements (24 bytes on LP64).
type vkMemoryRequirements struct {
	size           uint64
	alignment      uint64
	memoryTypeBits uint32
	_              [4]byte
}

// vkMemoryAllocateInfo is C VkMemoryAllocateInfo (32 bytes on LP64).
type vkMemoryAllocateInfo struct {
	sType           uint32
	_               [4]byte
	pNext           unsafe.Pointer
	allocationSize  uint64
	memoryTypeIndex uint32
	_               [4]byte
}

// vkDescriptorSetLayoutBinding is C VkDescriptorSetLayoutBinding (24 bytes on LP64).
type vkDescriptorSetLayoutBinding struct {
	binding            uint32
	descriptorType     uint32
	descriptorCount    uint32
	stageFlags         uint32
	pImmutableSamplers unsafe.Pointer
}

// vkDescriptorSetLayoutCreateInfo is C VkDescriptorSetLayoutCreateInfo (32 bytes on LP64).
type vkDescriptorSetLayoutCreateInfo struct {
	sType        uint32
	_            [4]byte
	pNext        unsafe.Pointer
	flags        uint32
	bindingCount uint32
	pBindings    unsafe.Pointer
}

// vkDescriptorPoolSize is C VkDescriptorPoolSize (8 bytes on LP64).
type vkDescriptorPoolSize struct {
	type_           uint32
	descriptorCount uint32
}

// vkDescriptorPoolCreateInfo is C VkDescriptorPoolCreateInfo (40 bytes on LP64).
type vkDescriptorPoolCreateInfo struct {
	sType         uint32
	_             [4]byte
	pNext         unsafe.Pointer
	flags         uint32
	maxSets       uint32
	poolSizeCount uint32
	_             [4]byte
	pPoolSizes    unsafe.Pointer
}

// vkDescriptorSetAllocateInfo is C VkDescriptorSetAllocateInfo (40 bytes on LP64).
type vkDescriptorSetAllocateInfo struct {
	sType              uint32
	_                  [4]byte
	pNext              unsafe.Pointer
	descriptorPool     uint64
	descriptorSetCount uint32
	_                  [4]byte
	pSetLayouts        unsafe.Pointer
}

// vkDescriptorBufferInfo is C VkDescriptorBufferInfo (24 bytes on LP64).
type vkDescriptorBufferInfo struct {
	buffer uint64
	offset uint64
	range_ uint64
}

// vkWriteDescriptorSet is C VkWriteDescriptorSet (64 bytes on LP64).
type vkWriteDescriptorSet struct {
	sType            uint32
	_                [4]byte
	pNext            unsafe.Pointer
	dstSet           uint64
	dstBinding       uint32
	dstArrayElement  uint32
	descriptorCount  uint32
	descriptorType   uint32
	pImageInfo       unsafe.Pointer
	pBufferInfo      unsafe.Pointer
	pTexelBufferView unsafe.Pointer
}

// vkPushConstantRange is C VkPushConstantRange (12 bytes on LP64).
type vkPushConstantRange struct {
	stageFlags uint32
	offset     uint32
	size       uint32
}

// vkPipelineLayoutCreateInfo is C VkPipelineLayoutCreateInfo (48 bytes on LP64).
type vkPipelineLayoutCreateInfo struct {
	sType                  uint32
	_                      [4]byte
	pNext                  unsafe.Pointer
	flags                  uint32
	setLayoutCount         uint32
	pSetLayouts            unsafe.Pointer
	pushConstantRangeCount uint32
	_                      [4]byte
	pPushConstantRanges    unsafe.Pointer
}

// vkShaderModuleCreateInfo is C VkShaderModuleCreateInfo (40 bytes on LP64).
type vkShaderModuleCreateInfo struct {
	sType    uint32
	_        [4]byte
	pNext    unsafe.Pointer
	flags    uint32
	_        [4]byte
	codeSize uintptr
	pCode    unsafe.Pointer
}

// vkPipelineShaderStageCreateInfo is C VkPipelineShaderStageCreateInfo (48 bytes on LP64).
type vkPipelineShaderStageCreateInfo struct {
	sType               uint32
	_                   [4]byte
	pNext               unsafe.Pointer
	flags               uint32
	stage               uint32
	module              uint64
	pName               unsafe.Pointer
	pSpecializationInfo unsafe.Pointer
}

// vkComputePipelineCreateInfo is C VkComputePipelineCreateInfo (96 bytes on LP64).
type vkComputePipelineCreateInfo struct {
	sType              uint32
	_                  [4]byte
	pNext              unsafe.Pointer
	flags              uint32
	_                  [4]byte
	stage              vkPipelineShaderStageCreateInfo
	layout             uint64
	basePipelineHandle uint64
	basePipelineIndex  int32
	_                  [4]byte
}

// vkCommandPoolCreateInfo is C VkCommandPoolCreateInfo (24 bytes on LP64).
type vkCommandPoolCreateInfo struct {
	sType            uint32
	_                [4]byte
	pNext            unsafe.Pointer
	flags            uint32
	queueFamilyIndex uint32
}

// vkCommandBufferAllocateInfo is C VkCommandBufferAllocateInfo (32 bytes on LP64).
type vkCommandBufferAllocateInfo struct {
	sType              uint32
	_                  [4]byte
	pNext              unsafe.Pointer
	commandPool        uint64
	level              uint32
	commandBufferCount uint32
}

// vkCommandBufferBeginInfo is C VkCommandBufferBeginInfo (32 bytes on LP64).
type vkCommandBufferBeginInfo struct {
	sType            uint32
	_                [4]byte
	pNext            unsafe.Pointer
	flags            uint32
	_                [4]byte
	pInheritanceInfo unsafe.Pointer
}

// vkSubmitInfo is C VkSubmitInfo (72 bytes on LP64).
type vkSubmitInfo struct {
	sType                uint32
	_                    [4]byte
	pNext                unsafe.Pointer
	waitSemaphoreCount   uint32
	_                    [4]byte
	pWaitSemaphores      unsafe.Pointer
	pWaitDstStageMask    unsafe.Pointer
	commandBufferCount   uint32
	_                    [4]byte
	pCommandBuffers      unsafe.Pointer
	signalSemaphoreCount uint32
	_                    [4]byte
	pSignalSemaphores    unsafe.Pointer
}

// vkFenceCreateInfo is C VkFenceCreateInfo (24 bytes on LP64).
type vkFenceCreateInfo struct {
	sType uint32
	_     [4]byte
	pNext unsafe.Pointer
	flags uint32
	_     [4]byte
}

// vkBufferCopy is C VkBufferCopy (24 bytes on LP64).
type vkBufferCopy struct {
	srcOffset uint64
	dstOffset uint64
	size      uint64
}

// vkMemoryBarrier is C VkMemoryBarrier (24 bytes on LP64).
type vkMemoryBarrier struct {
	sType         uint32
	_             [4]byte
	pNext         unsafe.Pointer
	srcAccessMask uint32
	dstAccessMask uint32
}

// vkQueryPoolCreateInfo is C VkQueryPoolCreateInfo (32 bytes on LP64).
type vkQueryPoolCreateInfo struct {
	sType              uint32
	_                  [4]byte
	pNext              unsafe.Pointer
	flags              uint32
	queryType          uint32
	queryCount         uint32
	pipelineStatistics uint32
}

// vkDebugUtilsMessengerCreateInfoEXT is C VkDebugUtilsMessengerCreateInfoEXT (48 bytes on LP64).
type vkDebugUtilsMessengerCreateInfoEXT struct {
	sType           uint32
	_               [4]byte
	pNext           unsafe.Pointer
	flags           uint32
	messageSeverity uint32
	messageType     uint32
	_               [4]byte
	pfnUserCallback uintptr
	pUserData       uintptr // an integer id, never a Go pointer (messages.go)
}

// vkDebugUtilsMessengerCallbackDataEXT is C VkDebugUtilsMessengerCallbackDataEXT (96 bytes on LP64).
type vkDebugUtilsMessengerCallbackDataEXT struct {
	sType            uint32
	_                [4]byte
	pNext            unsafe.Pointer
	flags            uint32
	_                [4]byte
	pMessageIdName   unsafe.Pointer
	messageIdNumber  int32
	_                [4]byte
	pMessage         unsafe.Pointer
	queueLabelCount  uint32
	_                [4]byte
	pQueueLabels     unsafe.Pointer
	cmdBufLabelCount uint32
	_                [4]byte
	pCmdBufLabels    unsafe.Pointer
	objectCount      uint32
	_                [4]byte
	pObjects         unsafe.Pointer
}
