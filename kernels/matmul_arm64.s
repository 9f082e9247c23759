//go:build !purego && !noasm

#include "textflag.h"

// Packed (PackRows = 8 interleaved rows, see repack.go) matmul kernels for
// arm64 with the dot-product extension: the layout's 4-byte interleave is
// what SDOT's indexed form wants, SDOT Vd.4S, Vw.16B, Va.4B[k], which dots
// four rows' four quants with one activation dword, so one unpacked weight
// vector feeds every column and one activation register feeds every row.
// After the integer dot, lane i of two 4S registers is row i of the group,
// and the float scaling follows the reference's order per row (separate
// FMULs and FADD, no FMA): the results are bit-identical to the reference
// dots, as on amd64. The Go signatures and contracts are those of
// matmul_amd64.s (q8_0AuxAsm, gemmQ{4,8}_0x8x{4,1}Asm, packQ{4,8}_0Asm),
// so one tiling driver can serve both architectures. SDOT only: these are
// not for the Cortex-A72, whose per-row dots are as fast as a packed
// kernel without SDOT would be.

// func q8_0AuxAsm(nblk int, a *byte, ys *int32, dy *float32)
// For the nblk >= 1 Q8_0 blocks at a: ys[b] = 8*sum(qs) and dy[b] = d as
// float32, what the Q4_0 kernels need once per activation block.
TEXT ·q8_0AuxAsm(SB), NOSPLIT, $0-32
	MOVD	nblk+0(FP), R0
	MOVD	a+8(FP), R1
	MOVD	ys+16(FP), R2
	MOVD	dy+24(FP), R3

aux_loop:
	MOVHU.P	2(R1), R4
	VLD1.P	32(R1), [V0.B16, V1.B16]
	WORD	$0x4e202800 // SADDLP V0.8H, V0.16B
	WORD	$0x4e206820 // SADALP V0.8H, V1.16B
	WORD	$0x4e703800 // SADDLV S0, V0.8H
	FMOVS	F0, R5
	LSLW	$3, R5, R5
	MOVW.P	R5, 4(R2)
	FMOVS	R4, F1
	FCVTHS	F1, F1
	FMOVS.P	F1, 4(R3)
	SUBS	$1, R0, R0
	BNE	aux_loop
	RET

// func gemmQ4_0x8x4Asm(nblk int, w, a *byte, aStride int, ys *int32, dy *float32, auxStride int, acc *float32, accStride int, load bool)
// One packed Q4_0 group (8 rows, nblk >= 1 blocks of 144 bytes at w) times
// four Q8_0 activation columns (at a, aStride bytes apart), with ys/dy from
// q8_0AuxAsm for each column (auxStride bytes apart). The 8 row sums of
// column c are acc[c*accStride/4 : +8] (accStride in bytes), started from
// zero unless load. Nibbles are dotted unsigned; ys = 8*sum(y) removes the
// offset, exactly, in int32.
// R0 = blocks left, R1 = w, R2-R5 = columns, R6-R9 = ys, R10-R13 = dy,
// V16-V23 = row sums (two registers per column), V24-V31 = int32 block
// sums, V6-V13 = the block's activations, V15 = the rows' F16 scales,
// V14 = bytes of 0x0f, V0-V5 = weight vectors.
TEXT ·gemmQ4_0x8x4Asm(SB), NOSPLIT, $0-73
	MOVD	nblk+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	MOVD	aStride+24(FP), R17
	ADD	R17, R2, R3
	ADD	R17, R3, R4
	ADD	R17, R4, R5
	MOVD	ys+32(FP), R6
	MOVD	dy+40(FP), R10
	MOVD	auxStride+48(FP), R17
	ADD	R17, R6, R7
	ADD	R17, R7, R8
	ADD	R17, R8, R9
	ADD	R17, R10, R11
	ADD	R17, R11, R12
	ADD	R17, R12, R13
	MOVD	acc+56(FP), R14
	MOVD	accStride+64(FP), R15
	MOVBU	load+72(FP), R16
	VMOVI	$15, V14.B16
	CBZ	R16, gemmq4_0x8x4_zero
	MOVD	R14, R17
	VLD1	(R17), [V16.S4, V17.S4]
	ADD	R15, R17
	VLD1	(R17), [V18.S4, V19.S4]
	ADD	R15, R17
	VLD1	(R17), [V20.S4, V21.S4]
	ADD	R15, R17
	VLD1	(R17), [V22.S4, V23.S4]
	B	gemmq4_0x8x4_loop
gemmq4_0x8x4_zero:
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16

