//go:build !purego && !noasm

package kernels

import "golang.org/x/sys/cpu"

// useAVX2 selects the amd64 assembly kernels: AVX2 for the integer dots,
// FMA for the float ones and F16C (vcvtph2ps) for the half scales; every
// x86-64 CPU from Haswell (2013) and Zen 1 on has all three. x/sys/cpu
// reports F16C from CPUID leaf 1 ECX bit 29, and AVX2 only when the OS saves
// the YMM registers. It honours GODEBUG, so `GODEBUG=cpu.avx2=off` forces
// the references at run time (the purego and noasm build tags do it at
// build time).
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

func init() {
	if useAVX2 {
		impl = "amd64-avx2"
	}
}
