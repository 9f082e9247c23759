//go:build !purego && !noasm

#include "textflag.h"

// NEON activation quantizers, byte-identical to quantQ8_0 and quantQ8_K
// (ggml's quantize_row_q8_0_ref / quantize_row_q8_K_ref) on every input:
// the same float32 operations in the same order (abs-max, one FDIVS for d,
// one for the inverse, FMULS per element, the same rounding), vectorized
// only where the order cannot matter. Blocks whose amax is NaN (Q8_0 and
// Q8_K) or zero (Q8_K) are left to the Go reference, which the stubs call:
// the functions return how many whole blocks they did, stopping before such
// a block.

// func quantQ8_0Asm(nb int, x *float32, y *byte) int
TEXT ·quantQ8_0Asm(SB), NOSPLIT, $0-32
	MOVD	nb+0(FP), R2
	MOVD	x+8(FP), R0
	MOVD	y+16(FP), R1
	MOVD	$0, R3
	MOVW	$0x42fe0000, R4 // 127.0
	FMOVS	R4, F29
	FMOVS	$(1.0), F28
	VEOR	V27.B16, V27.B16, V27.B16 // +0

q80_block:
	CMP	R2, R3
	BGE	q80_done
	VLD1	(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	ADD	$64, R0, R5
	VLD1	(R5), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD	$0x4ea0f810 // FABS V16.4S, V0.4S
	WORD	$0x4ea0f831 // FABS V17.4S, V1.4S
	WORD	$0x4ea0f852 // FABS V18.4S, V2.4S
	WORD	$0x4ea0f873 // FABS V19.4S, V3.4S
	WORD	$0x4ea0f894 // FABS V20.4S, V4.4S
	WORD	$0x4ea0f8b5 // FABS V21.4S, V5.4S
	WORD	$0x4ea0f8d6 // FABS V22.4S, V6.4S
	WORD	$0x4ea0f8f7 // FABS V23.4S, V7.4S
	// FMAX propagates NaN, so the result is NaN iff an element is.
	WORD	$0x4e31f610 // FMAX V16.4S, V16.4S, V17.4S
	WORD	$0x4e33f652 // FMAX V18.4S, V18.4S, V19.4S
	WORD	$0x4e35f694 // FMAX V20.4S, V20.4S, V21.4S
	WORD	$0x4e37f6d6 // FMAX V22.4S, V22.4S, V23.4S
	WORD	$0x4e32f610 // FMAX V16.4S, V16.4S, V18.4S
	WORD	$0x4e36f694 // FMAX V20.4S, V20.4S, V22.4S
	WORD	$0x4e34f610 // FMAX V16.4S, V16.4S, V20.4S
	WORD	$0x6e30fa10 // FMAXV S16, V16.4S
	FCMPS	F16, F16
	BVS	q80_done // NaN in the block: the reference handles it
	FDIVS	F29, F16, F17 // d = amax / 127
	FDIVS	F17, F28, F18 // 1/d
	FCMPS	$(0.0), F17
	FCSELS	EQ, F27, F18, F18 // id = d != 0 ? 1/d : 0
	FCVTSH	F17, F19
	FMOVS	F19, R6
	MOVH	R6, (R1) // fp16(d)
	WORD	$0x4f929000 // FMUL V0.4S, V0.4S, V18.S[0]
	WORD	$0x4f929021 // FMUL V1.4S, V1.4S, V18.S[0]
	WORD	$0x4f929042 // FMUL V2.4S, V2.4S, V18.S[0]
	WORD	$0x4f929063 // FMUL V3.4S, V3.4S, V18.S[0]
	WORD	$0x4f929084 // FMUL V4.4S, V4.4S, V18.S[0]
	WORD	$0x4f9290a5 // FMUL V5.4S, V5.4S, V18.S[0]
	WORD	$0x4f9290c6 // FMUL V6.4S, V6.4S, V18.S[0]
	WORD	$0x4f9290e7 // FMUL V7.4S, V7.4S, V18.S[0]
	// roundf then (int8_t): round half away from zero to int32
	// (saturating, as Go's float-to-int32 conversion on arm64), low byte.
	WORD	$0x4e21c800 // FCVTAS V0.4S, V0.4S
	WORD	$0x4e21c821 // FCVTAS V1.4S, V1.4S
	WORD	$0x4e21c842 // FCVTAS V2.4S, V2.4S
	WORD	$0x4e21c863 // FCVTAS V3.4S, V3.4S
	WORD	$0x4e21c884 // FCVTAS V4.4S, V4.4S
	WORD	$0x4e21c8a5 // FCVTAS V5.4S, V5.4S
	WORD	$0x4e21c8c6 // FCVTAS V6.4S, V6.4S
	WORD	$0x4e21c8e7 // FCVTAS V7.4S, V7.4S
	WORD	$0x0e612800 // XTN V0.4H, V0.4S
	WORD	$0x4e612820 // XTN2 V0.8H, V1.4S
	WORD	$0x0e612842 // XTN V2.4H, V2.4S
	WORD	$0x4e612862 // XTN2 V2.8H, V3.4S
	WORD	$0x0e612884 // XTN V4.4H, V4.4S
	WORD	$0x4e6128a4 // XTN2 V4.8H, V5.4S
	WORD	$0x0e6128c6 // XTN V6.4H, V6.4S
	WORD	$0x4e6128e6 // XTN2 V6.8H, V7.4S
	WORD	$0x0e212800 // XTN V0.8B, V0.8H
	WORD	$0x4e212840 // XTN2 V0.16B, V2.8H
	WORD	$0x0e212881 // XTN V1.8B, V4.8H
	WORD	$0x4e2128c1 // XTN2 V1.16B, V6.8H
	ADD	$2, R1, R7
	VST1	[V0.B16, V1.B16], (R7)
	ADD	$34, R1
	ADD	$128, R0
	ADD	$1, R3
	B	q80_block

q80_done:
	MOVD	R3, ret+24(FP)
	RET

// func quantQ8_KAsm(nb int, x *float32, y *byte) int
TEXT ·quantQ8_KAsm(SB), NOSPLIT, $0-32
	MOVD	nb+0(FP), R2
	MOVD	x+8(FP), R0
	MOVD	y+16(FP), R1
	MOVD	$0, R3
	MOVW	$0xc2fe0000, R4 // -127.0
	FMOVS	R4, F29
	FMOVS	$(1.0), F28
	MOVW	$0x4b400000, R4 // 12582912.0 = 1.5*2^23 (ggml's nearest_int)
	VDUP	R4, V27.S4
	MOVW	$0x007fffff, R4
	VDUP	R4, V26.S4
	MOVW	$0x00400000, R4
	VDUP	R4, V25.S4
	MOVW	$127, R4
	VDUP	R4, V24.S4

q8k_block:
	CMP	R2, R3
	BGE	q8k_done

	// amax over the 256 values, NaN-propagating.
	MOVD	R0, R5
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	MOVD	$16, R6

q8k_amax:
	VLD1.P	64(R5), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x4ea0f800 // FABS V0.4S, V0.4S
	WORD	$0x4ea0f821 // FABS V1.4S, V1.4S
	WORD	$0x4ea0f842 // FABS V2.4S, V2.4S
	WORD	$0x4ea0f863 // FABS V3.4S, V3.4S
	WORD	$0x4e20f610 // FMAX V16.4S, V16.4S, V0.4S
	WORD	$0x4e21f631 // FMAX V17.4S, V17.4S, V1.4S
	WORD	$0x4e22f652 // FMAX V18.4S, V18.4S, V2.4S
	WORD	$0x4e23f673 // FMAX V19.4S, V19.4S, V3.4S
	SUBS	$1, R6, R6
	BNE	q8k_amax
	WORD	$0x4e31f610 // FMAX V16.4S, V16.4S, V17.4S
	WORD	$0x4e33f652 // FMAX V18.4S, V18.4S, V19.4S
	WORD	$0x4e32f610 // FMAX V16.4S, V16.4S, V18.4S
	WORD	$0x6e30fa10 // FMAXV S16, V16.4S
	FCMPS	F16, F16
	BVS	q8k_done // NaN in the block: the reference handles it
	FCMPS	$(0.0), F16
	BEQ	q8k_done // all zero: the reference clears the block

	// vmax: the first value whose magnitude is amax. Find its run of 16
	// with vector compares, then the element.
	VDUP	V16.S[0], V16.S4
	MOVD	R0, R5

q8k_find16:
	VLD1	(R5), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x4ea0f800 // FABS V0.4S, V0.4S
	WORD	$0x4ea0f821 // FABS V1.4S, V1.4S
	WORD	$0x4ea0f842 // FABS V2.4S, V2.4S
	WORD	$0x4ea0f863 // FABS V3.4S, V3.4S
	WORD	$0x4e30e400 // FCMEQ V0.4S, V0.4S, V16.4S
	WORD	$0x4e30e421 // FCMEQ V1.4S, V1.4S, V16.4S
	WORD	$0x4e30e442 // FCMEQ V2.4S, V2.4S, V16.4S
	WORD	$0x4e30e463 // FCMEQ V3.4S, V3.4S, V16.4S
	VORR	V1.B16, V0.B16, V0.B16
	VORR	V3.B16, V2.B16, V2.B16
	VORR	V2.B16, V0.B16, V0.B16
	VMOV	V0.D[0], R7
	VMOV	V0.D[1], R8
	ORR	R7, R8, R8
	CBNZ	R8, q8k_find1
	ADD	$64, R5
	B	q8k_find16

q8k_find1:
	FMOVS.P	4(R5), F1
	FABSS	F1, F2
	FCMPS	F16, F2
	BNE	q8k_find1

	FDIVS	F1, F29, F30 // iscale = -127 / vmax
	FDIVS	F30, F28, F2 // d = 1 / iscale
	FMOVS	F2, (R1)
	ADD	$4, R1, R7 // quants
	ADD	$260, R1, R9 // bsums
	MOVD	$16, R6

q8k_quant: // 16 values, one bsum
	VLD1.P	64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD	$0x4f9e9000 // FMUL V0.4S, V0.4S, V30.S[0]
	WORD	$0x4f9e9021 // FMUL V1.4S, V1.4S, V30.S[0]
	WORD	$0x4f9e9042 // FMUL V2.4S, V2.4S, V30.S[0]
	WORD	$0x4f9e9063 // FMUL V3.4S, V3.4S, V30.S[0]
	// nearest_int: bits(p + 1.5*2^23) & 0x7fffff - 0x400000
	WORD	$0x4e3bd400 // FADD V0.4S, V0.4S, V27.4S
	WORD	$0x4e3bd421 // FADD V1.4S, V1.4S, V27.4S
	WORD	$0x4e3bd442 // FADD V2.4S, V2.4S, V27.4S
	WORD	$0x4e3bd463 // FADD V3.4S, V3.4S, V27.4S
	VAND	V26.B16, V0.B16, V0.B16
	VAND	V26.B16, V1.B16, V1.B16
	VAND	V26.B16, V2.B16, V2.B16
	VAND	V26.B16, V3.B16, V3.B16
	VSUB	V25.S4, V0.S4, V0.S4
	VSUB	V25.S4, V1.S4, V1.S4
	VSUB	V25.S4, V2.S4, V2.S4
	VSUB	V25.S4, V3.S4, V3.S4
	// MIN(127, q), then the low byte. (For inputs without NaN, which are
	// all that get here, |iscale*x| <= 127.00002 or iscale*x is +-Inf or
	// NaN, whose bit trick gives -0x400000 or 0: the clamp never bites, as
	// in ggml, but it is kept so the code is the reference's.)
	WORD	$0x4eb86c00 // SMIN V0.4S, V0.4S, V24.4S
	WORD	$0x4eb86c21 // SMIN V1.4S, V1.4S, V24.4S
	WORD	$0x4eb86c42 // SMIN V2.4S, V2.4S, V24.4S
	WORD	$0x4eb86c63 // SMIN V3.4S, V3.4S, V24.4S
	WORD	$0x0e612800 // XTN V0.4H, V0.4S
	WORD	$0x4e612820 // XTN2 V0.8H, V1.4S
	WORD	$0x0e612842 // XTN V2.4H, V2.4S
	WORD	$0x4e612862 // XTN2 V2.8H, V3.4S
	WORD	$0x0e212800 // XTN V0.8B, V0.8H
	WORD	$0x4e212840 // XTN2 V0.16B, V2.8H
	VST1.P	[V0.B16], 16(R7)
	WORD	$0x4e303801 // SADDLV H1, V0.16B
	FMOVS	F1, R8
	MOVH.P	R8, 2(R9)
	SUBS	$1, R6, R6
	BNE	q8k_quant

	ADD	$292, R1
	ADD	$1, R3
	B	q8k_block

q8k_done:
	MOVD	R3, ret+24(FP)
	RET

// func f32ToF16Asm(n int, x *float32, y *byte)
//
// F32ToF16 on n (a positive multiple of 8) values: FCVTN rounds to nearest
// even under the default FPCR (IEEE half, no flush to zero) and converts a
// NaN to the quiet NaN with the top of its payload, which are F32ToF16's
// bits for every input.
TEXT ·f32ToF16Asm(SB), NOSPLIT, $0-24
	MOVD	n+0(FP), R0
	MOVD	x+8(FP), R1
	MOVD	y+16(FP), R2

f16_loop:
	VLD1.P	32(R1), [V0.S4, V1.S4]
	WORD	$0x0e216802 // FCVTN V2.4H, V0.4S
	WORD	$0x4e216822 // FCVTN2 V2.8H, V1.4S
	VST1.P	[V2.H8], 16(R2)
	SUBS	$8, R0, R0
	BNE	f16_loop
	RET
