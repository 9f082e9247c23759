//go:build !purego && !noasm

#include "textflag.h"

// Single-row dot products (DotFunc) for amd64 with AVX2, FMA and F16C.
//
// Go assembler operand order is the reverse of Intel's: `VPMADDUBSW Y3,
// Y1, Y4` is vpmaddubsw ymm4, ymm1, ymm3: ymm1 holds the unsigned bytes,
// ymm3 (or memory) the signed ones.

DATA  ·b0F<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA  ·b0F<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA  ·b0F<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA  ·b0F<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL ·b0F<>(SB), RODATA|NOPTR, $32

DATA  ·b08<>+0(SB)/8, $0x0808080808080808
DATA  ·b08<>+8(SB)/8, $0x0808080808080808
DATA  ·b08<>+16(SB)/8, $0x0808080808080808
DATA  ·b08<>+24(SB)/8, $0x0808080808080808
GLOBL ·b08<>(SB), RODATA|NOPTR, $32

DATA  ·w0001<>+0(SB)/8, $0x0001000100010001
DATA  ·w0001<>+8(SB)/8, $0x0001000100010001
DATA  ·w0001<>+16(SB)/8, $0x0001000100010001
DATA  ·w0001<>+24(SB)/8, $0x0001000100010001
GLOBL ·w0001<>(SB), RODATA|NOPTR, $32

// HSUM8 reduces the 8 floats of Y0 into X0[0]; clobbers X1.
#define HSUM8 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVHLPS     X0, X1, X1 \
	VADDPS       X1, X0, X0 \
	VMOVSHDUP    X0, X1     \
	VADDSS       X1, X0, X0

// The Q4_0 and Q8_0 dots keep the reference's float order exactly: the
// integer sums of eight blocks are reduced into one register (lane j =
// block j), scaled by the eight blocks' scales as the reference scales one,
// and added into the scalar sum one lane at a time, in block order. So they
// return the reference's bits, at the speed of a plain AVX2 dot (the
// gather of the scales replaces the per-block broadcasts).

// Q40INT(j, V) leaves the 8 int32 partial sums of sum((q-8)*y) of block j
// (weights at 18j(SI), activations at 34j(DI)) in V. Weights are nibbles q
// in [0,15] standing for q-8, so maddubs(q, y) - maddubs(8, y) is the exact
// int16 pair sum of (q-8)*y. Y13 = int16 ones, Y14 = bytes of 8, Y15 =
// bytes of 0x0f; clobbers Y9-Y11.
#define Q40INT(j, V) Q40INTB(SI, j, V)

#define Q40INTB(base, j, V) \
	VMOVDQU     2+18*j(base), X9 \
	VPSRLW      $4, X9, X10      \
	VINSERTI128 $1, X10, Y9, Y9  \
	VPAND       Y15, Y9, Y9      \
	VMOVDQU     2+34*j(DI), Y10  \
	VPMADDUBSW  Y10, Y9, V       \
	VPMADDUBSW  Y10, Y14, Y11    \
	VPSUBW      Y11, V, V        \
	VPMADDWD    Y13, V, V

// Q80INT(j, V): the same for Q8_0 x Q8_0: |x| times y signed by x (exact
// unless y holds -128, which Quantize never writes).
#define Q80INT(j, V) \
	VMOVDQU    2+34*j(SI), Y9    \
	VMOVDQU    2+34*j(DI), Y10   \
	VPSIGNB    Y9, Y10, Y10      \
	VPABSB     Y9, Y9            \
	VPMADDUBSW Y10, Y9, V        \
	VPMADDWD   Y13, V, V

// REDUCE8 sums each of Y1..Y8 and leaves the eight sums as floats in Y2
// (lane j = Yj+1). Clobbers Y1, Y3, Y5, Y7.
#define REDUCE8 \
	VPHADDD    Y2, Y1, Y1        \
	VPHADDD    Y4, Y3, Y3        \
	VPHADDD    Y6, Y5, Y5        \
	VPHADDD    Y8, Y7, Y7        \
	VPHADDD    Y3, Y1, Y1        \
	VPHADDD    Y7, Y5, Y5        \
	VPERM2I128 $0x20, Y5, Y1, Y2 \
	VPERM2I128 $0x31, Y5, Y1, Y3 \
	VPADDD     Y3, Y2, Y2        \
	VCVTDQ2PS  Y2, Y2

