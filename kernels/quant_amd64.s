//go:build !purego && !noasm

#include "textflag.h"

DATA  ·absMask<>+0(SB)/8, $0x7fffffff7fffffff
DATA  ·absMask<>+8(SB)/8, $0x7fffffff7fffffff
DATA  ·absMask<>+16(SB)/8, $0x7fffffff7fffffff
DATA  ·absMask<>+24(SB)/8, $0x7fffffff7fffffff
GLOBL ·absMask<>(SB), RODATA|NOPTR, $32

DATA  ·signMask<>+0(SB)/8, $0x8000000080000000
DATA  ·signMask<>+8(SB)/8, $0x8000000080000000
DATA  ·signMask<>+16(SB)/8, $0x8000000080000000
DATA  ·signMask<>+24(SB)/8, $0x8000000080000000
GLOBL ·signMask<>(SB), RODATA|NOPTR, $32

DATA  ·f32half<>+0(SB)/8, $0x3f0000003f000000
DATA  ·f32half<>+8(SB)/8, $0x3f0000003f000000
DATA  ·f32half<>+16(SB)/8, $0x3f0000003f000000
DATA  ·f32half<>+24(SB)/8, $0x3f0000003f000000
GLOBL ·f32half<>(SB), RODATA|NOPTR, $32

DATA  ·f32one<>+0(SB)/8, $0x3f8000003f800000
DATA  ·f32one<>+8(SB)/8, $0x3f8000003f800000
DATA  ·f32one<>+16(SB)/8, $0x3f8000003f800000
DATA  ·f32one<>+24(SB)/8, $0x3f8000003f800000
GLOBL ·f32one<>(SB), RODATA|NOPTR, $32

DATA  ·magic<>+0(SB)/8, $0x4b4000004b400000
DATA  ·magic<>+8(SB)/8, $0x4b4000004b400000
DATA  ·magic<>+16(SB)/8, $0x4b4000004b400000
DATA  ·magic<>+24(SB)/8, $0x4b4000004b400000
GLOBL ·magic<>(SB), RODATA|NOPTR, $32

DATA  ·mant23<>+0(SB)/8, $0x007fffff007fffff
DATA  ·mant23<>+8(SB)/8, $0x007fffff007fffff
DATA  ·mant23<>+16(SB)/8, $0x007fffff007fffff
DATA  ·mant23<>+24(SB)/8, $0x007fffff007fffff
GLOBL ·mant23<>(SB), RODATA|NOPTR, $32

DATA  ·i400000<>+0(SB)/8, $0x0040000000400000
DATA  ·i400000<>+8(SB)/8, $0x0040000000400000
DATA  ·i400000<>+16(SB)/8, $0x0040000000400000
DATA  ·i400000<>+24(SB)/8, $0x0040000000400000
GLOBL ·i400000<>(SB), RODATA|NOPTR, $32

DATA  ·i127<>+0(SB)/8, $0x0000007f0000007f
DATA  ·i127<>+8(SB)/8, $0x0000007f0000007f
DATA  ·i127<>+16(SB)/8, $0x0000007f0000007f
DATA  ·i127<>+24(SB)/8, $0x0000007f0000007f
GLOBL ·i127<>(SB), RODATA|NOPTR, $32

DATA  ·dwFF<>+0(SB)/8, $0x000000ff000000ff
DATA  ·dwFF<>+8(SB)/8, $0x000000ff000000ff
DATA  ·dwFF<>+16(SB)/8, $0x000000ff000000ff
DATA  ·dwFF<>+24(SB)/8, $0x000000ff000000ff
GLOBL ·dwFF<>(SB), RODATA|NOPTR, $32

DATA  ·b80<>+0(SB)/8, $0x8080808080808080
DATA  ·b80<>+8(SB)/8, $0x8080808080808080
DATA  ·b80<>+16(SB)/8, $0x8080808080808080
DATA  ·b80<>+24(SB)/8, $0x8080808080808080
GLOBL ·b80<>(SB), RODATA|NOPTR, $32

