//go:build !purego && !noasm

#include "textflag.h"

// func dotF16Asm(n int, x, y *byte) float32
//
// Dot of two half-precision rows (F16 weights x F16 activations), n >= 1.
// Like the reference dotF16F16, every product of two halves is formed
// exactly in float32 (FCVTL widens exactly; 11-bit significands multiply
// into at most 22 bits, and no product of finite halves overflows or
// underflows float32) and summed in float64. The reference adds the
// products one by one; here eight float64 accumulators (four 2D vectors)
// take them in turn, then the tail is added one by one. That is the one
// documented difference from the reference: a float64 summation order, so
// |this - reference| <= 2*(n-1)*2^-53*sum|x*y| + 1 ulp of the float32 result
// (and equal NaN/Inf behaviour, as no float64 overflow is possible).
// Only ARMv8.0 instructions (no FEAT_FP16 arithmetic).
TEXT ·dotF16Asm(SB), NOSPLIT, $0-28
	MOVD	n+0(FP), R0
	MOVD	x+8(FP), R1
	MOVD	y+16(FP), R2
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	CMP	$8, R0
	BLT	f16_reduce

f16_loop8:
	VLD1.P	16(R1), [V1.H8]
	VLD1.P	16(R2), [V2.H8]
	WORD	$0x0e217823 // FCVTL V3.4S, V1.4H
	WORD	$0x4e217824 // FCVTL2 V4.4S, V1.8H
	WORD	$0x0e217845 // FCVTL V5.4S, V2.4H
	WORD	$0x4e217846 // FCVTL2 V6.4S, V2.8H
	WORD	$0x6e25dc63 // FMUL V3.4S, V3.4S, V5.4S
	WORD	$0x6e26dc84 // FMUL V4.4S, V4.4S, V6.4S
	WORD	$0x0e617867 // FCVTL V7.2D, V3.2S
	WORD	$0x4e617870 // FCVTL2 V16.2D, V3.4S
	WORD	$0x0e617891 // FCVTL V17.2D, V4.2S
	WORD	$0x4e617892 // FCVTL2 V18.2D, V4.4S
	WORD	$0x4e67d694 // FADD V20.2D, V20.2D, V7.2D
	WORD	$0x4e70d6b5 // FADD V21.2D, V21.2D, V16.2D
	WORD	$0x4e71d6d6 // FADD V22.2D, V22.2D, V17.2D
	WORD	$0x4e72d6f7 // FADD V23.2D, V23.2D, V18.2D
	SUB	$8, R0, R0
	CMP	$8, R0
	BGE	f16_loop8

f16_reduce:
	WORD	$0x4e75d694 // FADD V20.2D, V20.2D, V21.2D
	WORD	$0x4e77d6d6 // FADD V22.2D, V22.2D, V23.2D
	WORD	$0x4e76d694 // FADD V20.2D, V20.2D, V22.2D
	WORD	$0x7e70da94 // FADDP D20, V20.2D
	CBZ	R0, f16_done

f16_tail:
	MOVHU.P	2(R1), R3
	MOVHU.P	2(R2), R4
	FMOVS	R3, F1
	FCVTHS	F1, F1
	FMOVS	R4, F2
	FCVTHS	F2, F2
	FMULS	F2, F1, F1
	FCVTSD	F1, F1
	FADDD	F1, F20, F20
	SUBS	$1, R0, R0
	BNE	f16_tail

f16_done:
	FCVTDS	F20, F0
	FMOVS	F0, ret+24(FP)
	RET
