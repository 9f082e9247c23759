//go:build !purego && !noasm

#include "textflag.h"

// Vector operations for AVX2/FMA/F16C that return the references' bits.
// Elementwise operations (Axpy, Scale, Add, the half conversions) are the
// same IEEE operations eight lanes at a time. The exponentials replicate
// Go's amd64 math.Exp (runtime/../math/exp_amd64.s, its FMA path, which is
// the one the references run on any CPU these kernels are chosen for) four
// float64 lanes at a time: the same reduction, Taylor polynomial and
// ldexp, operation for operation, so float32(math.Exp(float64(x))) comes
// out bit for bit.

DATA ·vlog2e<>+0(SB)/8, $1.4426950408889634073599246810018920
DATA ·vln2u<>+0(SB)/8, $0.69314718055966295651160180568695068359375
DATA ·vln2l<>+0(SB)/8, $0.28235290563031577122588448175013436025525412068e-12
DATA ·vc0625<>+0(SB)/8, $0.0625
DATA ·vhalf<>+0(SB)/8, $0.5
DATA ·vone<>+0(SB)/8, $1.0
DATA ·vtwo<>+0(SB)/8, $2.0
DATA ·vc3<>+0(SB)/8, $1.6666666666666666667e-1
DATA ·vc4<>+0(SB)/8, $4.1666666666666666667e-2
DATA ·vc5<>+0(SB)/8, $8.3333333333333333333e-3
DATA ·vc6<>+0(SB)/8, $1.3888888888888888889e-3
DATA ·vc7<>+0(SB)/8, $1.9841269841269841270e-4
DATA ·vc8<>+0(SB)/8, $2.4801587301587301587e-5
DATA ·vovf<>+0(SB)/8, $7.09782712893384e+02
DATA ·vinf<>+0(SB)/8, $0x7FF0000000000000
DATA ·vbias<>+0(SB)/8, $1023
GLOBL ·vlog2e<>(SB), RODATA|NOPTR, $8
GLOBL ·vln2u<>(SB), RODATA|NOPTR, $8
GLOBL ·vln2l<>(SB), RODATA|NOPTR, $8
GLOBL ·vc0625<>(SB), RODATA|NOPTR, $8
GLOBL ·vhalf<>(SB), RODATA|NOPTR, $8
GLOBL ·vone<>(SB), RODATA|NOPTR, $8
GLOBL ·vtwo<>(SB), RODATA|NOPTR, $8
GLOBL ·vc3<>(SB), RODATA|NOPTR, $8
GLOBL ·vc4<>(SB), RODATA|NOPTR, $8
GLOBL ·vc5<>(SB), RODATA|NOPTR, $8
GLOBL ·vc6<>(SB), RODATA|NOPTR, $8
GLOBL ·vc7<>(SB), RODATA|NOPTR, $8
GLOBL ·vc8<>(SB), RODATA|NOPTR, $8
GLOBL ·vovf<>(SB), RODATA|NOPTR, $8
GLOBL ·vinf<>(SB), RODATA|NOPTR, $8
GLOBL ·vbias<>(SB), RODATA|NOPTR, $8

DATA ·vkmin<>+0(SB)/4, $-1022
GLOBL ·vkmin<>(SB), RODATA|NOPTR, $4