gemmq4_0x8x4_loop:
	VLD1.P	16(R1), [V15.H8] // the rows' scales
	ADD	$2, R2, R17
	VLD1	(R17), [V6.B16, V7.B16] // column 0: elements 0-15, 16-31
	ADD	$34, R2
	ADD	$2, R3, R17
	VLD1	(R17), [V8.B16, V9.B16] // column 1: elements 0-15, 16-31
	ADD	$34, R3
	ADD	$2, R4, R17
	VLD1	(R17), [V10.B16, V11.B16] // column 2: elements 0-15, 16-31
	ADD	$34, R4
	ADD	$2, R5, R17
	VLD1	(R17), [V12.B16, V13.B16] // column 3: elements 0-15, 16-31
	ADD	$34, R5
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V31.B16, V31.B16, V31.B16
	// weight vector 0
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	VAND	V14.B16, V0.B16, V2.B16 // elements 4k..4k+3
	VAND	V14.B16, V1.B16, V3.B16
	VUSHR	$4, V0.B16, V4.B16 // elements 16+4k..16+4k+3
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x4f86e058 // SDOT V24.4S, V2.16B, V6.4B[0]
	WORD	$0x4f86e079 // SDOT V25.4S, V3.16B, V6.4B[0]
	WORD	$0x4f87e098 // SDOT V24.4S, V4.16B, V7.4B[0]
	WORD	$0x4f87e0b9 // SDOT V25.4S, V5.16B, V7.4B[0]
	WORD	$0x4f88e05a // SDOT V26.4S, V2.16B, V8.4B[0]
	WORD	$0x4f88e07b // SDOT V27.4S, V3.16B, V8.4B[0]
	WORD	$0x4f89e09a // SDOT V26.4S, V4.16B, V9.4B[0]
	WORD	$0x4f89e0bb // SDOT V27.4S, V5.16B, V9.4B[0]
	WORD	$0x4f8ae05c // SDOT V28.4S, V2.16B, V10.4B[0]
	WORD	$0x4f8ae07d // SDOT V29.4S, V3.16B, V10.4B[0]
	WORD	$0x4f8be09c // SDOT V28.4S, V4.16B, V11.4B[0]
	WORD	$0x4f8be0bd // SDOT V29.4S, V5.16B, V11.4B[0]
	WORD	$0x4f8ce05e // SDOT V30.4S, V2.16B, V12.4B[0]
	WORD	$0x4f8ce07f // SDOT V31.4S, V3.16B, V12.4B[0]
	WORD	$0x4f8de09e // SDOT V30.4S, V4.16B, V13.4B[0]
	WORD	$0x4f8de0bf // SDOT V31.4S, V5.16B, V13.4B[0]
	// weight vector 1
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	VAND	V14.B16, V0.B16, V2.B16 // elements 4k..4k+3
	VAND	V14.B16, V1.B16, V3.B16
	VUSHR	$4, V0.B16, V4.B16 // elements 16+4k..16+4k+3
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x4fa6e058 // SDOT V24.4S, V2.16B, V6.4B[1]
	WORD	$0x4fa6e079 // SDOT V25.4S, V3.16B, V6.4B[1]
	WORD	$0x4fa7e098 // SDOT V24.4S, V4.16B, V7.4B[1]
	WORD	$0x4fa7e0b9 // SDOT V25.4S, V5.16B, V7.4B[1]
	WORD	$0x4fa8e05a // SDOT V26.4S, V2.16B, V8.4B[1]
	WORD	$0x4fa8e07b // SDOT V27.4S, V3.16B, V8.4B[1]
	WORD	$0x4fa9e09a // SDOT V26.4S, V4.16B, V9.4B[1]
	WORD	$0x4fa9e0bb // SDOT V27.4S, V5.16B, V9.4B[1]
	WORD	$0x4faae05c // SDOT V28.4S, V2.16B, V10.4B[1]
	WORD	$0x4faae07d // SDOT V29.4S, V3.16B, V10.4B[1]
	WORD	$0x4fabe09c // SDOT V28.4S, V4.16B, V11.4B[1]
	WORD	$0x4fabe0bd // SDOT V29.4S, V5.16B, V11.4B[1]
	WORD	$0x4face05e // SDOT V30.4S, V2.16B, V12.4B[1]
	WORD	$0x4face07f // SDOT V31.4S, V3.16B, V12.4B[1]
	WORD	$0x4fade09e // SDOT V30.4S, V4.16B, V13.4B[1]
	WORD	$0x4fade0bf // SDOT V31.4S, V5.16B, V13.4B[1]
	// weight vector 2
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	VAND	V14.B16, V0.B16, V2.B16 // elements 4k..4k+3
	VAND	V14.B16, V1.B16, V3.B16
	VUSHR	$4, V0.B16, V4.B16 // elements 16+4k..16+4k+3
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x4f86e858 // SDOT V24.4S, V2.16B, V6.4B[2]
	WORD	$0x4f86e879 // SDOT V25.4S, V3.16B, V6.4B[2]
	WORD	$0x4f87e898 // SDOT V24.4S, V4.16B, V7.4B[2]
	WORD	$0x4f87e8b9 // SDOT V25.4S, V5.16B, V7.4B[2]
	WORD	$0x4f88e85a // SDOT V26.4S, V2.16B, V8.4B[2]
	WORD	$0x4f88e87b // SDOT V27.4S, V3.16B, V8.4B[2]
	WORD	$0x4f89e89a // SDOT V26.4S, V4.16B, V9.4B[2]
	WORD	$0x4f89e8bb // SDOT V27.4S, V5.16B, V9.4B[2]
	WORD	$0x4f8ae85c // SDOT V28.4S, V2.16B, V10.4B[2]
	WORD	$0x4f8ae87d // SDOT V29.4S, V3.16B, V10.4B[2]
	WORD	$0x4f8be89c // SDOT V28.4S, V4.16B, V11.4B[2]
	WORD	$0x4f8be8bd // SDOT V29.4S, V5.16B, V11.4B[2]
	WORD	$0x4f8ce85e // SDOT V30.4S, V2.16B, V12.4B[2]
	WORD	$0x4f8ce87f // SDOT V31.4S, V3.16B, V12.4B[2]
	WORD	$0x4f8de89e // SDOT V30.4S, V4.16B, V13.4B[2]
	WORD	$0x4f8de8bf // SDOT V31.4S, V5.16B, V13.4B[2]
	// weight vector 3
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	VAND	V14.B16, V0.B16, V2.B16 // elements 4k..4k+3
	VAND	V14.B16, V1.B16, V3.B16
	VUSHR	$4, V0.B16, V4.B16 // elements 16+4k..16+4k+3
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x4fa6e858 // SDOT V24.4S, V2.16B, V6.4B[3]
	WORD	$0x4fa6e879 // SDOT V25.4S, V3.16B, V6.4B[3]
	WORD	$0x4fa7e898 // SDOT V24.4S, V4.16B, V7.4B[3]
	WORD	$0x4fa7e8b9 // SDOT V25.4S, V5.16B, V7.4B[3]
	WORD	$0x4fa8e85a // SDOT V26.4S, V2.16B, V8.4B[3]
	WORD	$0x4fa8e87b // SDOT V27.4S, V3.16B, V8.4B[3]
	WORD	$0x4fa9e89a // SDOT V26.4S, V4.16B, V9.4B[3]
	WORD	$0x4fa9e8bb // SDOT V27.4S, V5.16B, V9.4B[3]
	WORD	$0x4faae85c // SDOT V28.4S, V2.16B, V10.4B[3]
	WORD	$0x4faae87d // SDOT V29.4S, V3.16B, V10.4B[3]
	WORD	$0x4fabe89c // SDOT V28.4S, V4.16B, V11.4B[3]
	WORD	$0x4fabe8bd // SDOT V29.4S, V5.16B, V11.4B[3]
	WORD	$0x4face85e // SDOT V30.4S, V2.16B, V12.4B[3]
	WORD	$0x4face87f // SDOT V31.4S, V3.16B, V12.4B[3]
	WORD	$0x4fade89e // SDOT V30.4S, V4.16B, V13.4B[3]
	WORD	$0x4fade8bf // SDOT V31.4S, V5.16B, V13.4B[3]
	// per row: sumf += ((float)s * dx) * dy
	WORD	$0x0e2179e0 // FCVTL V0.4S, V15.4H
	WORD	$0x4e2179e1 // FCVTL2 V1.4S, V15.8H
	VLD1R.P	4(R6), [V2.S4] // 8*sum(y)
	VSUB	V2.S4, V24.S4, V24.S4
	VSUB	V2.S4, V25.S4, V25.S4
	FMOVS.P	4(R10), F3 // dy
	WORD	$0x4e21db18 // SCVTF V24.4S, V24.4S
	WORD	$0x4e21db39 // SCVTF V25.4S, V25.4S
	WORD	$0x6e20df18 // FMUL V24.4S, V24.4S, V0.4S
	WORD	$0x6e21df39 // FMUL V25.4S, V25.4S, V1.4S
	WORD	$0x4f839318 // FMUL V24.4S, V24.4S, V3.S[0]
	WORD	$0x4f839339 // FMUL V25.4S, V25.4S, V3.S[0]
	WORD	$0x4e38d610 // FADD V16.4S, V16.4S, V24.4S
	WORD	$0x4e39d631 // FADD V17.4S, V17.4S, V25.4S
	VLD1R.P	4(R7), [V2.S4] // 8*sum(y)
	VSUB	V2.S4, V26.S4, V26.S4
	VSUB	V2.S4, V27.S4, V27.S4
	FMOVS.P	4(R11), F3 // dy
	WORD	$0x4e21db5a // SCVTF V26.4S, V26.4S
	WORD	$0x4e21db7b // SCVTF V27.4S, V27.4S
	WORD	$0x6e20df5a // FMUL V26.4S, V26.4S, V0.4S
	WORD	$0x6e21df7b // FMUL V27.4S, V27.4S, V1.4S
	WORD	$0x4f83935a // FMUL V26.4S, V26.4S, V3.S[0]
	WORD	$0x4f83937b // FMUL V27.4S, V27.4S, V3.S[0]
	WORD	$0x4e3ad652 // FADD V18.4S, V18.4S, V26.4S
	WORD	$0x4e3bd673 // FADD V19.4S, V19.4S, V27.4S
	VLD1R.P	4(R8), [V2.S4] // 8*sum(y)
	VSUB	V2.S4, V28.S4, V28.S4
	VSUB	V2.S4, V29.S4, V29.S4
	FMOVS.P	4(R12), F3 // dy
	WORD	$0x4e21db9c // SCVTF V28.4S, V28.4S
	WORD	$0x4e21dbbd // SCVTF V29.4S, V29.4S
	WORD	$0x6e20df9c // FMUL V28.4S, V28.4S, V0.4S
	WORD	$0x6e21dfbd // FMUL V29.4S, V29.4S, V1.4S
	WORD	$0x4f83939c // FMUL V28.4S, V28.4S, V3.S[0]
	WORD	$0x4f8393bd // FMUL V29.4S, V29.4S, V3.S[0]
	WORD	$0x4e3cd694 // FADD V20.4S, V20.4S, V28.4S
	WORD	$0x4e3dd6b5 // FADD V21.4S, V21.4S, V29.4S
	VLD1R.P	4(R9), [V2.S4] // 8*sum(y)
	VSUB	V2.S4, V30.S4, V30.S4
	VSUB	V2.S4, V31.S4, V31.S4
	FMOVS.P	4(R13), F3 // dy
	WORD	$0x4e21dbde // SCVTF V30.4S, V30.4S
	WORD	$0x4e21dbff // SCVTF V31.4S, V31.4S
	WORD	$0x6e20dfde // FMUL V30.4S, V30.4S, V0.4S
	WORD	$0x6e21dfff // FMUL V31.4S, V31.4S, V1.4S
	WORD	$0x4f8393de // FMUL V30.4S, V30.4S, V3.S[0]
	WORD	$0x4f8393ff // FMUL V31.4S, V31.4S, V3.S[0]
	WORD	$0x4e3ed6d6 // FADD V22.4S, V22.4S, V30.4S
	WORD	$0x4e3fd6f7 // FADD V23.4S, V23.4S, V31.4S
	SUBS	$1, R0, R0
	BNE	gemmq4_0x8x4_loop

	MOVD	R14, R17
	VST1	[V16.S4, V17.S4], (R17)
	ADD	R15, R17
	VST1	[V18.S4, V19.S4], (R17)
	ADD	R15, R17
	VST1	[V20.S4, V21.S4], (R17)
	ADD	R15, R17
	VST1	[V22.S4, V23.S4], (R17)
	RET