// Dword order that undoes the lane interleave of vpackssdw/vpackuswb.
DATA  ·packPerm<>+0(SB)/8, $0x0000000400000000
DATA  ·packPerm<>+8(SB)/8, $0x0000000500000001
DATA  ·packPerm<>+16(SB)/8, $0x0000000600000002
DATA  ·packPerm<>+24(SB)/8, $0x0000000700000003
GLOBL ·packPerm<>(SB), RODATA|NOPTR, $32

// ROUNDF(x) rounds the floats of x half away from zero in place (C's
// roundf): t = trunc(x), plus sign(x) where |x - t| >= 0.5; x - t is exact.
// Y12 = abs mask, Y11 = sign mask, Y10 = 0.5, Y9 = 1.0. Clobbers Y7, Y8.
#define ROUNDF(x) \
	VROUNDPS $3, x, Y7          \
	VSUBPS   Y7, x, Y8          \
	VANDPS   Y12, Y8, Y8        \
	VCMPPS   $0x1d, Y10, Y8, Y8 \
	VANDPS   Y11, x, x          \
	VORPS    Y9, x, x           \
	VANDPS   Y8, x, x           \
	VADDPS   Y7, x, x

// func quantQ8_0Asm(nb int, src *float32, dst *byte) int
// SI = src, DI = dst (34-byte blocks), CX = blocks left, DX = blocks done.
// Y0-Y3 = the block; Y4 = |x| as uint32 bits, whose unsigned maximum is
// the float maximum for finite values and flags NaN and infinity
// (>= 0x7f800000). Returns early at a block the reference must do.
TEXT ·quantQ8_0Asm(SB), NOSPLIT, $0-32
	MOVQ    nb+0(FP), CX
	MOVQ    src+8(FP), SI
	MOVQ    dst+16(FP), DI
	XORQ    DX, DX
	VMOVDQU ·absMask<>(SB), Y12
	VMOVDQU ·signMask<>(SB), Y11
	VMOVDQU ·f32half<>(SB), Y10
	VMOVDQU ·f32one<>(SB), Y9
	VMOVDQU ·packPerm<>(SB), Y13

q80block:
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VPAND   Y12, Y0, Y4
	VPAND   Y12, Y1, Y5
	VPMAXUD Y5, Y4, Y4
	VPAND   Y12, Y2, Y5
	VPMAXUD Y5, Y4, Y4
	VPAND   Y12, Y3, Y5
	VPMAXUD Y5, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPMAXUD X5, X4, X4
	VPSHUFD $0x4e, X4, X5
	VPMAXUD X5, X4, X4
	VPSHUFD $0xb1, X4, X5
	VPMAXUD X5, X4, X4        // X4[0] = amax
	VMOVD   X4, AX
	CMPL    AX, $0x7f800000
	JAE     q80out            // NaN or infinity: the reference's job

	MOVL      $0x42fe0000, AX // 127.0
	VMOVD     AX, X5
	VDIVSS    X5, X4, X5      // d = amax/127
	VCVTPS2PH $0, X5, X6      // F32ToF16(d)
	VPEXTRW   $0, X6, AX
	MOVW      AX, 0(DI)
	VXORPS    X6, X6, X6
	VUCOMISS  X6, X5
	JEQ       q80zero
	VMOVSS    ·f32one<>(SB), X6
	VDIVSS    X5, X6, X6      // id = 1/d
	VMOVD     X6, AX
	ANDL      $0x7fffffff, AX
	CMPL      AX, $0x7f800000
	JAE       q80out          // 1/d overflowed: tiny block, reference