// GATHER8(base, stride, X) loads the eight F16 scales at base+stride*j
// and leaves them as floats in the Y register of X. Clobbers AX.
#define GATHER8(base, stride, X, Y) \
	MOVWLZX 0(base), AX                   \
	VMOVD   AX, X                         \
	VPINSRW $1, stride(base), X, X        \
	VPINSRW $2, 2*stride(base), X, X      \
	VPINSRW $3, 3*stride(base), X, X      \
	VPINSRW $4, 4*stride(base), X, X      \
	VPINSRW $5, 5*stride(base), X, X      \
	VPINSRW $6, 6*stride(base), X, X      \
	VPINSRW $7, 7*stride(base), X, X      \
	VCVTPH2PS X, Y

// ADD8 adds the eight floats of Y2 into X0 one at a time, lane 0 first.
// Clobbers X2, X3.
#define ADD8 ADD8TO(X0)

// ADD8TO(S) is ADD8 into S.
#define ADD8TO(S) \
	VADDSS       X2, S, S        \
	VMOVSHDUP    X2, X3          \
	VADDSS       X3, S, S        \
	VMOVHLPS     X2, X3, X3      \
	VADDSS       X3, S, S        \
	VPERMILPS    $3, X2, X3      \
	VADDSS       X3, S, S        \
	VEXTRACTF128 $1, Y2, X2      \
	VADDSS       X2, S, S        \
	VMOVSHDUP    X2, X3          \
	VADDSS       X3, S, S        \
	VMOVHLPS     X2, X3, X3      \
	VADDSS       X3, S, S        \
	VPERMILPS    $3, X2, X3      \
	VADDSS       X3, S, S

// HSUMI(V, X) sums the 8 int32 of V into X[0] as a float. Clobbers X2.
#define HSUMI(V, X) \
	VEXTRACTI128 $1, V, X2  \
	VPADDD       X2, X, X   \
	VPSHUFD      $0x4e, X, X2 \
	VPADDD       X2, X, X   \
	VPSHUFD      $0xb1, X, X2 \
	VPADDD       X2, X, X   \
	VCVTDQ2PS    X, X

// SCALES1 leaves dx in X9[0] and dy in X10[0] for the blocks at SI, DI.
#define SCALES1 \
	MOVWLZX   0(SI), AX  \
	VMOVD     AX, X9     \
	VCVTPH2PS X9, X9     \
	MOVWLZX   0(DI), AX  \
	VMOVD     AX, X10    \
	VCVTPH2PS X10, X10

// func dotQ4_0Q8_0Asm(nb int, w, a *byte) float32
// nb >= 1 blocks; sumf += float32(float32(float32(s)*dx)*dy) per block in
// order, as dotQ4_0Q8_0. SI = w (18-byte blocks), DI = a (34-byte blocks),
// CX = blocks left, X0 = sumf, Y1-Y8 = the blocks' int32 partial sums,
// Y9/Y10 = dx/dy of eight blocks.
TEXT ·dotQ4_0Q8_0Asm(SB), NOSPLIT, $0-28
	MOVQ    nb+0(FP), CX
	MOVQ    w+8(FP), SI
	MOVQ    a+16(FP), DI
	VMOVDQU ·b0F<>(SB), Y15
	VMOVDQU ·b08<>(SB), Y14
	VMOVDQU ·w0001<>(SB), Y13
	VXORPS  X0, X0, X0
	CMPQ    CX, $8
	JB      q40tail

q40loop8:
	Q40INT(0, Y1)
	Q40INT(1, Y2)
	Q40INT(2, Y3)
	Q40INT(3, Y4)
	Q40INT(4, Y5)
	Q40INT(5, Y6)
	Q40INT(6, Y7)
	Q40INT(7, Y8)
	REDUCE8
	GATHER8(SI, 18, X9, Y9)
	GATHER8(DI, 34, X10, Y10)
	VMULPS Y9, Y2, Y2
	VMULPS Y10, Y2, Y2
	ADD8
	ADDQ $144, SI
	ADDQ $272, DI
	SUBQ $8, CX
	CMPQ CX, $8
	JAE  q40loop8

q40tail:
	TESTQ CX, CX
	JZ    q40done

q40loop1:
	Q40INT(0, Y1)
	HSUMI(Y1, X1)
	SCALES1
	VMULSS X9, X1, X1
	VMULSS X10, X1, X1
	VADDSS X1, X0, X0
	ADDQ   $18, SI
	ADDQ   $34, DI
	DECQ   CX
	JNZ    q40loop1

q40done:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotQ8_0Q8_0Asm(nb int, w, a *byte) float32
// nb >= 1 blocks of 34 bytes; sumf += float32(float32(s)*float32(dx*dy))
// per block in order, as dotQ8_0Q8_0. Registers as dotQ4_0Q8_0Asm.
TEXT ·dotQ8_0Q8_0Asm(SB), NOSPLIT, $0-28
	MOVQ    nb+0(FP), CX
	MOVQ    w+8(FP), SI
	MOVQ    a+16(FP), DI
	VMOVDQU ·w0001<>(SB), Y13
	VXORPS  X0, X0, X0
	CMPQ    CX, $8
	JB      q80tail