// func gemmQ4_0x8x1Asm(nblk int, w, a *byte, ys *int32, dy *float32, acc *float32, load bool)
// gemmQ4_0x84Asm for one column (decode).
TEXT ·gemmQ4_0x8x1Asm(SB), NOSPLIT, $0-49
	MOVD	nblk+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	MOVD	ys+24(FP), R6
	MOVD	dy+32(FP), R10
	MOVD	acc+40(FP), R14
	MOVD	$0, R15
	MOVBU	load+48(FP), R16
	VMOVI	$15, V14.B16
	CBZ	R16, gemmq4_0x8x1_zero
	MOVD	R14, R17
	VLD1	(R17), [V16.S4, V17.S4]
	B	gemmq4_0x8x1_loop
gemmq4_0x8x1_zero:
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16

gemmq4_0x8x1_loop:
	VLD1.P	16(R1), [V15.H8] // the rows' scales
	ADD	$2, R2, R17
	VLD1	(R17), [V6.B16, V7.B16] // column 0: elements 0-15, 16-31
	ADD	$34, R2
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	// weight vector 0
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	VAND	V14.B16, V0.B16, V2.B16 // elements 4k..4k+3
	VAND	V14.B16, V1.B16, V3.B16
	VUSHR	$4, V0.B16, V4.B16 // elements 16+4k..16+4k+3
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x4f86e058 // SDOT V24.4S, V2.16B, V6.4B[0]
	WORD	$0x4f86e079 // SDOT V25.4S, V3.16B, V6.4B[0]
	WORD	$0x4f87e098 // SDOT V24.4S, V4.16B, V7.4B[0]
	WORD	$0x4f87e0b9 // SDOT V25.4S, V5.16B, V7.4B[0]
	// weight vector 1
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	VAND	V14.B16, V0.B16, V2.B16 // elements 4k..4k+3
	VAND	V14.B16, V1.B16, V3.B16
	VUSHR	$4, V0.B16, V4.B16 // elements 16+4k..16+4k+3
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x4fa6e058 // SDOT V24.4S, V2.16B, V6.4B[1]
	WORD	$0x4fa6e079 // SDOT V25.4S, V3.16B, V6.4B[1]
	WORD	$0x4fa7e098 // SDOT V24.4S, V4.16B, V7.4B[1]
	WORD	$0x4fa7e0b9 // SDOT V25.4S, V5.16B, V7.4B[1]
	// weight vector 2
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	VAND	V14.B16, V0.B16, V2.B16 // elements 4k..4k+3
	VAND	V14.B16, V1.B16, V3.B16
	VUSHR	$4, V0.B16, V4.B16 // elements 16+4k..16+4k+3
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x4f86e858 // SDOT V24.4S, V2.16B, V6.4B[2]
	WORD	$0x4f86e879 // SDOT V25.4S, V3.16B, V6.4B[2]
	WORD	$0x4f87e898 // SDOT V24.4S, V4.16B, V7.4B[2]
	WORD	$0x4f87e8b9 // SDOT V25.4S, V5.16B, V7.4B[2]
	// weight vector 3
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	VAND	V14.B16, V0.B16, V2.B16 // elements 4k..4k+3
	VAND	V14.B16, V1.B16, V3.B16
	VUSHR	$4, V0.B16, V4.B16 // elements 16+4k..16+4k+3
	VUSHR	$4, V1.B16, V5.B16
	WORD	$0x4fa6e858 // SDOT V24.4S, V2.16B, V6.4B[3]
	WORD	$0x4fa6e879 // SDOT V25.4S, V3.16B, V6.4B[3]
	WORD	$0x4fa7e898 // SDOT V24.4S, V4.16B, V7.4B[3]
	WORD	$0x4fa7e8b9 // SDOT V25.4S, V5.16B, V7.4B[3]
	// per row: sumf += ((float)s * dx) * dy
	WORD	$0x0e2179e0 // FCVTL V0.4S, V15.4H
	WORD	$0x4e2179e1 // FCVTL2 V1.4S, V15.8H
	VLD1R.P	4(R6), [V2.S4] // 8*sum(y)
	VSUB	V2.S4, V24.S4, V24.S4
	VSUB	V2.S4, V25.S4, V25.S4
	FMOVS.P	4(R10), F3 // dy
	WORD	$0x4e21db18 // SCVTF V24.4S, V24.4S
	WORD	$0x4e21db39 // SCVTF V25.4S, V25.4S
	WORD	$0x6e20df18 // FMUL V24.4S, V24.4S, V0.4S
	WORD	$0x6e21df39 // FMUL V25.4S, V25.4S, V1.4S
	WORD	$0x4f839318 // FMUL V24.4S, V24.4S, V3.S[0]
	WORD	$0x4f839339 // FMUL V25.4S, V25.4S, V3.S[0]
	WORD	$0x4e38d610 // FADD V16.4S, V16.4S, V24.4S
	WORD	$0x4e39d631 // FADD V17.4S, V17.4S, V25.4S
	SUBS	$1, R0, R0
	BNE	gemmq4_0x8x1_loop

	MOVD	R14, R17
	VST1	[V16.S4, V17.S4], (R17)
	RET