q80zero:
	VBROADCASTSS X6, Y6
	VMULPS       Y6, Y0, Y0
	VMULPS       Y6, Y1, Y1
	VMULPS       Y6, Y2, Y2
	VMULPS       Y6, Y3, Y3
	ROUNDF(Y0)
	ROUNDF(Y1)
	ROUNDF(Y2)
	ROUNDF(Y3)
	VCVTTPS2DQ Y0, Y0
	VCVTTPS2DQ Y1, Y1
	VCVTTPS2DQ Y2, Y2
	VCVTTPS2DQ Y3, Y3
	VPACKSSDW  Y1, Y0, Y0     // values are within [-127, 127]
	VPACKSSDW  Y3, Y2, Y2
	VPACKSSWB  Y2, Y0, Y0
	VPERMD     Y0, Y13, Y0
	VMOVDQU    Y0, 2(DI)

	ADDQ $128, SI
	ADDQ $34, DI
	INCQ DX
	DECQ CX
	JNZ  q80block

q80out:
	MOVQ DX, ret+24(FP)
	VZEROUPPER
	RET

// func quantQ8_KAsm(nb int, src *float32, dst *byte) int
// SI = src, DI = dst (292-byte blocks: float32 d, 256 quants, 16 int16
// bsums), CX = blocks left, DX = blocks done, R8 = element loop pointer,
// BX = vector count. Blocks with a NaN or an infinity, or a largest value so
// small that -127/vmax overflows, return to the reference.
TEXT ·quantQ8_KAsm(SB), NOSPLIT, $0-32
	MOVQ    nb+0(FP), CX
	MOVQ    src+8(FP), SI
	MOVQ    dst+16(FP), DI
	XORQ    DX, DX
	VMOVDQU ·absMask<>(SB), Y12

qkblock:
	// Unsigned max of |x| bits over the 256 values (finite: the float
	// max; >= 0x7f800000: NaN or infinity).
	VPXOR Y4, Y4, Y4
	MOVQ  SI, R8
	MOVQ  $8, BX

qkmax:
	VPAND   0(R8), Y12, Y0
	VPAND   32(R8), Y12, Y1
	VPAND   64(R8), Y12, Y2
	VPAND   96(R8), Y12, Y3
	VPMAXUD Y1, Y0, Y0
	VPMAXUD Y3, Y2, Y2
	VPMAXUD Y2, Y0, Y0
	VPMAXUD Y0, Y4, Y4
	ADDQ    $128, R8
	DECQ    BX
	JNZ     qkmax

	VEXTRACTI128 $1, Y4, X5
	VPMAXUD X5, X4, X4
	VPSHUFD $0x4e, X4, X5
	VPMAXUD X5, X4, X4
	VPSHUFD $0xb1, X4, X5
	VPMAXUD X5, X4, X4
	VMOVD   X4, AX
	CMPL    AX, $0x7f800000
	JAE     qkout
	TESTL   AX, AX
	JNZ     qkfind

	// All zero: the reference clears the block.
	VPXOR   Y0, Y0, Y0
	MOVQ    DI, R8
	MOVQ    $9, BX

qkclear:
	VMOVDQU Y0, 0(R8)
	ADDQ    $32, R8
	DECQ    BX
	JNZ     qkclear
	MOVL    $0, 0(R8)         // 9*32 + 4 = 292
	JMP     qknext

qkfind:
	// vmax = the first x with |x| == amax.
	VPBROADCASTD X4, Y4
	MOVQ         SI, R8

qkfindloop:
	VPAND    0(R8), Y12, Y0
	VPCMPEQD Y4, Y0, Y0
	VMOVMSKPS Y0, AX
	TESTL    AX, AX
	JNZ      qkfound
	ADDQ     $32, R8
	JMP      qkfindloop

