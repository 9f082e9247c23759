// Package accel offloads weight-matrix multiplies to a GPU (Vulkan) or an
// NPU (Rockchip RKNPU2) behind one small interface, and measures whether
// doing so pays on this machine.
//
// # What runs where
//
// On the boards baylingd targets the GPU and NPU share DRAM with the CPU.
// Decode (one or a few activation rows per step) is bound by memory
// bandwidth, which an accelerator does not add, so it stays on the CPU
// kernels; prefill (hundreds of rows against the same weights) is bound by
// arithmetic, which is what an accelerator adds. Only the matmuls with the
// weight matrices are offloaded; norms, rotary embedding, attention,
// sampling and everything else stay on the CPU. Which batch sizes go to a
// backend is decided by measurement, never assumed:
//
//	backend  library (dlopen, purego)  device                            weights held as
//	vulkan   libvulkan.so.1            any Vulkan 1.1 GPU; CPU drivers   the GGUF blocks, dequantized
//	                                   (lavapipe) only as a last resort  in the shader (Q4_0, Q8_0,
//	                                                                     Q4_K, Q6_K, F16)
//	rknpu    librknnrt.so              RK3588 / RK3576 NPU               int8, one scale per row,
//	                                                                     in the NPU's native layout
//
// Nothing here needs cgo: both libraries are loaded at run time with
// github.com/ebitengine/purego, and a machine without them (or without the
// device) gets an *UnavailableError, which the daemon logs before staying
// on the CPU. Only linux/amd64 and linux/arm64 have the backends; other
// targets compile a stub that is always unavailable. Importing purego
// makes the binaries dynamically linked against the system's libc loader
// (that is how dlopen works); under qemu-user that means setting
// QEMU_LD_PREFIX (e.g. /usr/aarch64-linux-gnu from libc6-arm64-cross).
//
// The NPU backend is verified against an ABI double of librknnrt.so
// (accel/rknpu/testdata/fake_rknnrt.c, built by the tests with gcc), not
// on NPU hardware: the struct layouts, enum values, call protocol and
// data layouts follow Rockchip's published headers, and the double checks
// them, but no test here has run on an RK3588. The Vulkan backend is
// tested for real on Mesa's lavapipe, a CPU driver, which is slower than
// the CPU kernels by two orders of magnitude (see the benchmark); that is
// expected, and "auto" keeps it off.
//
// # Using it (the engine)
//
// At model load, with accel = "vulkan" or "rknpu" in the config:
//
//	b, err := accel.Open(kind, accel.Options{...})
//	// errors.Is(err, accel.ErrUnavailable): the config demanded this
//	// backend, so this is fatal; any other error too.
//	m, err := b.Upload(name, t, rows, cols, tensorBytes) // per weight, once
//	...
//	err = m.MatMul(x, batch, out) // x: batch rows of cols floats; out: batch rows of rows floats
//	...
//	m.Free(); b.Close()
//
// With accel = "auto": OpenAvailable, then Measure each backend on a
// representative weight of the model (one FFN matrix, say) against the
// engine's own CPU path, log Report.String(), export the samples, and
// send a batch to Best(reports, batch) (or to the CPU when it is -1).
// Measure also compares the results, so a backend whose driver computes
// wrong answers fails with ErrWrongResult instead of being used. Upload
// only the matrices whose batches may be offloaded; on the NPU each one
// costs rows x cols bytes of int8 plus padding. engine.ChooseAccel does
// this at daemon start-up (on layer 0's attn_q and ffn_up), keeping one
// backend, the fastest at the largest batch, so that the weights are
// uploaded once; llama.Options.Accel then sends it every pass of at least
// the crossover's size.
//
// Semantics: MatMul computes out[b*rows + r] = sum_c W[r][c] x[b*cols + c]
// (kernels.MatMul's layout with outStride = rows), F32 in, F32 out, from
// the same dequantized weights as kernels.Dequantize. Vulkan accumulates in
// float32 (NMSE against a float64 reference about 1e-13); the NPU quantizes
// weights and activations to int8 with one scale per row (NMSE about 1e-4,
// a little coarser than the CPU's Q8 activations).
//
// Concurrency: every Backend and Matrix method may be called from any
// goroutine; calls on one backend are serialized by its mutex (one queue,
// one NPU context at a time). Nothing is gained by calling MatMul from
// several goroutines, and the engine's CPU workers should not wait on it:
// call it from the goroutine that drives the forward pass.
//
// Errors, not panics: bad shapes, short slices, unsupported types, use
// after Free or Close all return errors. A Vulkan submission that times out
// (Config.Timeout, two minutes) marks the backend unusable.
//
// # Tests and what CI needs
//
// apt packages: mesa-vulkan-drivers libvulkan1 (lavapipe and the loader),
// vulkan-validationlayers (every Vulkan test runs with
// VK_LAYER_KHRONOS_validation and fails on any message, leaks included),
// glslc (the embedded SPIR-V is recompiled and compared), gcc and
// libvulkan-dev (struct layouts are checked against the C headers; the NPU
// double is compiled). With CI=true a missing one fails the tests;
// elsewhere they skip with the reason. Benchmarks:
//
//	go test -run '^$' -bench MatMul -benchtime 3x ./accel
package accel