// func gemmQ8_0x8x4Asm(nblk int, w, a *byte, aStride int, ys *int32, dy *float32, auxStride int, acc *float32, accStride int, load bool)
// As gemmQ4_0x8x4Asm for packed Q8_0 (272-byte blocks: 8 scales, then 8
// vectors of 8 rows x 4 signed bytes); ys is not used. Exact for every
// activation byte, -128 included.
// R0 = blocks left, R1 = w, R2-R5 = columns, R6-R9 = ys, R10-R13 = dy,
// V16-V23 = row sums (two registers per column), V24-V31 = int32 block
// sums, V6-V13 = the block's activations, V15 = the rows' F16 scales,
// V14 = bytes of 0x0f, V0-V5 = weight vectors.
TEXT ·gemmQ8_0x8x4Asm(SB), NOSPLIT, $0-73
	MOVD	nblk+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	MOVD	aStride+24(FP), R17
	ADD	R17, R2, R3
	ADD	R17, R3, R4
	ADD	R17, R4, R5
	MOVD	ys+32(FP), R6
	MOVD	dy+40(FP), R10
	MOVD	auxStride+48(FP), R17
	ADD	R17, R6, R7
	ADD	R17, R7, R8
	ADD	R17, R8, R9
	ADD	R17, R10, R11
	ADD	R17, R11, R12
	ADD	R17, R12, R13
	MOVD	acc+56(FP), R14
	MOVD	accStride+64(FP), R15
	MOVBU	load+72(FP), R16
	VMOVI	$15, V14.B16
	CBZ	R16, gemmq8_0x8x4_zero
	MOVD	R14, R17
	VLD1	(R17), [V16.S4, V17.S4]
	ADD	R15, R17
	VLD1	(R17), [V18.S4, V19.S4]
	ADD	R15, R17
	VLD1	(R17), [V20.S4, V21.S4]
	ADD	R15, R17
	VLD1	(R17), [V22.S4, V23.S4]
	B	gemmq8_0x8x4_loop
gemmq8_0x8x4_zero:
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16

