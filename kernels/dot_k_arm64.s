//go:build !purego && !noasm

#include "textflag.h"

// NEON dots of the K-quants (Q4_K, Q5_K, Q6_K) against Q8_K activations,
// bit-identical to dotQ4_KQ8_K, dotQ5_KQ8_K and dotQ6_KQ8_K.
//
// ggml's reference keeps eight int32 lane sums per super-block, lane l
// holding the scaled products of the elements whose index is l mod 8, turns
// each into float32 with its own multiply and add, and adds the eight lanes
// only at the end. SMULL/SMLAL on 8-byte halves produce exactly those lanes:
// an 8H product vector's lane l is element l of each 8-element run. So the
// integer part here multiplies 8 int8 pairs into int16 lanes (at most four
// products per lane per scale group: |sum| <= 4*31*128 = 15872 for Q5_K,
// 2*32*128 = 8192 for Q6_K), then SMLAL/SMLAL2 by element scale the group
// into two int32 lane vectors (lanes 0-3, 4-7), and the float part is the
// reference's per-lane FMUL and FADD in vector form (no FMA), the minimum
// term a scalar FMULS/FSUBS chain, and the final lane sum sequential.
//
// SDOT sums four adjacent bytes into a lane, mixing lanes l..l+3; mod-8
// lanes would need a 4x8 byte transpose of both operands first (12 ZIPs per
// 64 elements). By instruction count (an estimate: no ARM hardware was at
// hand to measure) that costs about what it saves on a Cortex-A76, whose
// widening multiplies issue to one of its two SIMD pipes: 12 multiplies per
// 64 elements here against 4 SDOT + 12 ZIP + 4 MLA there. So these kernels
// serve both the SDOT and the plain NEON path; only ARMv8.0 instructions are
// used. (Decode is bound by memory bandwidth either way; batched prefill
// is where an SDOT K-quant kernel with a repacked layout would pay.)
//
// Arguments: nb >= 1 super-blocks, w and a the first weight and Q8_K blocks.

// func dotQ4_KQ8_KAsm(nb int, w, a *byte) float32
TEXT ·dotQ4_KQ8_KAsm(SB), NOSPLIT, $0-28
	MOVD	nb+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	VMOVI	$15, V31.B16
	VEOR	V24.B16, V24.B16, V24.B16 // sums[0..3]
	VEOR	V25.B16, V25.B16, V25.B16 // sums[4..7]
	VEOR	V26.B16, V26.B16, V26.B16 // sumf (minimum terms)

dotq4_kq8_k_block:
	MOVHU	0(R1), R3 // d
	MOVHU	2(R1), R4 // dmin
	MOVWU	4(R1), R5 // scales: three words u0 u1 u2
	MOVWU	8(R1), R6
	MOVWU	12(R1), R7
	ADD	$16, R1
	// 6-bit scales and mins as ggml's utmp trick (scaleMinK4):
	// sc[0..3] = u0 & 0x3f..; mn[0..3] = u1 & 0x3f..
	// sc[4..7] = (u2 & 0x0f..) | ((u0 >> 6) & 0x03..) << 4
	// mn[4..7] = ((u2 >> 4) & 0x0f..) | ((u1 >> 6) & 0x03..) << 4
	ANDW	$0x3f3f3f3f, R5, R8
	ANDW	$0x3f3f3f3f, R6, R9
	ANDW	$0x0f0f0f0f, R7, R10
	LSRW	$6, R5, R11
	ANDW	$0x03030303, R11, R11
	ORRW	R11<<4, R10, R10
	LSRW	$4, R7, R12
	ANDW	$0x0f0f0f0f, R12, R12
	LSRW	$6, R6, R13
	ANDW	$0x03030303, R13, R13
	ORRW	R13<<4, R12, R12
	ORR	R10<<32, R8, R8
	ORR	R12<<32, R9, R9
	FMOVD	R8, F0
	FMOVD	R9, F1
	VUXTL	V0.B8, V0.H8 // V0.H[j] = scale of group j (rotated below)
	VUXTL	V1.B8, V1.H8 // V1.H[j] = min of group j
	FMOVS	(R2), F5 // Q8_K d (float32)
	ADD	$4, R2, R14
	VEOR	V29.B16, V29.B16, V29.B16 // int32 lanes 0..3
	VEOR	V30.B16, V30.B16, V30.B16 // int32 lanes 4..7
	MOVD	$4, R15

