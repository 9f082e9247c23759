package kernels

import (
	"encoding/binary"
	"math"
)

// Reference decoders, one per block format, following ggml's
// dequantize_row_* (ggml-quants.c). Every product that reaches an add or
// subtract is wrapped in float32() where it is computed: Go may fuse a
// multiply with a later add even across statements and inlined calls, and
// only an explicit conversion forbids that (see the package documentation
// and TestNoFusedMultiplyAdd).

func dequantF32(src []byte, dst []float32) {
	src = src[:4*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func dequantF16(src []byte, dst []float32) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = F16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func dequantBF16(src []byte, dst []float32) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = BF16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

// Q4_0: 32 weights x = d * (q - 8), q a nibble. Byte j holds element j in
// its low nibble and element j+16 in its high nibble.
func dequantQ4_0(src []byte, dst []float32) {
	for len(dst) >= 32 {
		b := src[:q4_0Bytes]
		d := f16at(b[0:])
		qs := b[2:18]
		y := dst[:32]
		for j := 0; j < 16; j++ {
			y[j] = float32(int32(qs[j]&0x0f)-8) * d
			y[j+16] = float32(int32(qs[j]>>4)-8) * d
		}
		src, dst = src[q4_0Bytes:], dst[32:]
	}
}

// Q4_1: x = d*q + m, q a nibble, same nibble order as Q4_0.
func dequantQ4_1(src []byte, dst []float32) {
	for len(dst) >= 32 {
		b := src[:q4_1Bytes]
		d, m := f16at(b[0:]), f16at(b[2:])
		qs := b[4:20]
		y := dst[:32]
		for j := 0; j < 16; j++ {
			y[j] = float32(float32(qs[j]&0x0f)*d) + m
			y[j+16] = float32(float32(qs[j]>>4)*d) + m
		}
		src, dst = src[q4_1Bytes:], dst[32:]
	}
}

// Q5_0: x = d * (q - 16), q five bits: the nibble as in Q4_0 plus bit j of
// the little-endian 32-bit qh as the fifth bit of element j.
func dequantQ5_0(src []byte, dst []float32) {
	for len(dst) >= 32 {
		b := src[:q5_0Bytes]
		d := f16at(b[0:])
		qh := binary.LittleEndian.Uint32(b[2:])
		qs := b[6:22]
		y := dst[:32]
		for j := 0; j < 16; j++ {
			h0 := int32(qh>>uint(j)<<4) & 0x10
			h1 := int32(qh>>uint(j+12)) & 0x10
			y[j] = float32((int32(qs[j]&0x0f)|h0)-16) * d
			y[j+16] = float32((int32(qs[j]>>4)|h1)-16) * d
		}
		src, dst = src[q5_0Bytes:], dst[32:]
	}
}

// Q5_1: x = d*q + m with the five-bit q of Q5_0.
func dequantQ5_1(src []byte, dst []float32) {
	for len(dst) >= 32 {
		b := src[:q5_1Bytes]
		d, m := f16at(b[0:]), f16at(b[2:])
		qh := binary.LittleEndian.Uint32(b[4:])
		qs := b[8:24]
		y := dst[:32]
		for j := 0; j < 16; j++ {
			h0 := int32(qh>>uint(j)<<4) & 0x10
			h1 := int32(qh>>uint(j+12)) & 0x10
			y[j] = float32(float32(int32(qs[j]&0x0f)|h0)*d) + m
			y[j+16] = float32(float32(int32(qs[j]>>4)|h1)*d) + m
		}
		src, dst = src[q5_1Bytes:], dst[32:]
	}
}

// Q8_0: x = d * q, q a signed byte.
func dequantQ8_0(src []byte, dst []float32) {
	for len(dst) >= 32 {
		b := src[:q8_0Bytes]
		d := f16at(b[0:])
		qs := b[2:34]
		y := dst[:32]
		for j := range y {
			y[j] = float32(int8(qs[j])) * d
		}
		src, dst = src[q8_0Bytes:], dst[32:]
	}
}

// Q8_1: x = d * q; s (d times the sum of q) is only used by dot products.
// ggml has no dequantizer for this activation-only type; this one exists
// for tests and tools.
func dequantQ8_1(src []byte, dst []float32) {
	for len(dst) >= 32 {
		b := src[:q8_1Bytes]
		d := f16at(b[0:])
		qs := b[4:36]
		y := dst[:32]
		for j := range y {
			y[j] = float32(int8(qs[j])) * d
		}
		src, dst = src[q8_1Bytes:], dst[32:]
	}
}

// Q2_K: 256 weights in 16 groups of 16. Each scales byte holds a 4-bit scale
// (low) and a 4-bit min (high): x = d*sc*q - dmin*m, q two bits. qs packs
// four 32-element rows per 32 bytes at shifts 0, 2, 4, 6, twice.
func dequantQ2_K(src []byte, dst []float32) {
	for len(dst) >= QK_K {
		b := src[:q2_KBytes]
		sc := b[0:16]
		d, dmin := f16at(b[80:]), f16at(b[82:])
		y := dst[:QK_K]
		is := 0
		for n := 0; n < 2; n++ {
			q := b[16+32*n : 16+32*n+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for h := 0; h < 2; h++ {
					s := sc[is]
					is++
					dl := d * float32(s&0x0f)
					ml := float32(dmin * float32(s>>4))
					qq := q[16*h : 16*h+16]
					yy := y[:16]
					for l := range yy {
						yy[l] = float32(dl*float32((qq[l]>>shift)&3)) - ml
					}
					y = y[16:]
				}
			}
		}
		src, dst = src[q2_KBytes:], dst[QK_K:]
	}
}

// q3KScales unpacks the sixteen 6-bit Q3_K scales (stored as low nibbles in
// bytes 0..7, high nibbles of the same bytes for groups 8..15, and the top
// two bits in bytes 8..11) and removes their bias of 32.
func q3KScales(s []byte, out *[16]int32) {
	s = s[:12]
	for j := 0; j < 16; j++ {
		var lo byte
		if j < 8 {
			lo = s[j] & 0x0f
		} else {
			lo = s[j-8] >> 4
		}
		hi := (s[8+j%4] >> (2 * uint(j/4))) & 3
		out[j] = int32(lo|hi<<4) - 32
	}
}

// Q3_K: 256 weights in 16 groups of 16, x = d*(sc-32)*q with q in [-4, 3]:
// two low bits in qs (as Q2_K) and a high bit in hmask that, when clear,
// subtracts 4. hmask bit k covers the k-th run of 32 elements.
func dequantQ3_K(src []byte, dst []float32) {
	var scales [16]int32
	for len(dst) >= QK_K {
		b := src[:q3_KBytes]
		hm := b[0:32]
		dAll := f16at(b[108:])
		q3KScales(b[96:108], &scales)
		y := dst[:QK_K]
		is := 0
		m := byte(1)
		for n := 0; n < 2; n++ {
			q := b[32+32*n : 32+32*n+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for h := 0; h < 2; h++ {
					dl := dAll * float32(scales[is])
					is++
					qq := q[16*h : 16*h+16]
					hh := hm[16*h : 16*h+16]
					yy := y[:16]
					for l := range yy {
						v := int32((qq[l] >> shift) & 3)
						if hh[l]&m == 0 {
							v -= 4
						}
						yy[l] = dl * float32(v)
					}
					y = y[16:]
				}
				m <<= 1
			}
		}
		src, dst = src[q3_KBytes:], dst[QK_K:]
	}
}

// scaleMinK4 unpacks the j-th 6-bit scale and min of a Q4_K/Q5_K block
// (ggml's get_scale_min_k4): groups 0..3 sit in the low six bits of bytes
// j and j+4; groups 4..7 keep their low nibbles in byte j+4 and their top
// two bits in the spare high bits of bytes j-4 and j.
func scaleMinK4(j int, s []byte) (sc, m uint8) {
	s = s[:12]
	if j < 4 {
		return s[j] & 63, s[j+4] & 63
	}
	return s[j+4]&0x0f | (s[j-4]>>6)<<4, s[j+4]>>4 | (s[j]>>6)<<4
}

// Q4_K: 256 weights in 8 groups of 32, x = d*sc*q - dmin*m with 6-bit sc and
// m; each 32 bytes of qs hold two groups (low nibbles, then high nibbles).
func dequantQ4_K(src []byte, dst []float32) {
	for len(dst) >= QK_K {
		b := src[:q4_KBytes]
		d, dmin := f16at(b[0:]), f16at(b[2:])
		scales := b[4:16]
		y := dst[:QK_K]
		for j := 0; j < 4; j++ {
			sc, m := scaleMinK4(2*j, scales)
			d1, m1 := d*float32(sc), float32(dmin*float32(m))
			sc, m = scaleMinK4(2*j+1, scales)
			d2, m2 := d*float32(sc), float32(dmin*float32(m))
			q := b[16+32*j : 16+32*j+32]
			y0, y1 := y[:32], y[32:64]
			for l := range q {
				y0[l] = float32(d1*float32(q[l]&0x0f)) - m1
				y1[l] = float32(d2*float32(q[l]>>4)) - m2
			}
			y = y[64:]
		}
		src, dst = src[q4_KBytes:], dst[QK_K:]
	}
}

// Q5_K: Q4_K plus a fifth bit per weight from qh; group g of 32 takes bit g
// of qh[l] for its element l.
func dequantQ5_K(src []byte, dst []float32) {
	for len(dst) >= QK_K {
		b := src[:q5_KBytes]
		d, dmin := f16at(b[0:]), f16at(b[2:])
		scales := b[4:16]
		qh := b[16:48]
		y := dst[:QK_K]
		u1, u2 := byte(1), byte(2)
		for j := 0; j < 4; j++ {
			sc, m := scaleMinK4(2*j, scales)
			d1, m1 := d*float32(sc), float32(dmin*float32(m))
			sc, m = scaleMinK4(2*j+1, scales)
			d2, m2 := d*float32(sc), float32(dmin*float32(m))
			ql := b[48+32*j : 48+32*j+32]
			y0, y1 := y[:32], y[32:64]
			for l := range ql {
				v0 := int32(ql[l] & 0x0f)
				if qh[l]&u1 != 0 {
					v0 += 16
				}
				v1 := int32(ql[l] >> 4)
				if qh[l]&u2 != 0 {
					v1 += 16
				}
				y0[l] = float32(d1*float32(v0)) - m1
				y1[l] = float32(d2*float32(v1)) - m2
			}
			y = y[64:]
			u1 <<= 2
			u2 <<= 2
		}
		src, dst = src[q5_KBytes:], dst[QK_K:]
	}
}

// Q6_K: 256 weights in 16 groups of 16 with signed 8-bit scales,
// x = d*sc*(q-32), q six bits: a nibble from ql and two bits from qh. Each
// 128-element half uses 64 bytes of ql and 32 of qh: element l, l+32, l+64,
// l+96 take ql[l] low, ql[l+32] low, ql[l] high, ql[l+32] high and qh[l]
// bits 0-1, 2-3, 4-5, 6-7.
func dequantQ6_K(src []byte, dst []float32) {
	for len(dst) >= QK_K {
		b := src[:q6_KBytes]
		d := f16at(b[208:])
		for n := 0; n < 2; n++ {
			ql := b[64*n : 64*n+64]
			qh := b[128+32*n : 128+32*n+32]
			sc := b[192+8*n : 192+8*n+8]
			y := dst[128*n : 128*n+128]
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int32(ql[l]&0x0f|(qh[l]>>0&3)<<4) - 32
				q2 := int32(ql[l+32]&0x0f|(qh[l]>>2&3)<<4) - 32
				q3 := int32(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int32(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				y[l] = float32(d*float32(int8(sc[is]))) * float32(q1)
				y[l+32] = float32(d*float32(int8(sc[is+2]))) * float32(q2)
				y[l+64] = float32(d*float32(int8(sc[is+4]))) * float32(q3)
				y[l+96] = float32(d*float32(int8(sc[is+6]))) * float32(q4)
			}
		}
		src, dst = src[q6_KBytes:], dst[QK_K:]
	}
}

// Q8_K: x = d * q with a float32 d; bsums are redundant for decoding.
func dequantQ8_K(src []byte, dst []float32) {
	for len(dst) >= QK_K {
		b := src[:q8_KBytes]
		d := le32f(b[0:])
		qs := b[4 : 4+QK_K]
		y := dst[:QK_K]
		for j := range y {
			y[j] = d * float32(int8(qs[j]))
		}
		src, dst = src[q8_KBytes:], dst[QK_K:]
	}
}