gemmq8_0x8x4_loop:
	VLD1.P	16(R1), [V15.H8] // the rows' scales
	ADD	$2, R2, R17
	VLD1	(R17), [V6.B16, V7.B16] // column 0: elements 0-15, 16-31
	ADD	$34, R2
	ADD	$2, R3, R17
	VLD1	(R17), [V8.B16, V9.B16] // column 1: elements 0-15, 16-31
	ADD	$34, R3
	ADD	$2, R4, R17
	VLD1	(R17), [V10.B16, V11.B16] // column 2: elements 0-15, 16-31
	ADD	$34, R4
	ADD	$2, R5, R17
	VLD1	(R17), [V12.B16, V13.B16] // column 3: elements 0-15, 16-31
	ADD	$34, R5
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V31.B16, V31.B16, V31.B16
	// weight vector 0
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4f86e018 // SDOT V24.4S, V0.16B, V6.4B[0]
	WORD	$0x4f86e039 // SDOT V25.4S, V1.16B, V6.4B[0]
	WORD	$0x4f88e01a // SDOT V26.4S, V0.16B, V8.4B[0]
	WORD	$0x4f88e03b // SDOT V27.4S, V1.16B, V8.4B[0]
	WORD	$0x4f8ae01c // SDOT V28.4S, V0.16B, V10.4B[0]
	WORD	$0x4f8ae03d // SDOT V29.4S, V1.16B, V10.4B[0]
	WORD	$0x4f8ce01e // SDOT V30.4S, V0.16B, V12.4B[0]
	WORD	$0x4f8ce03f // SDOT V31.4S, V1.16B, V12.4B[0]
	// weight vector 1
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4fa6e018 // SDOT V24.4S, V0.16B, V6.4B[1]
	WORD	$0x4fa6e039 // SDOT V25.4S, V1.16B, V6.4B[1]
	WORD	$0x4fa8e01a // SDOT V26.4S, V0.16B, V8.4B[1]
	WORD	$0x4fa8e03b // SDOT V27.4S, V1.16B, V8.4B[1]
	WORD	$0x4faae01c // SDOT V28.4S, V0.16B, V10.4B[1]
	WORD	$0x4faae03d // SDOT V29.4S, V1.16B, V10.4B[1]
	WORD	$0x4face01e // SDOT V30.4S, V0.16B, V12.4B[1]
	WORD	$0x4face03f // SDOT V31.4S, V1.16B, V12.4B[1]
	// weight vector 2
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4f86e818 // SDOT V24.4S, V0.16B, V6.4B[2]
	WORD	$0x4f86e839 // SDOT V25.4S, V1.16B, V6.4B[2]
	WORD	$0x4f88e81a // SDOT V26.4S, V0.16B, V8.4B[2]
	WORD	$0x4f88e83b // SDOT V27.4S, V1.16B, V8.4B[2]
	WORD	$0x4f8ae81c // SDOT V28.4S, V0.16B, V10.4B[2]
	WORD	$0x4f8ae83d // SDOT V29.4S, V1.16B, V10.4B[2]
	WORD	$0x4f8ce81e // SDOT V30.4S, V0.16B, V12.4B[2]
	WORD	$0x4f8ce83f // SDOT V31.4S, V1.16B, V12.4B[2]
	// weight vector 3
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4fa6e818 // SDOT V24.4S, V0.16B, V6.4B[3]
	WORD	$0x4fa6e839 // SDOT V25.4S, V1.16B, V6.4B[3]
	WORD	$0x4fa8e81a // SDOT V26.4S, V0.16B, V8.4B[3]
	WORD	$0x4fa8e83b // SDOT V27.4S, V1.16B, V8.4B[3]
	WORD	$0x4faae81c // SDOT V28.4S, V0.16B, V10.4B[3]
	WORD	$0x4faae83d // SDOT V29.4S, V1.16B, V10.4B[3]
	WORD	$0x4face81e // SDOT V30.4S, V0.16B, V12.4B[3]
	WORD	$0x4face83f // SDOT V31.4S, V1.16B, V12.4B[3]
	// weight vector 4
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4f87e018 // SDOT V24.4S, V0.16B, V7.4B[0]
	WORD	$0x4f87e039 // SDOT V25.4S, V1.16B, V7.4B[0]
	WORD	$0x4f89e01a // SDOT V26.4S, V0.16B, V9.4B[0]
	WORD	$0x4f89e03b // SDOT V27.4S, V1.16B, V9.4B[0]
	WORD	$0x4f8be01c // SDOT V28.4S, V0.16B, V11.4B[0]
	WORD	$0x4f8be03d // SDOT V29.4S, V1.16B, V11.4B[0]
	WORD	$0x4f8de01e // SDOT V30.4S, V0.16B, V13.4B[0]
	WORD	$0x4f8de03f // SDOT V31.4S, V1.16B, V13.4B[0]
	// weight vector 5
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4fa7e018 // SDOT V24.4S, V0.16B, V7.4B[1]
	WORD	$0x4fa7e039 // SDOT V25.4S, V1.16B, V7.4B[1]
	WORD	$0x4fa9e01a // SDOT V26.4S, V0.16B, V9.4B[1]
	WORD	$0x4fa9e03b // SDOT V27.4S, V1.16B, V9.4B[1]
	WORD	$0x4fabe01c // SDOT V28.4S, V0.16B, V11.4B[1]
	WORD	$0x4fabe03d // SDOT V29.4S, V1.16B, V11.4B[1]
	WORD	$0x4fade01e // SDOT V30.4S, V0.16B, V13.4B[1]
	WORD	$0x4fade03f // SDOT V31.4S, V1.16B, V13.4B[1]
	// weight vector 6
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4f87e818 // SDOT V24.4S, V0.16B, V7.4B[2]
	WORD	$0x4f87e839 // SDOT V25.4S, V1.16B, V7.4B[2]
	WORD	$0x4f89e81a // SDOT V26.4S, V0.16B, V9.4B[2]
	WORD	$0x4f89e83b // SDOT V27.4S, V1.16B, V9.4B[2]
	WORD	$0x4f8be81c // SDOT V28.4S, V0.16B, V11.4B[2]
	WORD	$0x4f8be83d // SDOT V29.4S, V1.16B, V11.4B[2]
	WORD	$0x4f8de81e // SDOT V30.4S, V0.16B, V13.4B[2]
	WORD	$0x4f8de83f // SDOT V31.4S, V1.16B, V13.4B[2]
	// weight vector 7
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4fa7e818 // SDOT V24.4S, V0.16B, V7.4B[3]
	WORD	$0x4fa7e839 // SDOT V25.4S, V1.16B, V7.4B[3]
	WORD	$0x4fa9e81a // SDOT V26.4S, V0.16B, V9.4B[3]
	WORD	$0x4fa9e83b // SDOT V27.4S, V1.16B, V9.4B[3]
	WORD	$0x4fabe81c // SDOT V28.4S, V0.16B, V11.4B[3]
	WORD	$0x4fabe83d // SDOT V29.4S, V1.16B, V11.4B[3]
	WORD	$0x4fade81e // SDOT V30.4S, V0.16B, V13.4B[3]
	WORD	$0x4fade83f // SDOT V31.4S, V1.16B, V13.4B[3]
	// per row: sumf += (float)s * (dx*dy)
	WORD	$0x0e2179e0 // FCVTL V0.4S, V15.4H
	WORD	$0x4e2179e1 // FCVTL2 V1.4S, V15.8H
	FMOVS.P	4(R10), F3 // dy
	WORD	$0x4e21db18 // SCVTF V24.4S, V24.4S
	WORD	$0x4e21db39 // SCVTF V25.4S, V25.4S
	WORD	$0x4f839004 // FMUL V4.4S, V0.4S, V3.S[0]
	WORD	$0x4f839025 // FMUL V5.4S, V1.4S, V3.S[0]
	WORD	$0x6e24df18 // FMUL V24.4S, V24.4S, V4.4S
	WORD	$0x6e25df39 // FMUL V25.4S, V25.4S, V5.4S
	WORD	$0x4e38d610 // FADD V16.4S, V16.4S, V24.4S
	WORD	$0x4e39d631 // FADD V17.4S, V17.4S, V25.4S
	FMOVS.P	4(R11), F3 // dy
	WORD	$0x4e21db5a // SCVTF V26.4S, V26.4S
	WORD	$0x4e21db7b // SCVTF V27.4S, V27.4S
	WORD	$0x4f839004 // FMUL V4.4S, V0.4S, V3.S[0]
	WORD	$0x4f839025 // FMUL V5.4S, V1.4S, V3.S[0]
	WORD	$0x6e24df5a // FMUL V26.4S, V26.4S, V4.4S
	WORD	$0x6e25df7b // FMUL V27.4S, V27.4S, V5.4S
	WORD	$0x4e3ad652 // FADD V18.4S, V18.4S, V26.4S
	WORD	$0x4e3bd673 // FADD V19.4S, V19.4S, V27.4S
	FMOVS.P	4(R12), F3 // dy
	WORD	$0x4e21db9c // SCVTF V28.4S, V28.4S
	WORD	$0x4e21dbbd // SCVTF V29.4S, V29.4S
	WORD	$0x4f839004 // FMUL V4.4S, V0.4S, V3.S[0]
	WORD	$0x4f839025 // FMUL V5.4S, V1.4S, V3.S[0]
	WORD	$0x6e24df9c // FMUL V28.4S, V28.4S, V4.4S
	WORD	$0x6e25dfbd // FMUL V29.4S, V29.4S, V5.4S
	WORD	$0x4e3cd694 // FADD V20.4S, V20.4S, V28.4S
	WORD	$0x4e3dd6b5 // FADD V21.4S, V21.4S, V29.4S
	FMOVS.P	4(R13), F3 // dy
	WORD	$0x4e21dbde // SCVTF V30.4S, V30.4S
	WORD	$0x4e21dbff // SCVTF V31.4S, V31.4S
	WORD	$0x4f839004 // FMUL V4.4S, V0.4S, V3.S[0]
	WORD	$0x4f839025 // FMUL V5.4S, V1.4S, V3.S[0]
	WORD	$0x6e24dfde // FMUL V30.4S, V30.4S, V4.4S
	WORD	$0x6e25dfff // FMUL V31.4S, V31.4S, V5.4S
	WORD	$0x4e3ed6d6 // FADD V22.4S, V22.4S, V30.4S
	WORD	$0x4e3fd6f7 // FADD V23.4S, V23.4S, V31.4S
	SUBS	$1, R0, R0
	BNE	gemmq8_0x8x4_loop

	MOVD	R14, R17
	VST1	[V16.S4, V17.S4], (R17)
	ADD	R15, R17
	VST1	[V18.S4, V19.S4], (R17)
	ADD	R15, R17
	VST1	[V20.S4, V21.S4], (R17)
	ADD	R15, R17
	VST1	[V22.S4, V23.S4], (R17)
	RET

