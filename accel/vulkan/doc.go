// Package vulkan multiplies GGUF weight matrices by F32 activation batches
// with Vulkan compute, loading libvulkan.so.1 at run time through purego
// (no cgo). Most callers use it through package accel.
//
// # Device and objects
//
// Open creates an instance with no surface extensions (Vulkan 1.1), picks
// a physical device (Config.Device, else $BAYLING_VULKAN_DEVICE, else a
// discrete GPU, then integrated, virtual, and CPU drivers such as lavapipe
// last), and creates a device with one compute queue (a compute-only
// family with timestamps when there is one), one descriptor set layout
// (weights, activations, results: three storage buffers), one pipeline
// layout with a 24-byte push-constant block, a command pool with one
// command buffer, a fence and a two-entry timestamp query pool. Compute
// pipelines are built per weight type at the first Upload of that type.
//
// # Memory
//
// Weights are uploaded once into device-local memory, split by rows over
// several buffers when one would exceed maxStorageBufferRange (capped at
// 1 GiB). Where device-local memory is host-visible (every ARM board's
// GPU, lavapipe) it is written directly; otherwise, and with
// Config.ForceStaging, through a host-visible staging buffer and
// vkCmdCopyBuffer. Activations and results live in persistently mapped
// host-visible coherent buffers shared by all matrices, grown on demand.
// Each Matrix owns a descriptor pool with one set per weight buffer; the
// activation and result bindings are rewritten only when those buffers
// are replaced. Every submission is waited for before MatMul returns, so
// nothing is in flight between calls.
//
// Go memory handed to Vulkan (create-info structs, the arrays and strings
// they point to, out parameters) is pinned with runtime.Pinner for the
// duration of the call (see arena in loader.go); the structs are declared
// with the C layout, padding spelled out, and layout_test.go compares
// every field offset with gcc's for the system headers.
//
// # Shaders
//
// shaders/matmul.comp is one GLSL compute shader compiled with glslc into
// one SPIR-V module per weight type (Q4_0, Q8_0, Q4_K, Q6_K, F16), which
// are committed and embedded. They read the weights as the raw GGUF
// blocks (a uint array, no 8/16-bit storage features needed), dequantize
// a 32 x 32 tile into shared memory per step, and accumulate a 32 x 32
// output tile per 64-invocation workgroup in float32. After editing the
// GLSL run `go generate ./accel/vulkan`; TestShadersUpToDate fails on a
// stale binary.
//
// # Diagnostics
//
// Config.Validation enables VK_LAYER_KHRONOS_validation with a debug-utils
// messenger (warnings and errors go to Config.OnMessage); the tests run
// with it and fail on any message, including objects leaked at
// vkDestroyDevice. Matrix.LastTiming reports GPU time from timestamps and
// wall time.
package vulkan
