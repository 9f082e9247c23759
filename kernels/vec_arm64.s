//go:build !purego && !noasm

#include "textflag.h"

// NEON kernels of the attention and FFN vector operations (vec_arm64.go),
// each bit-identical to its reference in vec_generic.go for every input,
// NaN payloads included: FCVTL widens halves exactly (and quiets a NaN
// keeping its payload, as F16ToF32 does), every product is rounded (FMUL)
// before it is added (FADD), never fused, and each FMUL and FADD takes its
// operands in the order the Go compiler gives the reference's scalar
// FMULS/FADDS (alpha first, then the vector; dst first, then the product),
// which decides which NaN an operation returns when both operands are NaN.

// func axpyF16Asm(dst *float32, alpha float32, v *uint16, n int)
//
// dst[i] += alpha * float(v[i]) for n >= 1 elements: attention's weighted
// sum over an F16 value cache.
TEXT ·axpyF16Asm(SB), NOSPLIT, $0-32
	MOVD	dst+0(FP), R0
	FMOVS	alpha+8(FP), F31
	MOVD	v+16(FP), R1
	MOVD	n+24(FP), R2
	VDUP	V31.S[0], V30.S4
	CMP	$8, R2
	BLT	axpy_tail

axpy_loop8:
	VLD1.P	16(R1), [V0.H8]
	VLD1	(R0), [V2.S4, V3.S4]
	WORD	$0x0e217804 // FCVTL V4.4S, V0.4H
	WORD	$0x4e217805 // FCVTL2 V5.4S, V0.8H
	WORD	$0x6e24dfc4 // FMUL V4.4S, V30.4S, V4.4S
	WORD	$0x6e25dfc5 // FMUL V5.4S, V30.4S, V5.4S
	WORD	$0x4e24d442 // FADD V2.4S, V2.4S, V4.4S
	WORD	$0x4e25d463 // FADD V3.4S, V3.4S, V5.4S
	VST1.P	[V2.S4, V3.S4], 32(R0)
	SUB	$8, R2, R2
	CMP	$8, R2
	BGE	axpy_loop8

axpy_tail:
	CBZ	R2, axpy_done

axpy_tail1:
	MOVHU.P	2(R1), R3
	FMOVS	R3, F0
	FCVTHS	F0, F0
	FMULS	F0, F31, F0 // alpha * v
	FMOVS	(R0), F1
	FADDS	F0, F1, F1 // dst + product
	FMOVS.P	F1, 4(R0)
	SUBS	$1, R2, R2
	BNE	axpy_tail1

axpy_done:
	RET

// func axpyAsm(n int, dst *float32, alpha float32, v *float32)
//
// dst[i] += alpha * v[i] for n > 0 elements, n a multiple of 8.
TEXT ·axpyAsm(SB), NOSPLIT, $0-32
	MOVD	n+0(FP), R2
	MOVD	dst+8(FP), R0
	FMOVS	alpha+16(FP), F31
	MOVD	v+24(FP), R1
	VDUP	V31.S[0], V30.S4
	CMP	$16, R2
	BLT	axpyf_8