dotq4_kq8_k_chunk: // 64 elements: groups 2j (low nibbles) and 2j+1 (high)
	VLD1.P	32(R1), [V16.B16, V17.B16]
	VLD1.P	64(R14), [V18.B16, V19.B16, V20.B16, V21.B16]
	VAND	V31.B16, V16.B16, V22.B16
	VAND	V31.B16, V17.B16, V23.B16
	VUSHR	$4, V16.B16, V16.B16
	VUSHR	$4, V17.B16, V17.B16
	WORD	$0x0e32c2db // SMULL V27.8H, V22.8B, V18.8B
	WORD	$0x4e3282db // SMLAL2 V27.8H, V22.16B, V18.16B
	WORD	$0x0e3382fb // SMLAL V27.8H, V23.8B, V19.8B
	WORD	$0x4e3382fb // SMLAL2 V27.8H, V23.16B, V19.16B
	WORD	$0x0e34c21c // SMULL V28.8H, V16.8B, V20.8B
	WORD	$0x4e34821c // SMLAL2 V28.8H, V16.16B, V20.16B
	WORD	$0x0e35823c // SMLAL V28.8H, V17.8B, V21.8B
	WORD	$0x4e35823c // SMLAL2 V28.8H, V17.16B, V21.16B
	WORD	$0x0f40237d // SMLAL V29.4S, V27.4H, V0.H[0]
	WORD	$0x4f40237e // SMLAL2 V30.4S, V27.8H, V0.H[0]
	WORD	$0x0f50239d // SMLAL V29.4S, V28.4H, V0.H[1]
	WORD	$0x4f50239e // SMLAL2 V30.4S, V28.8H, V0.H[1]
	VEXT	$4, V0.B16, V0.B16, V0.B16 // next two scales to H[0], H[1]
	SUBS	$1, R15, R15
	BNE	dotq4_kq8_k_chunk

	// Minimums: sum_j bsums[j] * mn[j/2], exactly, in int32.
	VLD1.P	32(R14), [V2.H8, V3.H8]
	MOVD	R14, R2 // next Q8_K block
	VZIP1	V1.H8, V1.H8, V4.H8 // mn0 mn0 mn1 mn1 ...
	VZIP2	V1.H8, V1.H8, V6.H8 // mn4 mn4 ...
	WORD	$0x0e64c047 // SMULL V7.4S, V2.4H, V4.4H
	WORD	$0x4e648047 // SMLAL2 V7.4S, V2.8H, V4.8H
	WORD	$0x0e668067 // SMLAL V7.4S, V3.4H, V6.4H
	WORD	$0x4e668067 // SMLAL2 V7.4S, V3.8H, V6.8H
	VADDV	V7.S4, V7
	WORD	$0x5e21d8e7 // SCVTF S7, S7
	FMOVS	R3, F8
	FCVTHS	F8, F8
	FMULS	F5, F8, F8 // d = fp16(x.d) * y.d
	FMOVS	R4, F6
	FCVTHS	F6, F6
	FMULS	F5, F6, F6 // dmin = fp16(x.dmin) * y.d
	FMULS	F6, F7, F7
	FSUBS	F7, F26, F26 // sumf -= dmin * sumi
	WORD	$0x4e21dbbd // SCVTF V29.4S, V29.4S
	WORD	$0x4e21dbde // SCVTF V30.4S, V30.4S
	WORD	$0x4f8893bd // FMUL V29.4S, V29.4S, V8.S[0]
	WORD	$0x4f8893de // FMUL V30.4S, V30.4S, V8.S[0]
	WORD	$0x4e3dd718 // FADD V24.4S, V24.4S, V29.4S // sums[l] += d * (float)acc[l]
	WORD	$0x4e3ed739 // FADD V25.4S, V25.4S, V30.4S
	SUBS	$1, R0, R0
	BNE	dotq4_kq8_k_block

	// sumf += sums[0]; ...; sumf += sums[7]
	FADDS	F24, F26, F26
	VDUP	V24.S[1], V27
	FADDS	F27, F26, F26
	VDUP	V24.S[2], V27
	FADDS	F27, F26, F26
	VDUP	V24.S[3], V27
	FADDS	F27, F26, F26
	FADDS	F25, F26, F26
	VDUP	V25.S[1], V27
	FADDS	F27, F26, F26
	VDUP	V25.S[2], V27
	FADDS	F27, F26, F26
	VDUP	V25.S[3], V27
	FADDS	F27, F26, F26
	FMOVS	F26, ret+24(FP)
	RET