// func gemmQ8_0x8x1Asm(nblk int, w, a *byte, ys *int32, dy *float32, acc *float32, load bool)
// gemmQ8_0x84Asm for one column (decode).
TEXT ·gemmQ8_0x8x1Asm(SB), NOSPLIT, $0-49
	MOVD	nblk+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	MOVD	ys+24(FP), R6
	MOVD	dy+32(FP), R10
	MOVD	acc+40(FP), R14
	MOVD	$0, R15
	MOVBU	load+48(FP), R16
	VMOVI	$15, V14.B16
	CBZ	R16, gemmq8_0x8x1_zero
	MOVD	R14, R17
	VLD1	(R17), [V16.S4, V17.S4]
	B	gemmq8_0x8x1_loop
gemmq8_0x8x1_zero:
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16

gemmq8_0x8x1_loop:
	VLD1.P	16(R1), [V15.H8] // the rows' scales
	ADD	$2, R2, R17
	VLD1	(R17), [V6.B16, V7.B16] // column 0: elements 0-15, 16-31
	ADD	$34, R2
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	// weight vector 0
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4f86e018 // SDOT V24.4S, V0.16B, V6.4B[0]
	WORD	$0x4f86e039 // SDOT V25.4S, V1.16B, V6.4B[0]
	// weight vector 1
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4fa6e018 // SDOT V24.4S, V0.16B, V6.4B[1]
	WORD	$0x4fa6e039 // SDOT V25.4S, V1.16B, V6.4B[1]
	// weight vector 2
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4f86e818 // SDOT V24.4S, V0.16B, V6.4B[2]
	WORD	$0x4f86e839 // SDOT V25.4S, V1.16B, V6.4B[2]
	// weight vector 3
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4fa6e818 // SDOT V24.4S, V0.16B, V6.4B[3]
	WORD	$0x4fa6e839 // SDOT V25.4S, V1.16B, V6.4B[3]
	// weight vector 4
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4f87e018 // SDOT V24.4S, V0.16B, V7.4B[0]
	WORD	$0x4f87e039 // SDOT V25.4S, V1.16B, V7.4B[0]
	// weight vector 5
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4fa7e018 // SDOT V24.4S, V0.16B, V7.4B[1]
	WORD	$0x4fa7e039 // SDOT V25.4S, V1.16B, V7.4B[1]
	// weight vector 6
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4f87e818 // SDOT V24.4S, V0.16B, V7.4B[2]
	WORD	$0x4f87e839 // SDOT V25.4S, V1.16B, V7.4B[2]
	// weight vector 7
	VLD1.P	32(R1), [V0.B16, V1.B16] // rows 0-3, rows 4-7
	WORD	$0x4fa7e818 // SDOT V24.4S, V0.16B, V7.4B[3]
	WORD	$0x4fa7e839 // SDOT V25.4S, V1.16B, V7.4B[3]
	// per row: sumf += (float)s * (dx*dy)
	WORD	$0x0e2179e0 // FCVTL V0.4S, V15.4H
	WORD	$0x4e2179e1 // FCVTL2 V1.4S, V15.8H
	FMOVS.P	4(R10), F3 // dy
	WORD	$0x4e21db18 // SCVTF V24.4S, V24.4S
	WORD	$0x4e21db39 // SCVTF V25.4S, V25.4S
	WORD	$0x4f839004 // FMUL V4.4S, V0.4S, V3.S[0]
	WORD	$0x4f839025 // FMUL V5.4S, V1.4S, V3.S[0]
	WORD	$0x6e24df18 // FMUL V24.4S, V24.4S, V4.4S
	WORD	$0x6e25df39 // FMUL V25.4S, V25.4S, V5.4S
	WORD	$0x4e38d610 // FADD V16.4S, V16.4S, V24.4S
	WORD	$0x4e39d631 // FADD V17.4S, V17.4S, V25.4S
	SUBS	$1, R0, R0
	BNE	gemmq8_0x8x1_loop

	MOVD	R14, R17
	VST1	[V16.S4, V17.S4], (R17)
	RET

