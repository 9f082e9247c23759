//go:build !purego && !noasm

#include "textflag.h"

// func axpyF16Asm(dst *float32, alpha float32, v *uint16, n int)
//
// dst[i] += alpha * float(v[i]) for n >= 1 elements: attention's weighted sum
// over an F16 value cache. Bit-identical to AxpyF16: FCVTL widens the halves
// exactly, and the product is rounded (FMUL) before the add (FADD), as the
// reference's float32() forces; no FMLA.
TEXT ·axpyF16Asm(SB), NOSPLIT, $0-32
	MOVD	dst+0(FP), R0
	FMOVS	alpha+8(FP), F31
	MOVD	v+16(FP), R1
	MOVD	n+24(FP), R2
	CMP	$8, R2
	BLT	axpy_tail

axpy_loop8:
	VLD1.P	16(R1), [V0.H8]
	VLD1	(R0), [V2.S4, V3.S4]
	WORD	$0x0e217804 // FCVTL V4.4S, V0.4H
	WORD	$0x4e217805 // FCVTL2 V5.4S, V0.8H
	WORD	$0x4f9f9084 // FMUL V4.4S, V4.4S, V31.S[0]
	WORD	$0x4f9f90a5 // FMUL V5.4S, V5.4S, V31.S[0]
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
	FMULS	F31, F0, F0
	FMOVS	(R0), F1
	FADDS	F0, F1, F1
	FMOVS.P	F1, 4(R0)
	SUBS	$1, R2, R2
	BNE	axpy_tail1

axpy_done:
	RET