axpyf_loop16:
	VLD1.P	64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1	(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD	$0x6e20dfc0 // FMUL V0.4S, V30.4S, V0.4S
	WORD	$0x6e21dfc1 // FMUL V1.4S, V30.4S, V1.4S
	WORD	$0x6e22dfc2 // FMUL V2.4S, V30.4S, V2.4S
	WORD	$0x6e23dfc3 // FMUL V3.4S, V30.4S, V3.4S
	WORD	$0x4e20d484 // FADD V4.4S, V4.4S, V0.4S
	WORD	$0x4e21d4a5 // FADD V5.4S, V5.4S, V1.4S
	WORD	$0x4e22d4c6 // FADD V6.4S, V6.4S, V2.4S
	WORD	$0x4e23d4e7 // FADD V7.4S, V7.4S, V3.4S
	VST1.P	[V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	SUB	$16, R2, R2
	CMP	$16, R2
	BGE	axpyf_loop16

axpyf_8:
	CBZ	R2, axpyf_done
	VLD1	(R1), [V0.S4, V1.S4]
	VLD1	(R0), [V4.S4, V5.S4]
	WORD	$0x6e20dfc0 // FMUL V0.4S, V30.4S, V0.4S
	WORD	$0x6e21dfc1 // FMUL V1.4S, V30.4S, V1.4S
	WORD	$0x4e20d484 // FADD V4.4S, V4.4S, V0.4S
	WORD	$0x4e21d4a5 // FADD V5.4S, V5.4S, V1.4S
	VST1	[V4.S4, V5.S4], (R0)

axpyf_done:
	RET

// func f16ToF32Asm(n int, dst *float32, src *uint16)
//
// dst[i] = F16ToF32(src[i]) for n > 0 elements, n a multiple of 8.
TEXT ·f16ToF32Asm(SB), NOSPLIT, $0-24
	MOVD	n+0(FP), R2
	MOVD	dst+8(FP), R0
	MOVD	src+16(FP), R1
	CMP	$16, R2
	BLT	f16w_8

f16w_loop16:
	VLD1.P	32(R1), [V0.H8, V1.H8]
	WORD	$0x0e217802 // FCVTL V2.4S, V0.4H
	WORD	$0x4e217803 // FCVTL2 V3.4S, V0.8H
	WORD	$0x0e217824 // FCVTL V4.4S, V1.4H
	WORD	$0x4e217825 // FCVTL2 V5.4S, V1.8H
	VST1.P	[V2.S4, V3.S4, V4.S4, V5.S4], 64(R0)
	SUB	$16, R2, R2
	CMP	$16, R2
	BGE	f16w_loop16

f16w_8:
	CBZ	R2, f16w_done
	VLD1	(R1), [V0.H8]
	WORD	$0x0e217802 // FCVTL V2.4S, V0.4H
	WORD	$0x4e217803 // FCVTL2 V3.4S, V0.8H
	VST1	[V2.S4, V3.S4], (R0)

f16w_done:
	RET

// func dotF16OrderedAsm(n int, a, b *uint16) float32
//
// DotF16 for n >= 1 elements, in the reference's order: the products of
// eight halves are formed at once (exact in float32, as the reference's),
// widened to float64 and added to the one float64 sum one at a time, in
// index order. The chain of FADDDs bounds the speed (one element per add
// latency), where the reference spends two half conversions in Go per
// element besides. dotF16Asm (dot_float_arm64.s) is faster with eight
// partial sums, but that order changes the float64 rounding.
TEXT ·dotF16OrderedAsm(SB), NOSPLIT, $0-28
	MOVD	n+0(FP), R0
	MOVD	a+8(FP), R1
	MOVD	b+16(FP), R2
	VEOR	V0.B16, V0.B16, V0.B16 // sum = +0
	CMP	$8, R0
	BLT	dotf16o_tail

dotf16o_loop8:
	VLD1.P	16(R1), [V1.H8]
	VLD1.P	16(R2), [V2.H8]
	WORD	$0x0e217823 // FCVTL V3.4S, V1.4H
	WORD	$0x4e217824 // FCVTL2 V4.4S, V1.8H
	WORD	$0x0e217845 // FCVTL V5.4S, V2.4H
	WORD	$0x4e217846 // FCVTL2 V6.4S, V2.8H
	WORD	$0x6e25dc63 // FMUL V3.4S, V3.4S, V5.4S
	WORD	$0x6e26dc84 // FMUL V4.4S, V4.4S, V6.4S
	WORD	$0x0e617870 // FCVTL V16.2D, V3.2S
	WORD	$0x4e617871 // FCVTL2 V17.2D, V3.4S
	WORD	$0x0e617892 // FCVTL V18.2D, V4.2S
	WORD	$0x4e617893 // FCVTL2 V19.2D, V4.4S
	VDUP	V16.D[1], V20
	VDUP	V17.D[1], V21
	VDUP	V18.D[1], V22
	VDUP	V19.D[1], V23
	FADDD	F16, F0, F0
	FADDD	F20, F0, F0
	FADDD	F17, F0, F0
	FADDD	F21, F0, F0
	FADDD	F18, F0, F0
	FADDD	F22, F0, F0
	FADDD	F19, F0, F0
	FADDD	F23, F0, F0
	SUB	$8, R0, R0
	CMP	$8, R0
	BGE	dotf16o_loop8

dotf16o_tail:
	CBZ	R0, dotf16o_done

dotf16o_tail1:
	MOVHU.P	2(R1), R3
	MOVHU.P	2(R2), R4
	FMOVS	R3, F1
	FCVTHS	F1, F1
	FMOVS	R4, F2
	FCVTHS	F2, F2
	FMULS	F2, F1, F1 // a * b
	FCVTSD	F1, F1
	FADDD	F1, F0, F0 // sum + product
	SUBS	$1, R0, R0
	BNE	dotf16o_tail1

dotf16o_done:
	FCVTDS	F0, F0
	FMOVS	F0, ret+24(FP)
	RET