// func packQ4_0Asm(dst, src *byte, rowBytes, nblk int)
// Packs nblk >= 1 Q4_0 blocks of eight rows (row i at src + i*rowBytes)
// into nblk 144-byte packed blocks at dst: the rows' F16 scales, then a 4x4
// transpose of 32-bit words per four rows (TRN1/TRN2 on words, then on
// doublewords).
TEXT ·packQ4_0Asm(SB), NOSPLIT, $0-32
	MOVD	dst+0(FP), R0
	MOVD	src+8(FP), R1
	MOVD	rowBytes+16(FP), R10
	MOVD	nblk+24(FP), R11
	ADD	R10, R1, R2
	ADD	R10, R2, R3
	ADD	R10, R3, R4
	ADD	R10, R4, R5
	ADD	R10, R5, R6
	ADD	R10, R6, R7
	ADD	R10, R7, R8

packq4_0asm_loop:
	MOVHU	(R1), R9
	MOVH.P	R9, 2(R0) // scale of row 0
	MOVHU	(R2), R9
	MOVH.P	R9, 2(R0) // scale of row 1
	MOVHU	(R3), R9
	MOVH.P	R9, 2(R0) // scale of row 2
	MOVHU	(R4), R9
	MOVH.P	R9, 2(R0) // scale of row 3
	MOVHU	(R5), R9
	MOVH.P	R9, 2(R0) // scale of row 4
	MOVHU	(R6), R9
	MOVH.P	R9, 2(R0) // scale of row 5
	MOVHU	(R7), R9
	MOVH.P	R9, 2(R0) // scale of row 6
	MOVHU	(R8), R9
	MOVH.P	R9, 2(R0) // scale of row 7
	ADD	$2, R1, R9
	VLD1	(R9), [V0.B16] // row 0: words 0-3
	ADD	$18, R1
	ADD	$2, R2, R9
	VLD1	(R9), [V1.B16] // row 1: words 0-3
	ADD	$18, R2
	ADD	$2, R3, R9
	VLD1	(R9), [V2.B16] // row 2: words 0-3
	ADD	$18, R3
	ADD	$2, R4, R9
	VLD1	(R9), [V3.B16] // row 3: words 0-3
	ADD	$18, R4
	ADD	$2, R5, R9
	VLD1	(R9), [V4.B16] // row 4: words 0-3
	ADD	$18, R5
	ADD	$2, R6, R9
	VLD1	(R9), [V5.B16] // row 5: words 0-3
	ADD	$18, R6
	ADD	$2, R7, R9
	VLD1	(R9), [V6.B16] // row 6: words 0-3
	ADD	$18, R7
	ADD	$2, R8, R9
	VLD1	(R9), [V7.B16] // row 7: words 0-3
	ADD	$18, R8
	VTRN1	V1.S4, V0.S4, V16.S4
	VTRN2	V1.S4, V0.S4, V17.S4
	VTRN1	V3.S4, V2.S4, V18.S4
	VTRN2	V3.S4, V2.S4, V19.S4
	VTRN1	V18.D2, V16.D2, V24.D2 // word 0 of the four rows
	VTRN1	V19.D2, V17.D2, V26.D2 // word 1
	VTRN2	V18.D2, V16.D2, V28.D2 // word 2
	VTRN2	V19.D2, V17.D2, V30.D2 // word 3
	VTRN1	V5.S4, V4.S4, V20.S4
	VTRN2	V5.S4, V4.S4, V21.S4
	VTRN1	V7.S4, V6.S4, V22.S4
	VTRN2	V7.S4, V6.S4, V23.S4
	VTRN1	V22.D2, V20.D2, V25.D2 // word 0 of the four rows
	VTRN1	V23.D2, V21.D2, V27.D2 // word 1
	VTRN2	V22.D2, V20.D2, V29.D2 // word 2
	VTRN2	V23.D2, V21.D2, V31.D2 // word 3
	VST1.P	[V24.B16, V25.B16], 32(R0) // vector 0: rows 0-3, 4-7
	VST1.P	[V26.B16, V27.B16], 32(R0) // vector 1: rows 0-3, 4-7
	VST1.P	[V28.B16, V29.B16], 32(R0) // vector 2: rows 0-3, 4-7
	VST1.P	[V30.B16, V31.B16], 32(R0) // vector 3: rows 0-3, 4-7
	SUBS	$1, R11, R11
	BNE	packq4_0asm_loop
	RET