// EXPPD(x) replaces the four float64 of Y0 (x) with math.Exp of them.
// Uses Y1-Y7 and X8; Y9-Y15 are untouched.
//   Y1 = x kept for the special cases, X2 = k (int32), Y3 = float64(k),
//   Y4 = the polynomial, Y5-Y7 = constants and masks.
#define EXPPD \
	VMOVAPD        Y0, Y1                     \
	VBROADCASTSD   ·vlog2e<>(SB), Y5          \
	VMULPD         Y5, Y0, Y3                 \
	VCVTPD2DQY     Y3, X2                     \
	VCVTDQ2PD      X2, Y3                     \
	VBROADCASTSD   ·vln2u<>(SB), Y5           \
	VFNMADD231PD   Y5, Y3, Y0                 \
	VBROADCASTSD   ·vln2l<>(SB), Y5           \
	VFNMADD231PD   Y5, Y3, Y0                 \
	VBROADCASTSD   ·vc0625<>(SB), Y5          \
	VMULPD         Y5, Y0, Y0                 \
	VBROADCASTSD   ·vc8<>(SB), Y4             \
	VBROADCASTSD   ·vc7<>(SB), Y5             \
	VFMADD213PD    Y5, Y0, Y4                 \
	VBROADCASTSD   ·vc6<>(SB), Y5             \
	VFMADD213PD    Y5, Y0, Y4                 \
	VBROADCASTSD   ·vc5<>(SB), Y5             \
	VFMADD213PD    Y5, Y0, Y4                 \
	VBROADCASTSD   ·vc4<>(SB), Y5             \
	VFMADD213PD    Y5, Y0, Y4                 \
	VBROADCASTSD   ·vc3<>(SB), Y5             \
	VFMADD213PD    Y5, Y0, Y4                 \
	VBROADCASTSD   ·vhalf<>(SB), Y5           \
	VFMADD213PD    Y5, Y0, Y4                 \
	VBROADCASTSD   ·vone<>(SB), Y6            \
	VFMADD213PD    Y6, Y0, Y4                 \
	VMULPD         Y4, Y0, Y0                 \
	VBROADCASTSD   ·vtwo<>(SB), Y5            \
	VADDPD         Y5, Y0, Y4                 \
	VMULPD         Y4, Y0, Y0                 \
	VADDPD         Y5, Y0, Y4                 \
	VMULPD         Y4, Y0, Y0                 \
	VADDPD         Y5, Y0, Y4                 \
	VMULPD         Y4, Y0, Y0                 \
	VADDPD         Y5, Y0, Y4                 \
	VFMADD213PD    Y6, Y4, Y0                 \
	VPMOVSXDQ      X2, Y3                     \
	VPBROADCASTQ   ·vbias<>(SB), Y5           \
	VPADDQ         Y5, Y3, Y3                 \
	VPSLLQ         $52, Y3, Y3                \
	VMULPD         Y3, Y0, Y0                 \
	VPBROADCASTD   ·vkmin<>(SB), X5           \
	VPCMPGTD       X2, X5, X5                 \
	VPMOVSXDQ      X5, Y5                     \
	VANDNPD        Y0, Y5, Y0                 \
	VBROADCASTSD   ·vovf<>(SB), Y5            \
	VCMPPD         $0x1e, Y5, Y1, Y5          \
	VBROADCASTSD   ·vinf<>(SB), Y7            \
	VBLENDVPD      Y5, Y7, Y0, Y0             \
	VCMPPD         $3, Y1, Y1, Y5             \
	VBLENDVPD      Y5, Y1, Y0, Y0

// EXPPS(src, srcx, dst) leaves float32(math.Exp(float64(s))) for the eight
// float32 s of src in dst (a Y register other than Y0-Y8). Uses Y0-Y8.
#define EXPPS(src, srcx, dst) \
	VCVTPS2PD    srcx, Y0  \
	EXPPD                  \
	VCVTPD2PSY   Y0, X8    \
	VEXTRACTF128 $1, src, X0 \
	VCVTPS2PD    X0, Y0    \
	EXPPD                  \
	VCVTPD2PSY   Y0, X0    \
	VINSERTF128  $1, X0, Y8, dst