q80loop8:
	Q80INT(0, Y1)
	Q80INT(1, Y2)
	Q80INT(2, Y3)
	Q80INT(3, Y4)
	Q80INT(4, Y5)
	Q80INT(5, Y6)
	Q80INT(6, Y7)
	Q80INT(7, Y8)
	REDUCE8
	GATHER8(SI, 34, X9, Y9)
	GATHER8(DI, 34, X10, Y10)
	VMULPS Y10, Y9, Y9
	VMULPS Y9, Y2, Y2
	ADD8
	ADDQ $272, SI
	ADDQ $272, DI
	SUBQ $8, CX
	CMPQ CX, $8
	JAE  q80loop8

q80tail:
	TESTQ CX, CX
	JZ    q80done

q80loop1:
	Q80INT(0, Y1)
	HSUMI(Y1, X1)
	SCALES1
	VMULSS X10, X9, X9
	VMULSS X9, X1, X1
	VADDSS X1, X0, X0
	ADDQ   $34, SI
	ADDQ   $34, DI
	DECQ   CX
	JNZ    q80loop1

q80done:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

DATA  ·k4shuf<>+0(SB)/8, $0x0100010001000100
DATA  ·k4shuf<>+8(SB)/8, $0x0100010001000100
DATA  ·k4shuf<>+16(SB)/8, $0x0100010001000100
DATA  ·k4shuf<>+24(SB)/8, $0x0100010001000100
DATA  ·k4shuf<>+32(SB)/8, $0x0302030203020302
DATA  ·k4shuf<>+40(SB)/8, $0x0302030203020302
DATA  ·k4shuf<>+48(SB)/8, $0x0302030203020302
DATA  ·k4shuf<>+56(SB)/8, $0x0302030203020302
DATA  ·k4shuf<>+64(SB)/8, $0x0504050405040504
DATA  ·k4shuf<>+72(SB)/8, $0x0504050405040504
DATA  ·k4shuf<>+80(SB)/8, $0x0504050405040504
DATA  ·k4shuf<>+88(SB)/8, $0x0504050405040504
DATA  ·k4shuf<>+96(SB)/8, $0x0706070607060706
DATA  ·k4shuf<>+104(SB)/8, $0x0706070607060706
DATA  ·k4shuf<>+112(SB)/8, $0x0706070607060706
DATA  ·k4shuf<>+120(SB)/8, $0x0706070607060706
DATA  ·k4shuf<>+128(SB)/8, $0x0908090809080908
DATA  ·k4shuf<>+136(SB)/8, $0x0908090809080908
DATA  ·k4shuf<>+144(SB)/8, $0x0908090809080908
DATA  ·k4shuf<>+152(SB)/8, $0x0908090809080908
DATA  ·k4shuf<>+160(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA  ·k4shuf<>+168(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA  ·k4shuf<>+176(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA  ·k4shuf<>+184(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA  ·k4shuf<>+192(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA  ·k4shuf<>+200(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA  ·k4shuf<>+208(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA  ·k4shuf<>+216(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA  ·k4shuf<>+224(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA  ·k4shuf<>+232(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA  ·k4shuf<>+240(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA  ·k4shuf<>+248(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL ·k4shuf<>(SB), RODATA|NOPTR, $256

DATA  ·q6shuf<>+0(SB)/8, $0x0100010001000100
DATA  ·q6shuf<>+8(SB)/8, $0x0100010001000100
DATA  ·q6shuf<>+16(SB)/8, $0x0302030203020302
DATA  ·q6shuf<>+24(SB)/8, $0x0302030203020302
DATA  ·q6shuf<>+32(SB)/8, $0x0504050405040504
DATA  ·q6shuf<>+40(SB)/8, $0x0504050405040504
DATA  ·q6shuf<>+48(SB)/8, $0x0706070607060706
DATA  ·q6shuf<>+56(SB)/8, $0x0706070607060706
DATA  ·q6shuf<>+64(SB)/8, $0x0908090809080908
DATA  ·q6shuf<>+72(SB)/8, $0x0908090809080908
DATA  ·q6shuf<>+80(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA  ·q6shuf<>+88(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA  ·q6shuf<>+96(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA  ·q6shuf<>+104(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA  ·q6shuf<>+112(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA  ·q6shuf<>+120(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL ·q6shuf<>(SB), RODATA|NOPTR, $128

DATA  ·b30<>+0(SB)/8, $0x3030303030303030
DATA  ·b30<>+8(SB)/8, $0x3030303030303030
DATA  ·b30<>+16(SB)/8, $0x3030303030303030
DATA  ·b30<>+24(SB)/8, $0x3030303030303030
GLOBL ·b30<>(SB), RODATA|NOPTR, $32

DATA  ·b03<>+0(SB)/8, $0x0303030303030303
DATA  ·b03<>+8(SB)/8, $0x0303030303030303
DATA  ·b03<>+16(SB)/8, $0x0303030303030303
DATA  ·b03<>+24(SB)/8, $0x0303030303030303
GLOBL ·b03<>(SB), RODATA|NOPTR, $32

DATA  ·b10<>+0(SB)/8, $0x1010101010101010
DATA  ·b10<>+8(SB)/8, $0x1010101010101010
DATA  ·b10<>+16(SB)/8, $0x1010101010101010
DATA  ·b10<>+24(SB)/8, $0x1010101010101010
GLOBL ·b10<>(SB), RODATA|NOPTR, $32

// K4SCALES unpacks the twelve 6-bit scale bytes of a Q4_K/Q5_K block at
// 4(SI) as ggml's utmp trick does: X1 = the 8 scales, X2 = the 8 mins, as
// int16. Clobbers AX, BX, DX, R8-R11.
#define K4SCALES \
	MOVL      4(SI), AX                                     \
	MOVL      8(SI), BX                                     \
	MOVL      12(SI), DX                                    \
	MOVL      DX, R8                                        \
	SHRL      $4, R8                                        \
	ANDL      $0x0f0f0f0f, R8                               \
	MOVL      BX, R9                                        \
	SHRL      $6, R9                                        \
	ANDL      $0x03030303, R9                               \
	SHLL      $4, R9                                        \
	ORL       R9, R8 /* R8 = mins 4-7 */                    \
	MOVL      BX, R10                                       \
	ANDL      $0x3f3f3f3f, R10 /* R10 = mins 0-3 */         \
	MOVL      DX, R11                                       \
	ANDL      $0x0f0f0f0f, R11                              \
	MOVL      AX, R9                                        \
	SHRL      $6, R9                                        \
	ANDL      $0x03030303, R9                               \
	SHLL      $4, R9                                        \
	ORL       R9, R11 /* R11 = scales 4-7 */                \
	ANDL      $0x3f3f3f3f, AX /* AX = scales 0-3 */         \
	SHLQ      $32, R11                                      \
	ORQ       R11, AX                                       \
	SHLQ      $32, R8                                       \
	ORQ       R8, R10                                       \
	VMOVQ     AX, X1                                        \
	VPMOVZXBW X1, X1                                        \
	VMOVQ     R10, X2                                       \
	VPMOVZXBW X2, X2

// KSCALES leaves d = yd*dx broadcast in Y5 and dmin = yd*dmin in X6[0..3]
// for a Q4_K/Q5_K block at SI (d, dmin halves at 0) and a Q8_K block at DI
// (float32 d at 0). Clobbers X3, X4.
#define KSCALES \
	VMOVD        0(SI), X3     \
	VCVTPH2PS    X3, X3        \
	VBROADCASTSS 0(DI), X4     \
	VMULPS       X4, X3, X3    \
	VBROADCASTSS X3, Y5        \
	VMOVSHDUP    X3, X6        \
	VBROADCASTSS X6, X6

// KMINS adds dmin * sum_j mins[j]*(bsums[2j]+bsums[2j+1]) into X12, with
// the mins in X2 (int16) and the Q8_K bsums at 260(DI). Clobbers X7.
#define KMINS \
	VMOVDQU     260(DI), X7   \
	VPHADDW     276(DI), X7, X7 \
	VPMADDWD    X2, X7, X7    \
	VCVTDQ2PS   X7, X7        \
	VFMADD231PS X7, X6, X12

// K4SUB(q, yoff, s, t) multiplies the 32 unsigned weights in q by the
// activation quants at yoff(DI) and adds scale s (int16 s of Y1) times the
// pair sums into Y13 as int32. Clobbers q and t.
#define K4SUB(q, yoff, s, t) \
	VPMADDUBSW yoff(DI), q, q               \
	VPSHUFB    ·k4shuf<>+(32*(s))(SB), Y1, t  \
	VPMADDWD   t, q, q                      \
	VPADDD     q, Y13, Y13

// Q4K64(j) does elements 64j..64j+63 of a Q4_K block: 32 bytes of qs at
// 16+32j(SI), low nibbles sub-block 2j, high nibbles 2j+1.
#define Q4K64(j) \
	VMOVDQU 16+32*j(SI), Y8                 \
	VPSRLW  $4, Y8, Y9                      \
	VPAND   Y15, Y8, Y8                     \
	VPAND   Y15, Y9, Y9                     \
	K4SUB(Y8, 4+64*j, 2*j, Y10)             \
	K4SUB(Y9, 36+64*j, 2*j+1, Y11)

// func dotQ4_KQ8_KAsm(nb int, w, a *byte) float32
// nb >= 1 super-blocks. SI = w (144-byte Q4_K blocks: d, dmin halves at 0,
// scales at 4, qs at 16), DI = a (292-byte Q8_K blocks: float32 d at 0, qs
// at 4, int16 bsums at 260), CX = blocks left. Y0 = 8 float sums of
// d*sc*q*y, X12 = 4 float sums of dmin*m*bsum (subtracted at the end),
// Y13 = int32 sums of one block, Y15 = bytes of 0x0f.
//
// This is the float order of ggml's AVX2 ggml_vec_dot_q4_K_q8_K (lane l of
// the sums collects bytes 4l..4l+3 of every 32), which is what llama.cpp
// computes on x86: the engine's logits then match llama.cpp's to float
// noise (fixture NMSE 2e-14) where the scalar reference's order, or the
// packed kernels', lands near 5e-5 (activation quants that round the
// other way).
TEXT ·dotQ4_KQ8_KAsm(SB), NOSPLIT, $0-28
	MOVQ    nb+0(FP), CX
	MOVQ    w+8(FP), SI
	MOVQ    a+16(FP), DI
	VMOVDQU ·b0F<>(SB), Y15
	VXORPS  Y0, Y0, Y0
	VXORPS  X12, X12, X12

q4kloop:
	K4SCALES
	KSCALES
	KMINS
	VINSERTI128 $1, X1, Y1, Y1
	VPXOR       Y13, Y13, Y13
	Q4K64(0)
	Q4K64(1)
	Q4K64(2)
	Q4K64(3)
	VCVTDQ2PS   Y13, Y13
	VFMADD231PS Y13, Y5, Y0
	ADDQ        $144, SI
	ADDQ        $292, DI
	DECQ        CX
	JNZ         q4kloop

	HSUM8
	VMOVHLPS  X12, X1, X1
	VADDPS    X1, X12, X12
	VMOVSHDUP X12, X1
	VADDSS    X1, X12, X12
	VSUBSS    X12, X0, X0
	VMOVSS    X0, ret+24(FP)
	VZEROUPPER
	RET

// Q5HI(q, h, s) ors the fifth bit of sub-block s (bit s of each qh byte
// in h) into q as 0x10; Y14 = bytes of 0x10. Clobbers Y10.
#define Q5HI_SHL(q, h, sh) \
	VPSLLW $sh, h, Y10    \
	VPAND  Y14, Y10, Y10  \
	VPOR   Y10, q, q
#define Q5HI_SHR(q, h, sh) \
	VPSRLW $sh, h, Y10    \
	VPAND  Y14, Y10, Y10  \
	VPOR   Y10, q, q

// func dotQ5_KQ8_KAsm(nb int, w, a *byte) float32
// As dotQ4_KQ8_KAsm for 176-byte Q5_K blocks (d, dmin at 0, scales at 4,
// qh at 16, qs at 48); Y7 = the 32 qh bytes of the block, whose bit s is
// the fifth bit of sub-block s. The mins use X7 before Y7 is loaded.
TEXT ·dotQ5_KQ8_KAsm(SB), NOSPLIT, $0-28
	MOVQ    nb+0(FP), CX
	MOVQ    w+8(FP), SI
	MOVQ    a+16(FP), DI
	VMOVDQU ·b0F<>(SB), Y15
	VMOVDQU ·b10<>(SB), Y14
	VXORPS  Y0, Y0, Y0
	VXORPS  X12, X12, X12

q5kloop:
	K4SCALES
	KSCALES
	KMINS
	VINSERTI128 $1, X1, Y1, Y1
	VPXOR       Y13, Y13, Y13
	VMOVDQU     16(SI), Y7

	VMOVDQU 48(SI), Y8
	VPSRLW  $4, Y8, Y9
	VPAND   Y15, Y8, Y8
	VPAND   Y15, Y9, Y9
	Q5HI_SHL(Y8, Y7, 4)
	Q5HI_SHL(Y9, Y7, 3)
	K4SUB(Y8, 4, 0, Y10)
	K4SUB(Y9, 36, 1, Y11)

	VMOVDQU 80(SI), Y8
	VPSRLW  $4, Y8, Y9
	VPAND   Y15, Y8, Y8
	VPAND   Y15, Y9, Y9
	Q5HI_SHL(Y8, Y7, 2)
	Q5HI_SHL(Y9, Y7, 1)
	K4SUB(Y8, 68, 2, Y10)
	K4SUB(Y9, 100, 3, Y11)

	VMOVDQU 112(SI), Y8
	VPSRLW  $4, Y8, Y9
	VPAND   Y15, Y8, Y8
	VPAND   Y15, Y9, Y9
	VPAND   Y14, Y7, Y10
	VPOR    Y10, Y8, Y8
	Q5HI_SHR(Y9, Y7, 1)
	K4SUB(Y8, 132, 4, Y10)
	K4SUB(Y9, 164, 5, Y11)

	VMOVDQU 144(SI), Y8
	VPSRLW  $4, Y8, Y9
	VPAND   Y15, Y8, Y8
	VPAND   Y15, Y9, Y9
	Q5HI_SHR(Y8, Y7, 2)
	Q5HI_SHR(Y9, Y7, 3)
	K4SUB(Y8, 196, 6, Y10)
	K4SUB(Y9, 228, 7, Y11)

	VCVTDQ2PS   Y13, Y13
	VFMADD231PS Y13, Y5, Y0
	ADDQ        $176, SI
	ADDQ        $292, DI
	DECQ        CX
	JNZ         q5kloop

	HSUM8
	VMOVHLPS  X12, X1, X1
	VADDPS    X1, X12, X12
	VMOVSHDUP X12, X1
	VADDSS    X1, X12, X12
	VSUBSS    X12, X0, X0
	VMOVSS    X0, ret+24(FP)
	VZEROUPPER
	RET

// Q6SUB(q, k, A) multiplies the 32 unsigned 6-bit weights q (q+32 of the
// signed ones) of elements 32k..32k+31 of a half by the activation quants
// and the scales of groups 2k and 2k+1 (int16 in A: lane 0 and lane 1 of
// the shuffle), adding into Y13. R12 = activation quants of this half.
#define Q6SUB(q, k, A) \
	VPMADDUBSW 32*k(R12), q, q            \
	VPSHUFB    ·q6shuf<>+(32*(k))(SB), A, Y11 \
	VPMADDWD   Y11, q, q                  \
	VPADDD     q, Y13, Y13

// Q6HALF(h, A) does the 128 elements of half h of a Q6_K block: ql at
// 64h(SI), qh at 128+32h(SI), scales 8h..8h+7 in both lanes of A.
// Y15 = bytes of 0x0f, Y14 = bytes of 0x30, Y12 = bytes of 0x03.
#define Q6HALF(h, A) \
	VMOVDQU 64*h(SI), Y8         \
	VMOVDQU 32+64*h(SI), Y9      \
	VMOVDQU 128+32*h(SI), Y10    \
	VPAND   Y12, Y10, Y7         \
	VPSLLW  $4, Y7, Y7           \
	VPAND   Y15, Y8, Y6          \
	VPOR    Y7, Y6, Y6           \
	Q6SUB(Y6, 0, A)              \
	VPSLLW  $2, Y10, Y7          \
	VPAND   Y14, Y7, Y7          \
	VPAND   Y15, Y9, Y6          \
	VPOR    Y7, Y6, Y6           \
	Q6SUB(Y6, 1, A)              \
	VPAND   Y14, Y10, Y7         \
	VPSRLW  $4, Y8, Y6           \
	VPAND   Y15, Y6, Y6          \
	VPOR    Y7, Y6, Y6           \
	Q6SUB(Y6, 2, A)              \
	VPSRLW  $2, Y10, Y7          \
	VPAND   Y14, Y7, Y7          \
	VPSRLW  $4, Y9, Y6           \
	VPAND   Y15, Y6, Y6          \
	VPOR    Y7, Y6, Y6           \
	Q6SUB(Y6, 3, A)

// func dotQ6_KQ8_KAsm(nb int, w, a *byte) float32
// nb >= 1 super-blocks. SI = w (210-byte Q6_K blocks: ql at 0, qh at 128,
// int8 scales at 192, d half at 208), DI = a (Q8_K), CX = blocks left.
// The weights are used as q+32 in [0,63] (unsigned, for vpmaddubsw) and
// 32*sum_g sc_g*bsums_g is subtracted per block, as in ggml. Y0 = float
// sums, Y13 = int32 sums of one block, Y1/Y2 = the int16 scales of half
// 0/1 in both lanes, Y3 = int16 scales in order.
TEXT ·dotQ6_KQ8_KAsm(SB), NOSPLIT, $0-28
	MOVQ    nb+0(FP), CX
	MOVQ    w+8(FP), SI
	MOVQ    a+16(FP), DI
	VMOVDQU ·b0F<>(SB), Y15
	VMOVDQU ·b30<>(SB), Y14
	VMOVDQU ·b03<>(SB), Y12
	VXORPS  Y0, Y0, Y0

q6kloop:
	// d = yd * fp16(x.d)
	MOVWLZX      208(SI), AX
	VMOVD        AX, X5
	VCVTPH2PS    X5, X5
	VMULSS       0(DI), X5, X5
	VBROADCASTSS X5, Y5

	VPMOVSXBW 192(SI), Y3            // 16 int16 scales
	VPMADDWD  260(DI), Y3, Y13       // sc_g * bsums_g pairs
	VPSLLD    $5, Y13, Y13
	VPXOR     Y4, Y4, Y4
	VPSUBD    Y13, Y4, Y13           // Y13 = -32*sum sc*bsums, as int32 lanes
	VPERMQ    $0x44, Y3, Y1
	VPERMQ    $0xee, Y3, Y2

	LEAQ 4(DI), R12
	Q6HALF(0, Y1)
	LEAQ 132(DI), R12
	Q6HALF(1, Y2)

	VCVTDQ2PS   Y13, Y13
	VFMADD231PS Y13, Y5, Y0
	ADDQ        $210, SI
	ADDQ        $292, DI
	DECQ        CX
	JNZ         q6kloop

	HSUM8
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// Q6SUB4(q, k, h, A) is Q6SUB for four activation columns (DI + 0, R8,
// 2*R8, R11 = 3*R8), elements 32k..32k+31 of half h, into Y4-Y7; Y10 =
// the shuffled scales, Y15 = products.
#define Q6SUB4(q, k, h, A) \
	VPSHUFB    ·q6shuf<>+(32*(k))(SB), A, Y10 \
	VPMADDUBSW 4+128*h+32*k(DI), q, Y15       \
	VPMADDWD   Y10, Y15, Y15                   \
	VPADDD     Y15, Y4, Y4                     \
	VPMADDUBSW 4+128*h+32*k(DI)(R8*1), q, Y15  \
	VPMADDWD   Y10, Y15, Y15                   \
	VPADDD     Y15, Y5, Y5                     \
	VPMADDUBSW 4+128*h+32*k(DI)(R8*2), q, Y15  \
	VPMADDWD   Y10, Y15, Y15                   \
	VPADDD     Y15, Y6, Y6                     \
	VPMADDUBSW 4+128*h+32*k(DI)(R11*1), q, Y15 \
	VPMADDWD   Y10, Y15, Y15                   \
	VPADDD     Y15, Y7, Y7

// Q6HALF4(h, A) is Q6HALF for four columns: ql in Y11/Y12, qh in Y13,
// the 6-bit weights built in Y14 (Y15 a temporary), the scales of the
// half in A; the constants are memory operands.
#define Q6HALF4(h, A) \
	VMOVDQU 64*h(SI), Y11          \
	VMOVDQU 32+64*h(SI), Y12       \
	VMOVDQU 128+32*h(SI), Y13      \
	VPAND   ·b03<>(SB), Y13, Y14   \
	VPSLLW  $4, Y14, Y14           \
	VPAND   ·b0F<>(SB), Y11, Y15   \
	VPOR    Y15, Y14, Y14          \
	Q6SUB4(Y14, 0, h, A)           \
	VPSLLW  $2, Y13, Y14           \
	VPAND   ·b30<>(SB), Y14, Y14   \
	VPAND   ·b0F<>(SB), Y12, Y15   \
	VPOR    Y15, Y14, Y14          \
	Q6SUB4(Y14, 1, h, A)           \
	VPAND   ·b30<>(SB), Y13, Y14   \
	VPSRLW  $4, Y11, Y15           \
	VPAND   ·b0F<>(SB), Y15, Y15   \
	VPOR    Y15, Y14, Y14          \
	Q6SUB4(Y14, 2, h, A)           \
	VPSRLW  $2, Y13, Y14           \
	VPAND   ·b30<>(SB), Y14, Y14   \
	VPSRLW  $4, Y12, Y15           \
	VPAND   ·b0F<>(SB), Y15, Y15   \
	VPOR    Y15, Y14, Y14          \
	Q6SUB4(Y14, 3, h, A)

// Q6BSUMS(bsums, s) starts a column's block sum s at -32*sum sc*bsums
// (Y15 = the int16 scales in order, Y14 = 0).
#define Q6BSUMS(bsums, s) \
	VPMADDWD bsums, Y15, s \
	VPSLLD   $5, s, s      \
	VPSUBD   s, Y14, s

// Q6FINISH(yd, s, acc) adds a column's block sum s, scaled by yd *
// fp16(x.d) (x.d as float32 in X12), into acc as dotQ6_KQ8_KAsm does.
#define Q6FINISH(yd, s, acc) \
	VMULSS       yd, X12, X14 \
	VBROADCASTSS X14, Y14     \
	VCVTDQ2PS    s, s         \
	VFMADD231PS  s, Y14, acc

// Q6HSUM(acc, x) reduces acc (x its low half) to x[0] in HSUM8's order;
// clobbers X15.
#define Q6HSUM(acc, x) \
	VEXTRACTF128 $1, acc, X15 \
	VADDPS       X15, x, x    \
	VMOVHLPS     x, X15, X15  \
	VADDPS       X15, x, x    \
	VMOVSHDUP    x, X15       \
	VADDSS       X15, x, x

// func dotQ6_KQ8_Kx4Asm(nb int, w, a *byte, aStride int, out *float32)
// dotQ6_KQ8_KAsm of one row against four activation rows (at a, aStride
// bytes apart), out[c] for row c: the weights are unpacked once for the
// four, and each column's arithmetic is the single dot's, in its order,
// so each result has its bits. SI = w, DI = column 0, R8 = aStride, R11 =
// 3*aStride, CX = blocks left. Y0-Y3 = float sums, Y4-Y7 = int32 block
// sums of columns 0-3, Y8/Y9 = int16 scales of half 0/1, X12 = fp16(x.d).
TEXT ·dotQ6_KQ8_Kx4Asm(SB), NOSPLIT, $0-40
	MOVQ   nb+0(FP), CX
	MOVQ   w+8(FP), SI
	MOVQ   a+16(FP), DI
	MOVQ   aStride+24(FP), R8
	LEAQ   (R8)(R8*2), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

q6kx4loop:
	VPMOVSXBW 192(SI), Y15 // 16 int16 scales
	VPXOR     Y14, Y14, Y14
	Q6BSUMS(260(DI), Y4)
	Q6BSUMS(260(DI)(R8*1), Y5)
	Q6BSUMS(260(DI)(R8*2), Y6)
	Q6BSUMS(260(DI)(R11*1), Y7)
	VPERMQ    $0x44, Y15, Y8
	VPERMQ    $0xee, Y15, Y9
	Q6HALF4(0, Y8)
	Q6HALF4(1, Y9)
	MOVWLZX   208(SI), AX
	VMOVD     AX, X12
	VCVTPH2PS X12, X12
	Q6FINISH(0(DI), Y4, Y0)
	Q6FINISH(0(DI)(R8*1), Y5, Y1)
	Q6FINISH(0(DI)(R8*2), Y6, Y2)
	Q6FINISH(0(DI)(R11*1), Y7, Y3)
	ADDQ      $210, SI
	ADDQ      $292, DI
	DECQ      CX
	JNZ       q6kx4loop

	MOVQ   out+32(FP), DX
	Q6HSUM(Y0, X0)
	Q6HSUM(Y1, X1)
	Q6HSUM(Y2, X2)
	Q6HSUM(Y3, X3)
	VMOVSS X0, 0(DX)
	VMOVSS X1, 4(DX)
	VMOVSS X2, 8(DX)
	VMOVSS X3, 12(DX)
	VZEROUPPER
	RET

// func dotF16Asm(n int, w, a *byte) float64
// n > 0 is a multiple of 16. SI = w, DI = a (halves), CX = elements left.
// Products of halves are exact in float32; they are widened and summed in
// float64 (Y0, Y1, Y2, Y3), as the reference sums in ggml_float.
TEXT ·dotF16Asm(SB), NOSPLIT, $0-32
	MOVQ   n+0(FP), CX
	MOVQ   w+8(FP), SI
	MOVQ   a+16(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

f16loop:
	VCVTPH2PS    0(SI), Y4
	VCVTPH2PS    0(DI), Y5
	VMULPS       Y5, Y4, Y4
	VCVTPH2PS    16(SI), Y6
	VCVTPH2PS    16(DI), Y7
	VMULPS       Y7, Y6, Y6
	VCVTPS2PD    X4, Y5
	VEXTRACTF128 $1, Y4, X4
	VCVTPS2PD    X4, Y4
	VADDPD       Y5, Y0, Y0
	VADDPD       Y4, Y1, Y1
	VCVTPS2PD    X6, Y7
	VEXTRACTF128 $1, Y6, X6
	VCVTPS2PD    X6, Y6
	VADDPD       Y7, Y2, Y2
	VADDPD       Y6, Y3, Y3
	ADDQ         $32, SI
	ADDQ         $32, DI
	SUBQ         $16, CX
	JNZ          f16loop

	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	VMOVSD       X0, ret+24(FP)
	VZEROUPPER
	RET