// func dotQ5_KQ8_KAsm(nb int, w, a *byte) float32
TEXT ·dotQ5_KQ8_KAsm(SB), NOSPLIT, $0-28
	MOVD	nb+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	VMOVI	$15, V31.B16
	VMOVI	$1, V9.B16
	VEOR	V24.B16, V24.B16, V24.B16 // sums[0..3]
	VEOR	V25.B16, V25.B16, V25.B16 // sums[4..7]
	VEOR	V26.B16, V26.B16, V26.B16 // sumf (minimum terms)

dotq5_kq8_k_block:
	MOVHU	0(R1), R3 // d
	MOVHU	2(R1), R4 // dmin
	MOVWU	4(R1), R5 // scales: three words u0 u1 u2
	MOVWU	8(R1), R6
	MOVWU	12(R1), R7
	ADD	$16, R1
	// 6-bit scales and mins as ggml's utmp trick (scaleMinK4):
	// sc[0..3] = u0 & 0x3f..; mn[0..3] = u1 & 0x3f..
	// sc[4..7] = (u2 & 0x0f..) | ((u0 >> 6) & 0x03..) << 4
	// mn[4..7] = ((u2 >> 4) & 0x0f..) | ((u1 >> 6) & 0x03..) << 4
	ANDW	$0x3f3f3f3f, R5, R8
	ANDW	$0x3f3f3f3f, R6, R9
	ANDW	$0x0f0f0f0f, R7, R10
	LSRW	$6, R5, R11
	ANDW	$0x03030303, R11, R11
	ORRW	R11<<4, R10, R10
	LSRW	$4, R7, R12
	ANDW	$0x0f0f0f0f, R12, R12
	LSRW	$6, R6, R13
	ANDW	$0x03030303, R13, R13
	ORRW	R13<<4, R12, R12
	ORR	R10<<32, R8, R8
	ORR	R12<<32, R9, R9
	FMOVD	R8, F0
	FMOVD	R9, F1
	VUXTL	V0.B8, V0.H8 // V0.H[j] = scale of group j (rotated below)
	VUXTL	V1.B8, V1.H8 // V1.H[j] = min of group j
	VLD1.P	32(R1), [V10.B16, V11.B16] // qh: bit s of qh[l] is bit 4 of element 32s+l
	FMOVS	(R2), F5 // Q8_K d (float32)
	ADD	$4, R2, R14
	VEOR	V29.B16, V29.B16, V29.B16 // int32 lanes 0..3
	VEOR	V30.B16, V30.B16, V30.B16 // int32 lanes 4..7
	MOVD	$4, R15