// func siLUMulAsm(n int, gate, up *float32)
// gate[i] = float32(g/(1+float32(exp(-g)))) * up[i] for n (a positive
// multiple of 8) elements; up nil means SiLU alone. SI = gate, DI = up,
// CX = elements left, Y9 = g, Y10 = -g then the exponentials, Y11 = -0.
TEXT ·siLUMulAsm(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DI
	MOVL $0x80000000, AX
	VMOVD AX, X11
	VBROADCASTSS X11, Y11

siluloop:
	VMOVUPS 0(SI), Y9
	VXORPS  Y11, Y9, Y12
	EXPPS(Y12, X12, Y10)
	VBROADCASTSS ·f32one1<>(SB), Y12
	VADDPS  Y12, Y10, Y10
	VDIVPS  Y10, Y9, Y9
	TESTQ   DI, DI
	JZ      silunomul
	VMULPS  0(DI), Y9, Y9
	ADDQ    $32, DI

silunomul:
	VMOVUPS Y9, 0(SI)
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     siluloop
	VZEROUPPER
	RET

DATA ·f32one1<>+0(SB)/4, $1.0
GLOBL ·f32one1<>(SB), RODATA|NOPTR, $4

// func expSumAsm(n int, x *float32, vmax float32, sum float64) float64
// x[i] = float32(exp(float64(x[i]-vmax))) for n (a positive multiple of 8)
// elements, and sum += float64(x[i]) in order, one element at a time, as
// the reference does. SI = x, CX = elements left, Y13 = vmax, X14 = sum.
TEXT ·expSumAsm(SB), NOSPLIT, $0-40
	MOVQ         n+0(FP), CX
	MOVQ         x+8(FP), SI
	VBROADCASTSS vmax+16(FP), Y13
	VMOVSD       sum+24(FP), X14

exploop:
	VMOVUPS 0(SI), Y9
	VSUBPS  Y13, Y9, Y9
	EXPPS(Y9, X9, Y10)
	VMOVUPS Y10, 0(SI)
	VCVTPS2PD    X10, Y11
	VADDSD       X11, X14, X14
	VPERMILPD    $1, X11, X12
	VADDSD       X12, X14, X14
	VEXTRACTF128 $1, Y11, X12
	VADDSD       X12, X14, X14
	VPERMILPD    $1, X12, X12
	VADDSD       X12, X14, X14
	VEXTRACTF128 $1, Y10, X10
	VCVTPS2PD    X10, Y11
	VADDSD       X11, X14, X14
	VPERMILPD    $1, X11, X12
	VADDSD       X12, X14, X14
	VEXTRACTF128 $1, Y11, X12
	VADDSD       X12, X14, X14
	VPERMILPD    $1, X12, X12
	VADDSD       X12, X14, X14
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     exploop
	VMOVSD  X14, ret+32(FP)
	VZEROUPPER
	RET

// func maxAsm(n int, x *float32) (vmax float32, nan bool)
// The maximum of n (a positive multiple of 8) floats, and whether any is
// NaN (then vmax is meaningless: the reference's NaN rule depends on the
// order). Y0 = running max, Y1 = NaN flags.
TEXT ·maxAsm(SB), NOSPLIT, $0-21
	MOVQ    n+0(FP), CX
	MOVQ    x+8(FP), SI
	MOVL    $0xff800000, AX
	VMOVD   AX, X0
	VBROADCASTSS X0, Y0
	VXORPS  Y1, Y1, Y1

maxloop:
	VMOVUPS 0(SI), Y2
	VCMPPS  $3, Y2, Y2, Y3
	VORPS   Y3, Y1, Y1
	VMAXPS  Y2, Y0, Y0
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     maxloop
	VEXTRACTF128 $1, Y0, X2
	VMAXPS  X2, X0, X0
	VPERMILPS $0x4e, X0, X2
	VMAXPS  X2, X0, X0
	VPERMILPS $0xb1, X0, X2
	VMAXPS  X2, X0, X0
	VMOVSS  X0, vmax+16(FP)
	VMOVMSKPS Y1, AX
	TESTL   AX, AX
	SETNE   nan+20(FP)
	VZEROUPPER
	RET

// func axpyAsm(n int, dst *float32, alpha float32, v *float32)
// dst[i] += float32(alpha*v[i]) for n (a positive multiple of 8).
TEXT ·axpyAsm(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	VBROADCASTSS alpha+16(FP), Y0
	MOVQ         v+24(FP), SI

axpyloop:
	VMULPS  0(SI), Y0, Y1
	VADDPS  0(DI), Y1, Y1
	VMOVUPS Y1, 0(DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     axpyloop
	VZEROUPPER
	RET

// func axpyF16Asm(n int, dst *float32, alpha float32, v *uint16)
// dst[i] += float32(alpha*float(v[i])) for n (a positive multiple of 8).
TEXT ·axpyF16Asm(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	VBROADCASTSS alpha+16(FP), Y0
	MOVQ         v+24(FP), SI

axpyhloop:
	VCVTPH2PS 0(SI), Y1
	VMULPS    Y1, Y0, Y1
	VADDPS    0(DI), Y1, Y1
	VMOVUPS   Y1, 0(DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       axpyhloop
	VZEROUPPER
	RET

// func scaleAsm(n int, x *float32, s float32)
TEXT ·scaleAsm(SB), NOSPLIT, $0-20
	MOVQ         n+0(FP), CX
	MOVQ         x+8(FP), DI
	VBROADCASTSS s+16(FP), Y0

scaleloop:
	VMULPS  0(DI), Y0, Y1
	VMOVUPS Y1, 0(DI)
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     scaleloop
	VZEROUPPER
	RET

// func addAsm(n int, dst, a, b *float32)
TEXT ·addAsm(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX

addloop:
	VMOVUPS 0(SI), Y0
	VADDPS  0(DX), Y0, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     addloop
	VZEROUPPER
	RET

// func f16ToF32Asm(n int, dst *float32, src *uint16)
TEXT ·f16ToF32Asm(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI

h2floop:
	VCVTPH2PS 0(SI), Y0
	VMOVUPS   Y0, 0(DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       h2floop
	VZEROUPPER
	RET

// func dotF32Heads8Asm(n int, rows, qT, out *float32)
// Four rows (n floats apart) against eight heads: Y0..Y7 hold the float64
// sums, two registers (heads 0-3, 4-7) per row.
TEXT ·dotF32Heads8Asm(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ rows+8(FP), SI
	MOVQ qT+16(FP), DI
	MOVQ out+24(FP), DX
	LEAQ (CX*4), R8         // row stride in bytes
	LEAQ (R8)(R8*2), R9     // three rows
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

heads8loop:
	VMOVUPS (DI), Y8        // the eight heads' query element i
	VBROADCASTSS (SI), Y9
	VMULPS Y8, Y9, Y9
	VCVTPS2PD X9, Y10
	VEXTRACTF128 $1, Y9, X9
	VCVTPS2PD X9, Y9
	VADDPD Y10, Y0, Y0
	VADDPD Y9, Y1, Y1
	VBROADCASTSS (SI)(R8*1), Y11
	VMULPS Y8, Y11, Y11
	VCVTPS2PD X11, Y12
	VEXTRACTF128 $1, Y11, X11
	VCVTPS2PD X11, Y11
	VADDPD Y12, Y2, Y2
	VADDPD Y11, Y3, Y3
	VBROADCASTSS (SI)(R8*2), Y13
	VMULPS Y8, Y13, Y13
	VCVTPS2PD X13, Y14
	VEXTRACTF128 $1, Y13, X13
	VCVTPS2PD X13, Y13
	VADDPD Y14, Y4, Y4
	VADDPD Y13, Y5, Y5
	VBROADCASTSS (SI)(R9*1), Y15
	VMULPS Y8, Y15, Y15
	VCVTPS2PD X15, Y10
	VEXTRACTF128 $1, Y15, X15
	VCVTPS2PD X15, Y15
	VADDPD Y10, Y6, Y6
	VADDPD Y15, Y7, Y7
	ADDQ $4, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  heads8loop

	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VCVTPD2PSY Y3, X3
	VCVTPD2PSY Y4, X4
	VCVTPD2PSY Y5, X5
	VCVTPD2PSY Y6, X6
	VCVTPD2PSY Y7, X7
	VMOVUPS X0, 0(DX)
	VMOVUPS X1, 16(DX)
	VMOVUPS X2, 32(DX)
	VMOVUPS X3, 48(DX)
	VMOVUPS X4, 64(DX)
	VMOVUPS X5, 80(DX)
	VMOVUPS X6, 96(DX)
	VMOVUPS X7, 112(DX)
	VZEROUPPER
	RET

// func dotF32Heads4Asm(n int, rows, qT, out *float32)
// Four rows against four heads: Y0..Y3 hold each row's four float64 sums.
TEXT ·dotF32Heads4Asm(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ rows+8(FP), SI
	MOVQ qT+16(FP), DI
	MOVQ out+24(FP), DX
	LEAQ (CX*4), R8
	LEAQ (R8)(R8*2), R9
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

heads4loop:
	VMOVUPS (DI), X8        // the four heads' query element i
	VBROADCASTSS (SI), X9
	VMULPS X8, X9, X9
	VCVTPS2PD X9, Y9
	VADDPD Y9, Y0, Y0
	VBROADCASTSS (SI)(R8*1), X10
	VMULPS X8, X10, X10
	VCVTPS2PD X10, Y10
	VADDPD Y10, Y1, Y1
	VBROADCASTSS (SI)(R8*2), X11
	VMULPS X8, X11, X11
	VCVTPS2PD X11, Y11
	VADDPD Y11, Y2, Y2
	VBROADCASTSS (SI)(R9*1), X12
	VMULPS X8, X12, X12
	VCVTPS2PD X12, Y12
	VADDPD Y12, Y3, Y3
	ADDQ $4, SI
	ADDQ $16, DI
	DECQ CX
	JNZ  heads4loop

	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VCVTPD2PSY Y3, X3
	VMOVUPS X0, 0(DX)
	VMOVUPS X1, 16(DX)
	VMOVUPS X2, 32(DX)
	VMOVUPS X3, 48(DX)
	VZEROUPPER
	RET
