//go:build !purego && !noasm

#include "textflag.h"

// NEON dots of Q4_0 and Q8_0 weights against Q8_0 activations, bit-identical
// to dotQ4_0Q8_0 and dotQ8_0Q8_0: each block's integer sum is exact in any
// order, and the float32 steps are done one block at a time in the
// reference's order with separate multiplies and adds (FMULS, FADDS; never a
// fused FMADD), so the one serial dependency is a single FADDS per block.
//
// Two variants of each: SDOT (FEAT_DotProd: Cortex-A76/A55 and later,
// cpu.ARM64.HasASIMDDP) and plain ARMv8.0 NEON for the Cortex-A72 of the
// Raspberry Pi 4, which multiplies into int16 lanes with SMULL/SMLAL and
// widens with SADDLV/SADALP. Instructions Go's assembler does not know are
// WORDs; sdot_encoding_test.go re-derives each from its comment.
//
// Arguments: nb >= 1 blocks, w and a the first weight and activation block.

// func dotQ4_0Q8_0SDOTAsm(nb int, w, a *byte) float32
TEXT ·dotQ4_0Q8_0SDOTAsm(SB), NOSPLIT, $0-28
	MOVD	nb+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	VMOVI	$15, V31.B16
	VMOVI	$8, V30.B16
	VEOR	V0.B16, V0.B16, V0.B16 // sumf = +0

q4sdot_loop:
	MOVHU.P	2(R1), R3                                  // dx (half)
	VLD1.P	16(R1), [V1.B16]                           // 32 nibbles
	MOVHU.P	2(R2), R4                                  // dy (half)
	VLD1.P	32(R2), [V2.B16, V3.B16]                   // 32 int8
	VAND	V31.B16, V1.B16, V4.B16                    // elements 0..15
	VUSHR	$4, V1.B16, V5.B16                         // elements 16..31
	VSUB	V30.B16, V4.B16, V4.B16                    // -8
	VSUB	V30.B16, V5.B16, V5.B16
	VEOR	V6.B16, V6.B16, V6.B16
	WORD	$0x4e829486                                // SDOT V6.4S, V4.16B, V2.16B
	WORD	$0x4e8394a6                                // SDOT V6.4S, V5.16B, V3.16B
	VADDV	V6.S4, V6                                  // sumi
	WORD	$0x5e21d8c6                                // SCVTF S6, S6
	FMOVS	R3, F7
	FCVTHS	F7, F7
	FMOVS	R4, F8
	FCVTHS	F8, F8
	FMULS	F7, F6, F6                                 // (float)sumi * dx
	FMULS	F8, F6, F6                                 // ... * dy
	FADDS	F6, F0, F0                                 // sumf += ...
	SUBS	$1, R0, R0
	BNE	q4sdot_loop

	FMOVS	F0, ret+24(FP)
	RET

// func dotQ4_0Q8_0NEONAsm(nb int, w, a *byte) float32
TEXT ·dotQ4_0Q8_0NEONAsm(SB), NOSPLIT, $0-28
	MOVD	nb+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	VMOVI	$15, V31.B16
	VMOVI	$8, V30.B16
	VEOR	V0.B16, V0.B16, V0.B16

q4neon_loop:
	MOVHU.P	2(R1), R3
	VLD1.P	16(R1), [V1.B16]
	MOVHU.P	2(R2), R4
	VLD1.P	32(R2), [V2.B16, V3.B16]
	VAND	V31.B16, V1.B16, V4.B16
	VUSHR	$4, V1.B16, V5.B16
	VSUB	V30.B16, V4.B16, V4.B16
	VSUB	V30.B16, V5.B16, V5.B16
	// Products of [-8,7] x [-128,127]: four per int16 lane, |sum| <= 4096.
	WORD	$0x0e22c086                                // SMULL V6.8H, V4.8B, V2.8B
	WORD	$0x4e228086                                // SMLAL2 V6.8H, V4.16B, V2.16B
	WORD	$0x0e2380a6                                // SMLAL V6.8H, V5.8B, V3.8B
	WORD	$0x4e2380a6                                // SMLAL2 V6.8H, V5.16B, V3.16B
	WORD	$0x4e7038c6                                // SADDLV S6, V6.8H
	WORD	$0x5e21d8c6                                // SCVTF S6, S6
	FMOVS	R3, F7
	FCVTHS	F7, F7
	FMOVS	R4, F8
	FCVTHS	F8, F8
	FMULS	F7, F6, F6
	FMULS	F8, F6, F6
	FADDS	F6, F0, F0
	SUBS	$1, R0, R0
	BNE	q4neon_loop

	FMOVS	F0, ret+24(FP)
	RET