dotq5_kq8_k_chunk: // 64 elements: groups 2j (low nibbles) and 2j+1 (high)
	VLD1.P	32(R1), [V16.B16, V17.B16]
	VLD1.P	64(R14), [V18.B16, V19.B16, V20.B16, V21.B16]
	VAND	V31.B16, V16.B16, V22.B16
	VAND	V31.B16, V17.B16, V23.B16
	VUSHR	$4, V16.B16, V16.B16
	VUSHR	$4, V17.B16, V17.B16
	VAND	V9.B16, V10.B16, V12.B16 // fifth bits of group 2j
	VAND	V9.B16, V11.B16, V13.B16
	VUSHR	$1, V10.B16, V14.B16 // fifth bits of group 2j+1
	VUSHR	$1, V11.B16, V15.B16
	VAND	V9.B16, V14.B16, V14.B16
	VAND	V9.B16, V15.B16, V15.B16
	VUSHR	$2, V10.B16, V10.B16
	VUSHR	$2, V11.B16, V11.B16
	VSLI	$4, V12.B16, V22.B16
	VSLI	$4, V13.B16, V23.B16
	VSLI	$4, V14.B16, V16.B16
	VSLI	$4, V15.B16, V17.B16
	WORD	$0x0e32c2db // SMULL V27.8H, V22.8B, V18.8B
	WORD	$0x4e3282db // SMLAL2 V27.8H, V22.16B, V18.16B
	WORD	$0x0e3382fb // SMLAL V27.8H, V23.8B, V19.8B
	WORD	$0x4e3382fb // SMLAL2 V27.8H, V23.16B, V19.16B
	WORD	$0x0e34c21c // SMULL V28.8H, V16.8B, V20.8B
	WORD	$0x4e34821c // SMLAL2 V28.8H, V16.16B, V20.16B
	WORD	$0x0e35823c // SMLAL V28.8H, V17.8B, V21.8B
	WORD	$0x4e35823c // SMLAL2 V28.8H, V17.16B, V21.16B
	WORD	$0x0f40237d // SMLAL V29.4S, V27.4H, V0.H[0]
	WORD	$0x4f40237e // SMLAL2 V30.4S, V27.8H, V0.H[0]
	WORD	$0x0f50239d // SMLAL V29.4S, V28.4H, V0.H[1]
	WORD	$0x4f50239e // SMLAL2 V30.4S, V28.8H, V0.H[1]
	VEXT	$4, V0.B16, V0.B16, V0.B16 // next two scales to H[0], H[1]
	SUBS	$1, R15, R15
	BNE	dotq5_kq8_k_chunk

	// Minimums: sum_j bsums[j] * mn[j/2], exactly, in int32.
	VLD1.P	32(R14), [V2.H8, V3.H8]
	MOVD	R14, R2 // next Q8_K block
	VZIP1	V1.H8, V1.H8, V4.H8 // mn0 mn0 mn1 mn1 ...
	VZIP2	V1.H8, V1.H8, V6.H8 // mn4 mn4 ...
	WORD	$0x0e64c047 // SMULL V7.4S, V2.4H, V4.4H
	WORD	$0x4e648047 // SMLAL2 V7.4S, V2.8H, V4.8H
	WORD	$0x0e668067 // SMLAL V7.4S, V3.4H, V6.4H
	WORD	$0x4e668067 // SMLAL2 V7.4S, V3.8H, V6.8H
	VADDV	V7.S4, V7
	WORD	$0x5e21d8e7 // SCVTF S7, S7
	FMOVS	R3, F8
	FCVTHS	F8, F8
	FMULS	F5, F8, F8 // d = fp16(x.d) * y.d
	FMOVS	R4, F6
	FCVTHS	F6, F6
	FMULS	F5, F6, F6 // dmin = fp16(x.dmin) * y.d
	FMULS	F6, F7, F7
	FSUBS	F7, F26, F26 // sumf -= dmin * sumi
	WORD	$0x4e21dbbd // SCVTF V29.4S, V29.4S
	WORD	$0x4e21dbde // SCVTF V30.4S, V30.4S
	WORD	$0x4f8893bd // FMUL V29.4S, V29.4S, V8.S[0]
	WORD	$0x4f8893de // FMUL V30.4S, V30.4S, V8.S[0]
	WORD	$0x4e3dd718 // FADD V24.4S, V24.4S, V29.4S // sums[l] += d * (float)acc[l]
	WORD	$0x4e3ed739 // FADD V25.4S, V25.4S, V30.4S
	SUBS	$1, R0, R0
	BNE	dotq5_kq8_k_block

	// sumf += sums[0]; ...; sumf += sums[7]
	FADDS	F24, F26, F26
	VDUP	V24.S[1], V27
	FADDS	F27, F26, F26
	VDUP	V24.S[2], V27
	FADDS	F27, F26, F26
	VDUP	V24.S[3], V27
	FADDS	F27, F26, F26
	FADDS	F25, F26, F26
	VDUP	V25.S[1], V27
	FADDS	F27, F26, F26
	VDUP	V25.S[2], V27
	FADDS	F27, F26, F26
	VDUP	V25.S[3], V27
	FADDS	F27, F26, F26
	FMOVS	F26, ret+24(FP)
	RET

// func dotQ6_KQ8_KAsm(nb int, w, a *byte) float32
TEXT ·dotQ6_KQ8_KAsm(SB), NOSPLIT, $0-28
	MOVD	nb+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R2
	VMOVI	$15, V31.B16
	VMOVI	$3, V26.B16
	VMOVI	$32, V11.B16
	VEOR	V24.B16, V24.B16, V24.B16 // sums[0..3]
	VEOR	V25.B16, V25.B16, V25.B16 // sums[4..7]

