//go:build !purego && !noasm

package kernels

import (
	"os"

	"golang.org/x/sys/cpu"
)

// arm64 kernel selection. The NEON kernels are installed into dotTable,
// quantTable, vecTable and, with SDOT, packedTable and matMulTable once, at
// package init, from golang.org/x/sys/cpu:
//
//   - cpu.ARM64.HasASIMDDP (the dot-product extension, FEAT_DotProd, despite
//     the field comment's "double precision": Cortex-A76 of the Raspberry
//     Pi 5, the RK3588's A76 and A55 cores) selects the SDOT kernels: the
//     Q4_0/Q8_0 row dots, and the packed Q4_0/Q8_0 kernels of
//     matmul_arm64.s, which run MatMulPacked, MatMul for batches of two or
//     more (transient packing) and Repack's packing (useARM64Packed; its
//     comment counts why RepackInfo reports Q4_0 fast and Q8_0 not);
//   - without it (Cortex-A72 of the Raspberry Pi 4, A53) the plain ARMv8.0
//     NEON kernels (SMULL/SMLAL/SADALP) are used, and no packed kernels:
//     RepackInfo reports nothing fast, so the engine keeps the row dots;
//   - BAYLING_ARM64_NOSDOT=1 in the environment forces the plain NEON path
//     on a CPU that has SDOT (CI uses it, with QEMU_CPU=cortex-a72 as the
//     hardware-accurate alternative under qemu-user);
//   - the purego or noasm build tags leave the pure-Go reference in place.
//
// Why packed stays off without SDOT (counted, not measured: no board was
// at hand). The packed kernels of matmul_arm64.s need SDOT (SIGILL on an
// A72), and the generic packed kernels are pure Go, several times slower
// than the NEON row dots, so RepackInfo must not call a packed copy fast
// and MatMul must not pack on the fly. An ARMv8.0 packed kernel is not
// written: without an int8 dot every product still costs 1/8 of a
// widening multiply (SMULL/SMLAL: 4 per block and row, as in the row dot),
// and the Cortex-A72 has one integer-multiply pipe (F0), so no layout gets
// below 4 cycles per block and row. Packing would remove the row dot's
// per-block reduction and scale handling: 17 SIMD instructions per block
// and row (about 8.5 cycles on two pipes) against an estimated 9.5 for
// eight interleaved rows (with DUPs of the activation dwords and pairwise
// adds to gather each row's products; about 4.75 cycles), at most about
// 1.8x in compute for prefill; decode with four threads is bound by
// the Pi 4's memory already (18 bytes per 8.5 cycles is about 3 GB/s per
// core at 1.5 GHz). Not worth a packed copy's memory without measuring.
//
// Every NEON kernel except the F16 dots of dotTable is bit-identical to its
// reference (see the .s files); those sum their exact products in float64
// in another order (DotF16, through vecTable, keeps the reference's
// order). Impl() reports "arm64-neon-sdot" or "arm64-neon".
var arm64SDOT = cpu.ARM64.HasASIMDDP && !envTrue(os.Getenv("BAYLING_ARM64_NOSDOT"))

func envTrue(s string) bool { return s != "" && s != "0" && s != "false" }

func init() { useARM64Kernels(arm64SDOT) }

// useARM64Kernels installs the NEON kernels, with SDOT or without; init
// calls it once (the tables are read without synchronization). The tests
// call both variants of each kernel directly instead of switching tables.
func useARM64Kernels(sdot bool) {
	dotTable[Q4_K] = dotQ4_KQ8_KNEON
	dotTable[Q5_K] = dotQ5_KQ8_KNEON
	dotTable[Q6_K] = dotQ6_KQ8_KNEON
	dotTable[F16] = dotF16F16NEON
	quantTable[Q8_0] = quantQ8_0NEON
	quantTable[Q8_K] = quantQ8_KNEON
	quantTable[F16] = quantF16NEON
	useARM64Vec()
	if sdot {
		dotTable[Q4_0] = dotQ4_0Q8_0SDOT
		dotTable[Q8_0] = dotQ8_0Q8_0SDOT
		useARM64Packed()
		impl = "arm64-neon-sdot"
	} else {
		dotTable[Q4_0] = dotQ4_0Q8_0NEON
		dotTable[Q8_0] = dotQ8_0Q8_0NEON
		impl = "arm64-neon"
	}
}
