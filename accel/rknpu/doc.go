// Package rknpu multiplies weight matrices by activation batches on the
// NPU of Rockchip RK3588 and RK3576 boards, through the matmul API of
// librknnrt.so (the RKNPU2 runtime), loaded at run time with purego (no
// cgo). Most callers use it through package accel.
//
// This NPU path is verified against an ABI double, not on hardware. No
// NPU was available where it was written: the tests build
// testdata/fake_rknnrt.c with gcc, a library that exports the same seven
// functions with the same struct layouts (testdata/rknn_abi.h, restated
// from Rockchip's published rknn_api.h and rknn_matmul_api.h), computes
// the int8 products on the CPU, and checks the call sequence and
// arguments: contexts created before use, K <= 10240, K and N 32-aligned,
// the io_attr handed back unchanged, memory large enough and owned by the
// context, memory destroyed before its context, nothing used after
// destroy. The tests read its call log back. A layout test compares the
// Go structs with that header through gcc. What the double cannot show is
// whether the real runtime behaves as its header documents; run the tests
// on a board (Config.Library pointing at the real librknnrt.so) before
// trusting it.
//
// # How a matrix is held
//
// Upload dequantizes the GGUF weights row by row (kernels.Dequantize) and
// quantizes each row symmetrically to int8 with its own scale, max|w|/127:
// per-channel scales, since the int8 x int8 -> int32 matmul type
// (RKNN_INT8_MM_INT8_TO_INT32) takes no scales of its own. K is padded to
// a multiple of 32 and split into balanced chunks of at most Config.MaxK
// (4096) columns, N (the weight rows) padded to a multiple of 32; each
// chunk is one rknn_matmul context of M = Config.BatchTile rows, with its
// A, B and C tensors created and bound once at upload.
//
// B, the weights, is written in the NPU's native layout (B_layout = 1),
// for RK3588 int8 (N/32, K/32, 32, 32): 32 x 32 tiles in which each weight
// row's 32 K values are contiguous. The weights never change, so paying
// the re-layout once at load spares the runtime a conversion and keeps
// the NPU reading B as it wants it; and because each tile row is a slice of
// a GGUF row, the packing is a near-linear copy from row-major W. The
// exact tile sizes are taken from the dims the runtime reports in
// rknn_matmul_io_attr.B (RK3566 uses 16-wide N tiles), and the 2-dim
// normal layout is accepted too. MaxK stays at or below 4096 because
// RK3588 (above K = 8192) and RK3576 (above 4096) split native B into
// segments, which this packer does not emit.
//
// A (activations) and C (int32 results) use the normal row-major layout.
// MatMul quantizes each activation row to int8 with its own scale, runs
// every K chunk for each tile of BatchTile rows (the last tile padded),
// adds the chunks' int32 results exactly in int64 on the CPU, and scales
// by the two row scales. Against a float64 product of the dequantized
// weights this gives an NMSE around 1e-4 (measured by the tests).
//
// # Concurrency
//
// All methods are safe for concurrent use and serialized per backend.
package rknpu
