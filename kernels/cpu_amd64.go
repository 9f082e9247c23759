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

// useAVX512VNNI adds the AVX-512 VNNI packed matmul kernels
// (matmul_vnni_amd64.go) on top of the AVX2 set: VPDPBUSD with VL for
// the 256-bit loads, BW for the byte shifts, on zmm registers (Intel from
// Cascade Lake and Ice Lake, AMD from Zen 4). x/sys/cpu reports the
// AVX-512 features only when the OS saves the zmm and opmask state;
// `GODEBUG=cpu.avx512f=off` keeps the AVX2 kernels (cpu.avx512vnni=off
// works too, but the runtime, which does not know that name, warns).
var useAVX512VNNI = useAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW &&
	cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI

func init() {
	if useAVX2 {
		impl = "amd64-avx2"
	}
	if useAVX512VNNI {
		impl = "amd64-avx512vnni"
	}
}
