//go:build !purego && !noasm

package kernels

import (
	"os"

	"golang.org/x/sys/cpu"
)

// arm64 kernel selection. The NEON kernels are installed into dotTable and
// quantTable once, at package init, from golang.org/x/sys/cpu:
//
//   - cpu.ARM64.HasASIMDDP (the dot-product extension, FEAT_DotProd, despite
//     the field comment's "double precision": Cortex-A76 of the Raspberry
//     Pi 5, the RK3588's A76 and A55 cores) selects the SDOT kernels;
//   - without it (Cortex-A72 of the Raspberry Pi 4, A53) the plain ARMv8.0
//     NEON kernels (SMULL/SMLAL/SADALP) are used;
//   - BAYLING_ARM64_NOSDOT=1 in the environment forces the plain NEON kernels
//     on a CPU that has SDOT (CI uses it, with QEMU_CPU=cortex-a72 as the
//     hardware-accurate alternative under qemu-user);
//   - the purego or noasm build tags leave the pure-Go reference in place.
//
// Every NEON kernel except the F16 dots is bit-identical to its reference
// (see the .s files); the F16 dots sum their exact products in float64 in
// another order. Impl() reports "arm64-neon-sdot" or "arm64-neon".
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
	if sdot {
		dotTable[Q4_0] = dotQ4_0Q8_0SDOT
		dotTable[Q8_0] = dotQ8_0Q8_0SDOT
		impl = "arm64-neon-sdot"
	} else {
		dotTable[Q4_0] = dotQ4_0Q8_0NEON
		dotTable[Q8_0] = dotQ8_0Q8_0NEON
		impl = "arm64-neon"
	}
}