qkfound:
	BSFL   AX, AX
	VMOVSS (R8)(AX*4), X5     // vmax
	MOVL   $0xc2fe0000, AX    // -127.0
	VMOVD  AX, X6
	VDIVSS X5, X6, X6         // iscale = -127/vmax
	VMOVD  X6, AX
	ANDL   $0x7fffffff, AX
	CMPL   AX, $0x7f800000
	JAE    qkout
	VMOVSS ·f32one<>(SB), X7
	VDIVSS X6, X7, X7         // d = 1/iscale
	VMOVSS X7, 0(DI)
	VBROADCASTSS X6, Y6

	VMOVDQU ·magic<>(SB), Y11
	VMOVDQU ·mant23<>(SB), Y10
	VMOVDQU ·i400000<>(SB), Y9
	VMOVDQU ·i127<>(SB), Y8
	VMOVDQU ·dwFF<>(SB), Y7
	VMOVDQU ·packPerm<>(SB), Y13
	VMOVDQU ·b80<>(SB), Y14
	VPXOR   Y15, Y15, Y15
	MOVQ    SI, R8
	LEAQ    4(DI), R9          // quants
	LEAQ    260(DI), R10       // bsums
	MOVQ    $8, BX

qkquant:
	// 32 values: q = nearest_int(iscale*x) capped at 127, low byte kept.
	VMULPS  0(R8), Y6, Y0
	VMULPS  32(R8), Y6, Y1
	VMULPS  64(R8), Y6, Y2
	VMULPS  96(R8), Y6, Y3
	VADDPS  Y11, Y0, Y0
	VADDPS  Y11, Y1, Y1
	VADDPS  Y11, Y2, Y2
	VADDPS  Y11, Y3, Y3
	VPAND   Y10, Y0, Y0
	VPAND   Y10, Y1, Y1
	VPAND   Y10, Y2, Y2
	VPAND   Y10, Y3, Y3
	VPSUBD  Y9, Y0, Y0
	VPSUBD  Y9, Y1, Y1
	VPSUBD  Y9, Y2, Y2
	VPSUBD  Y9, Y3, Y3
	VPMINSD Y8, Y0, Y0
	VPMINSD Y8, Y1, Y1
	VPMINSD Y8, Y2, Y2
	VPMINSD Y8, Y3, Y3
	VPAND   Y7, Y0, Y0
	VPAND   Y7, Y1, Y1
	VPAND   Y7, Y2, Y2
	VPAND   Y7, Y3, Y3
	VPACKUSDW Y1, Y0, Y0
	VPACKUSDW Y3, Y2, Y2
	VPACKUSWB Y2, Y0, Y0
	VPERMD    Y0, Y13, Y0
	VMOVDQU   Y0, 0(R9)

	// bsums of the two 16s: sum(q+128) over 8 bytes with vpsadbw, minus
	// 8*128 per half.
	VPXOR     Y14, Y0, Y0
	VPSADBW   Y15, Y0, Y0      // 4 qwords: sums of bytes 0-7, 8-15, 16-23, 24-31
	VPSHUFD   $0x4e, Y0, Y1
	VPADDQ    Y1, Y0, Y0       // qword 0 (lane 0) = sum of 16, qword 2 (lane 1) = next
	VMOVQ     X0, AX
	SUBL      $2048, AX
	MOVW      AX, 0(R10)
	VEXTRACTI128 $1, Y0, X1
	VMOVQ     X1, AX
	SUBL      $2048, AX
	MOVW      AX, 2(R10)

	ADDQ $128, R8
	ADDQ $32, R9
	ADDQ $4, R10
	DECQ BX
	JNZ  qkquant

qknext:
	ADDQ $1024, SI
	ADDQ $292, DI
	INCQ DX
	DECQ CX
	JNZ  qkblock

qkout:
	MOVQ DX, ret+24(FP)
	VZEROUPPER
	RET

// func f32ToF16Asm(n int, src *float32, dst *byte)
// n > 0 is a multiple of 8. SI = src, DI = dst, CX = elements left.
TEXT ·f32ToF16Asm(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ dst+16(FP), DI

f2hloop:
	VMOVUPS   0(SI), Y0
	VCVTPS2PH $0, Y0, X0
	VMOVDQU   X0, 0(DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JNZ       f2hloop
	VZEROUPPER
	RET