// func dotQ8_0Q8_0SDOTAsm(nb int, w, a *byte) float32
TEXT ·dotQ8_0Q8_0SDOTAsm(SB), NOSPLIT, $0-28
	MOVD	nb+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	VEOR	V0.B16, V0.B16, V0.B16

q8sdot_loop:
	MOVHU.P	2(R1), R3
	VLD1.P	32(R1), [V1.B16, V2.B16]
	MOVHU.P	2(R2), R4
	VLD1.P	32(R2), [V3.B16, V4.B16]
	VEOR	V6.B16, V6.B16, V6.B16
	WORD	$0x4e839426                                // SDOT V6.4S, V1.16B, V3.16B
	WORD	$0x4e849446                                // SDOT V6.4S, V2.16B, V4.16B
	VADDV	V6.S4, V6
	WORD	$0x5e21d8c6                                // SCVTF S6, S6
	FMOVS	R3, F7
	FCVTHS	F7, F7
	FMOVS	R4, F8
	FCVTHS	F8, F8
	FMULS	F8, F7, F7                                 // dx * dy
	FMULS	F7, F6, F6                                 // (float)sumi * (dx*dy)
	FADDS	F6, F0, F0
	SUBS	$1, R0, R0
	BNE	q8sdot_loop

	FMOVS	F0, ret+24(FP)
	RET

// func dotQ8_0Q8_0NEONAsm(nb int, w, a *byte) float32
TEXT ·dotQ8_0Q8_0NEONAsm(SB), NOSPLIT, $0-28
	MOVD	nb+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	VEOR	V0.B16, V0.B16, V0.B16

q8neon_loop:
	MOVHU.P	2(R1), R3
	VLD1.P	32(R1), [V1.B16, V2.B16]
	MOVHU.P	2(R2), R4
	VLD1.P	32(R2), [V3.B16, V4.B16]
	// One int8 x int8 product per int16 lane (|p| <= 16384; two could
	// reach 32768 and overflow), widened pairwise into int32.
	WORD	$0x0e23c025                                // SMULL V5.8H, V1.8B, V3.8B
	WORD	$0x4e23c026                                // SMULL2 V6.8H, V1.16B, V3.16B
	WORD	$0x0e24c047                                // SMULL V7.8H, V2.8B, V4.8B
	WORD	$0x4e24c050                                // SMULL2 V16.8H, V2.16B, V4.16B
	WORD	$0x4e6028a5                                // SADDLP V5.4S, V5.8H
	WORD	$0x4e6068c5                                // SADALP V5.4S, V6.8H
	WORD	$0x4e6068e5                                // SADALP V5.4S, V7.8H
	WORD	$0x4e606a05                                // SADALP V5.4S, V16.8H
	VADDV	V5.S4, V6
	WORD	$0x5e21d8c6                                // SCVTF S6, S6
	FMOVS	R3, F7
	FCVTHS	F7, F7
	FMOVS	R4, F8
	FCVTHS	F8, F8
	FMULS	F8, F7, F7
	FMULS	F7, F6, F6
	FADDS	F6, F0, F0
	SUBS	$1, R0, R0
	BNE	q8neon_loop

	FMOVS	F0, ret+24(FP)
	RET