dotq6_kq8_k_block:
	MOVHU	208(R1), R3 // d
	ADD	$192, R1, R4
	VLD1	(R4), [V1.B16] // 16 int8 scales, one per 16 elements
	WORD	$0x0f08a420 // SXTL V0.8H, V1.8B
	WORD	$0x4f08a421 // SXTL2 V1.8H, V1.16B
	ADD	$128, R1, R5 // qh
	ADD	$4, R2, R14 // Q8_K quants
	VEOR	V29.B16, V29.B16, V29.B16 // int32 lanes 0..3
	VEOR	V30.B16, V30.B16, V30.B16 // int32 lanes 4..7
	MOVD	$2, R15

dotq6_kq8_k_half: // 128 elements: ql 64 bytes, qh 32 bytes, groups g = 0..7 of 16
	VLD1.P	64(R1), [V16.B16, V17.B16, V18.B16, V19.B16]
	VLD1.P	32(R5), [V20.B16, V21.B16]
	VLD1.P	64(R14), [V2.B16, V3.B16, V4.B16, V5.B16]
	VLD1.P	64(R14), [V6.B16, V7.B16, V8.B16, V9.B16]
	// group 0: (V16 & 15) | ((V20 >> 0) & 3) << 4, minus 32
	VAND	V31.B16, V16.B16, V22.B16
	VAND	V26.B16, V20.B16, V23.B16
	VSLI	$4, V23.B16, V22.B16
	VSUB	V11.B16, V22.B16, V22.B16
	WORD	$0x0e22c2db // SMULL V27.8H, V22.8B, V2.8B
	WORD	$0x4e2282db // SMLAL2 V27.8H, V22.16B, V2.16B
	WORD	$0x0f40237d // SMLAL V29.4S, V27.4H, V0.H[0]
	WORD	$0x4f40237e // SMLAL2 V30.4S, V27.8H, V0.H[0]
	// group 1: (V17 & 15) | ((V21 >> 0) & 3) << 4, minus 32
	VAND	V31.B16, V17.B16, V12.B16
	VAND	V26.B16, V21.B16, V13.B16
	VSLI	$4, V13.B16, V12.B16
	VSUB	V11.B16, V12.B16, V12.B16
	WORD	$0x0e23c19c // SMULL V28.8H, V12.8B, V3.8B
	WORD	$0x4e23819c // SMLAL2 V28.8H, V12.16B, V3.16B
	WORD	$0x0f50239d // SMLAL V29.4S, V28.4H, V0.H[1]
	WORD	$0x4f50239e // SMLAL2 V30.4S, V28.8H, V0.H[1]
	// group 2: (V18 & 15) | ((V20 >> 2) & 3) << 4, minus 32
	VAND	V31.B16, V18.B16, V22.B16
	VUSHR	$2, V20.B16, V23.B16
	VAND	V26.B16, V23.B16, V23.B16
	VSLI	$4, V23.B16, V22.B16
	VSUB	V11.B16, V22.B16, V22.B16
	WORD	$0x0e24c2db // SMULL V27.8H, V22.8B, V4.8B
	WORD	$0x4e2482db // SMLAL2 V27.8H, V22.16B, V4.16B
	WORD	$0x0f60237d // SMLAL V29.4S, V27.4H, V0.H[2]
	WORD	$0x4f60237e // SMLAL2 V30.4S, V27.8H, V0.H[2]
	// group 3: (V19 & 15) | ((V21 >> 2) & 3) << 4, minus 32
	VAND	V31.B16, V19.B16, V12.B16
	VUSHR	$2, V21.B16, V13.B16
	VAND	V26.B16, V13.B16, V13.B16
	VSLI	$4, V13.B16, V12.B16
	VSUB	V11.B16, V12.B16, V12.B16
	WORD	$0x0e25c19c // SMULL V28.8H, V12.8B, V5.8B
	WORD	$0x4e25819c // SMLAL2 V28.8H, V12.16B, V5.16B
	WORD	$0x0f70239d // SMLAL V29.4S, V28.4H, V0.H[3]
	WORD	$0x4f70239e // SMLAL2 V30.4S, V28.8H, V0.H[3]
	// group 4: (V16 >> 4) | ((V20 >> 4) & 3) << 4, minus 32
	VUSHR	$4, V16.B16, V22.B16
	VUSHR	$4, V20.B16, V23.B16
	VAND	V26.B16, V23.B16, V23.B16
	VSLI	$4, V23.B16, V22.B16
	VSUB	V11.B16, V22.B16, V22.B16
	WORD	$0x0e26c2db // SMULL V27.8H, V22.8B, V6.8B
	WORD	$0x4e2682db // SMLAL2 V27.8H, V22.16B, V6.16B
	WORD	$0x0f402b7d // SMLAL V29.4S, V27.4H, V0.H[4]
	WORD	$0x4f402b7e // SMLAL2 V30.4S, V27.8H, V0.H[4]
	// group 5: (V17 >> 4) | ((V21 >> 4) & 3) << 4, minus 32
	VUSHR	$4, V17.B16, V12.B16
	VUSHR	$4, V21.B16, V13.B16
	VAND	V26.B16, V13.B16, V13.B16
	VSLI	$4, V13.B16, V12.B16
	VSUB	V11.B16, V12.B16, V12.B16
	WORD	$0x0e27c19c // SMULL V28.8H, V12.8B, V7.8B
	WORD	$0x4e27819c // SMLAL2 V28.8H, V12.16B, V7.16B
	WORD	$0x0f502b9d // SMLAL V29.4S, V28.4H, V0.H[5]
	WORD	$0x4f502b9e // SMLAL2 V30.4S, V28.8H, V0.H[5]
	// group 6: (V18 >> 4) | ((V20 >> 6) & 3) << 4, minus 32
	VUSHR	$4, V18.B16, V22.B16
	VUSHR	$6, V20.B16, V23.B16
	VSLI	$4, V23.B16, V22.B16
	VSUB	V11.B16, V22.B16, V22.B16
	WORD	$0x0e28c2db // SMULL V27.8H, V22.8B, V8.8B
	WORD	$0x4e2882db // SMLAL2 V27.8H, V22.16B, V8.16B
	WORD	$0x0f602b7d // SMLAL V29.4S, V27.4H, V0.H[6]
	WORD	$0x4f602b7e // SMLAL2 V30.4S, V27.8H, V0.H[6]
	// group 7: (V19 >> 4) | ((V21 >> 6) & 3) << 4, minus 32
	VUSHR	$4, V19.B16, V12.B16
	VUSHR	$6, V21.B16, V13.B16
	VSLI	$4, V13.B16, V12.B16
	VSUB	V11.B16, V12.B16, V12.B16
	WORD	$0x0e29c19c // SMULL V28.8H, V12.8B, V9.8B
	WORD	$0x4e29819c // SMLAL2 V28.8H, V12.16B, V9.16B
	WORD	$0x0f702b9d // SMLAL V29.4S, V28.4H, V0.H[7]
	WORD	$0x4f702b9e // SMLAL2 V30.4S, V28.8H, V0.H[7]
	VMOV	V1.B16, V0.B16 // scales of groups 8..15
	SUBS	$1, R15, R15
	BNE	dotq6_kq8_k_half

	ADD	$82, R1 // past qh, scales and d: 128+82 = 210 bytes
	FMOVS	(R2), F10 // Q8_K d
	ADD	$32, R14, R2 // next Q8_K block, past the bsums
	FMOVS	R3, F12
	FCVTHS	F12, F12
	FMULS	F10, F12, F12 // d = fp16(x.d) * y.d
	WORD	$0x4e21dbbd // SCVTF V29.4S, V29.4S
	WORD	$0x4e21dbde // SCVTF V30.4S, V30.4S
	WORD	$0x4f8c93bd // FMUL V29.4S, V29.4S, V12.S[0]
	WORD	$0x4f8c93de // FMUL V30.4S, V30.4S, V12.S[0]
	WORD	$0x4e3dd718 // FADD V24.4S, V24.4S, V29.4S // sums[l] += d * (float)acc[l]
	WORD	$0x4e3ed739 // FADD V25.4S, V25.4S, V30.4S
	SUBS	$1, R0, R0
	BNE	dotq6_kq8_k_block

	// sumf = 0; sumf += sums[0]; ...; sumf += sums[7]
	VEOR	V28.B16, V28.B16, V28.B16
	FADDS	F24, F28, F28
	VDUP	V24.S[1], V27
	FADDS	F27, F28, F28
	VDUP	V24.S[2], V27
	FADDS	F27, F28, F28
	VDUP	V24.S[3], V27
	FADDS	F27, F28, F28
	FADDS	F25, F28, F28
	VDUP	V25.S[1], V27
	FADDS	F27, F28, F28
	VDUP	V25.S[2], V27
	FADDS	F27, F28, F28
	VDUP	V25.S[3], V27
	FADDS	F27, F28, F28
	FMOVS	F28, ret+24(FP)
	RET