// func packQ8_0Asm(dst, src *byte, rowBytes, nblk int)
// As packQ4_0Asm for Q8_0: two 4x4 transposes of 32-bit words per
// four rows and half block, into nblk 272-byte packed blocks.
TEXT ·packQ8_0Asm(SB), NOSPLIT, $0-32
	MOVD	dst+0(FP), R0
	MOVD	src+8(FP), R1
	MOVD	rowBytes+16(FP), R10
	MOVD	nblk+24(FP), R11
	ADD	R10, R1, R2
	ADD	R10, R2, R3
	ADD	R10, R3, R4
	ADD	R10, R4, R5
	ADD	R10, R5, R6
	ADD	R10, R6, R7
	ADD	R10, R7, R8

packq8_0asm_loop:
	MOVHU	(R1), R9
	MOVH.P	R9, 2(R0) // scale of row 0
	MOVHU	(R2), R9
	MOVH.P	R9, 2(R0) // scale of row 1
	MOVHU	(R3), R9
	MOVH.P	R9, 2(R0) // scale of row 2
	MOVHU	(R4), R9
	MOVH.P	R9, 2(R0) // scale of row 3
	MOVHU	(R5), R9
	MOVH.P	R9, 2(R0) // scale of row 4
	MOVHU	(R6), R9
	MOVH.P	R9, 2(R0) // scale of row 5
	MOVHU	(R7), R9
	MOVH.P	R9, 2(R0) // scale of row 6
	MOVHU	(R8), R9
	MOVH.P	R9, 2(R0) // scale of row 7
	ADD	$2, R1, R9
	VLD1	(R9), [V0.B16, V1.B16] // row 0: words 0-3, 4-7
	ADD	$34, R1
	ADD	$2, R2, R9
	VLD1	(R9), [V2.B16, V3.B16] // row 1: words 0-3, 4-7
	ADD	$34, R2
	ADD	$2, R3, R9
	VLD1	(R9), [V4.B16, V5.B16] // row 2: words 0-3, 4-7
	ADD	$34, R3
	ADD	$2, R4, R9
	VLD1	(R9), [V6.B16, V7.B16] // row 3: words 0-3, 4-7
	ADD	$34, R4
	ADD	$2, R5, R9
	VLD1	(R9), [V8.B16, V9.B16] // row 4: words 0-3, 4-7
	ADD	$34, R5
	ADD	$2, R6, R9
	VLD1	(R9), [V10.B16, V11.B16] // row 5: words 0-3, 4-7
	ADD	$34, R6
	ADD	$2, R7, R9
	VLD1	(R9), [V12.B16, V13.B16] // row 6: words 0-3, 4-7
	ADD	$34, R7
	ADD	$2, R8, R9
	VLD1	(R9), [V14.B16, V15.B16] // row 7: words 0-3, 4-7
	ADD	$34, R8
	VTRN1	V2.S4, V0.S4, V16.S4
	VTRN2	V2.S4, V0.S4, V17.S4
	VTRN1	V6.S4, V4.S4, V18.S4
	VTRN2	V6.S4, V4.S4, V19.S4
	VTRN1	V18.D2, V16.D2, V24.D2 // word 0 of the four rows
	VTRN1	V19.D2, V17.D2, V26.D2 // word 1
	VTRN2	V18.D2, V16.D2, V28.D2 // word 2
	VTRN2	V19.D2, V17.D2, V30.D2 // word 3
	VTRN1	V10.S4, V8.S4, V20.S4
	VTRN2	V10.S4, V8.S4, V21.S4
	VTRN1	V14.S4, V12.S4, V22.S4
	VTRN2	V14.S4, V12.S4, V23.S4
	VTRN1	V22.D2, V20.D2, V25.D2 // word 0 of the four rows
	VTRN1	V23.D2, V21.D2, V27.D2 // word 1
	VTRN2	V22.D2, V20.D2, V29.D2 // word 2
	VTRN2	V23.D2, V21.D2, V31.D2 // word 3
	VST1.P	[V24.B16, V25.B16], 32(R0) // vector 0: rows 0-3, 4-7
	VST1.P	[V26.B16, V27.B16], 32(R0) // vector 1: rows 0-3, 4-7
	VST1.P	[V28.B16, V29.B16], 32(R0) // vector 2: rows 0-3, 4-7
	VST1.P	[V30.B16, V31.B16], 32(R0) // vector 3: rows 0-3, 4-7
	VTRN1	V3.S4, V1.S4, V16.S4
	VTRN2	V3.S4, V1.S4, V17.S4
	VTRN1	V7.S4, V5.S4, V18.S4
	VTRN2	V7.S4, V5.S4, V19.S4
	VTRN1	V18.D2, V16.D2, V24.D2 // word 0 of the four rows
	VTRN1	V19.D2, V17.D2, V26.D2 // word 1
	VTRN2	V18.D2, V16.D2, V28.D2 // word 2
	VTRN2	V19.D2, V17.D2, V30.D2 // word 3
	VTRN1	V11.S4, V9.S4, V20.S4
	VTRN2	V11.S4, V9.S4, V21.S4
	VTRN1	V15.S4, V13.S4, V22.S4
	VTRN2	V15.S4, V13.S4, V23.S4
	VTRN1	V22.D2, V20.D2, V25.D2 // word 0 of the four rows
	VTRN1	V23.D2, V21.D2, V27.D2 // word 1
	VTRN2	V22.D2, V20.D2, V29.D2 // word 2
	VTRN2	V23.D2, V21.D2, V31.D2 // word 3
	VST1.P	[V24.B16, V25.B16], 32(R0) // vector 4: rows 0-3, 4-7
	VST1.P	[V26.B16, V27.B16], 32(R0) // vector 5: rows 0-3, 4-7
	VST1.P	[V28.B16, V29.B16], 32(R0) // vector 6: rows 0-3, 4-7
	VST1.P	[V30.B16, V31.B16], 32(R0) // vector 7: rows 0-3, 4-7
	SUBS	$1, R11, R11
	BNE	packq8_0asm_loop
	RET
