package kernels

import "encoding/binary"

// Reference dots of the K-quants against Q8_K activations, as
// ggml_vec_dot_qX_K_q8_K_generic (ggml-cpu/quants.c).
//
// For Q3_K..Q6_K, ggml's generic code keeps eight int32 lane sums per block
// (element index mod 8, each weighted by its group's scale), scales each
// lane by d = dx*dy into eight float32 accumulators that run across all
// blocks, subtracts dmin*sum(bsums*mins) from a separate float32 sum block
// by block, and adds the eight lanes at the end. Integer sums are exact in
// any order, but the float steps are not, so the lanes are kept here too.
// Q2_K instead adds one `dall*isum - dmin*summs` per block.

// addLanes adds sc * (a[i]*q8[i]) into lane i mod 8 of acc; len(a) is a
// multiple of 8 and a group starts on a lane-0 boundary.
func addLanes(acc *[8]int32, sc int32, a []int8, q8 []byte) {
	q8 = q8[:len(a)]
	var t [8]int32
	for i := 0; i+8 <= len(a); i += 8 {
		aa, qq := a[i:i+8], q8[i:i+8]
		t[0] += int32(aa[0]) * int32(int8(qq[0]))
		t[1] += int32(aa[1]) * int32(int8(qq[1]))
		t[2] += int32(aa[2]) * int32(int8(qq[2]))
		t[3] += int32(aa[3]) * int32(int8(qq[3]))
		t[4] += int32(aa[4]) * int32(int8(qq[4]))
		t[5] += int32(aa[5]) * int32(int8(qq[5]))
		t[6] += int32(aa[6]) * int32(int8(qq[6]))
		t[7] += int32(aa[7]) * int32(int8(qq[7]))
	}
	for l := range acc {
		acc[l] += sc * t[l]
	}
}

// finishLanes adds d * lane into the cross-block lane accumulators.
func finishLanes(sums *[8]float32, d float32, acc *[8]int32) {
	for l := range sums {
		sums[l] += float32(d * float32(acc[l]))
	}
}

// q8KBlock splits a Q8_K block into d, quants and bsums.
func q8KBlock(y []byte) (d float32, qs, bsums []byte) {
	y = y[:q8_KBytes]
	return le32f(y), y[4 : 4+QK_K], y[4+QK_K:]
}

func bsum(bsums []byte, j int) int32 {
	return int32(int16(binary.LittleEndian.Uint16(bsums[2*j:])))
}

func dotQ2_KQ8_K(n int, w, a []byte) float32 {
	nb := n / QK_K
	w = w[:nb*q2_KBytes]
	a = a[:nb*q8_KBytes]
	var sumf float32
	for len(w) >= q2_KBytes {
		x := w[:q2_KBytes]
		yd, q8, bsums := q8KBlock(a)
		sc := x[0:16]

		var summs int32
		for j := 0; j < 16; j++ {
			summs += bsum(bsums, j) * int32(sc[j]>>4)
		}
		dall := yd * f16at(x[80:])
		dmin := yd * f16at(x[82:])

		var isum int32
		is := 0
		for k := 0; k < 2; k++ {
			q2 := x[16+32*k : 16+32*k+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for h := 0; h < 2; h++ {
					d := int32(sc[is] & 0x0f)
					is++
					qq := q2[16*h : 16*h+16]
					yy := q8[:16]
					var isuml int32
					for l, q := range qq {
						isuml += int32(int8(yy[l])) * int32((q>>shift)&3)
					}
					isum += d * isuml
					q8 = q8[16:]
				}
			}
		}
		sumf += float32(dall*float32(isum)) - float32(dmin*float32(summs))
		w, a = w[q2_KBytes:], a[q8_KBytes:]
	}
	return sumf
}

func dotQ3_KQ8_K(n int, w, a []byte) float32 {
	nb := n / QK_K
	w = w[:nb*q3_KBytes]
	a = a[:nb*q8_KBytes]
	var sums [8]float32
	var aux [QK_K]int8
	var scales [16]int32
	for len(w) >= q3_KBytes {
		x := w[:q3_KBytes]
		yd, q8, _ := q8KBlock(a)
		hm := x[0:32]

		// Decode to signed [-4, 3] in element order: two low bits, minus 4
		// unless the hmask bit of this run of 32 (bit o/32) is set.
		o := 0
		for k := 0; k < 2; k++ {
			q3 := x[32+32*k : 32+32*k+32]
			for shift := uint(0); shift < 8; shift += 2 {
				hbit := uint(o / 32)
				dst := aux[o : o+32]
				for l, q := range q3 {
					dst[l] = int8((q>>shift)&3) - 4 + int8((hm[l]>>hbit&1)<<2)
				}
				o += 32
			}
		}
		q3KScales(x[96:108], &scales)

		var acc [8]int32
		for j := 0; j < 16; j++ {
			addLanes(&acc, scales[j], aux[16*j:16*j+16], q8[16*j:16*j+16])
		}
		finishLanes(&sums, f16at(x[108:])*yd, &acc)
		w, a = w[q3_KBytes:], a[q8_KBytes:]
	}
	var sumf float32
	for _, s := range sums {
		sumf += s
	}
	return sumf
}

// minsDotBsums is sum_j bsums[j] * min[j/2]: the block minimums (one per 32
// weights) times the activation sums (one per 16).
func minsDotBsums(scales, bsums []byte) int32 {
	var sumi int32
	for j := 0; j < QK_K/16; j++ {
		_, m := scaleMinK4(j/2, scales)
		sumi += bsum(bsums, j) * int32(m)
	}
	return sumi
}

func dotQ4_KQ8_K(n int, w, a []byte) float32 {
	nb := n / QK_K
	w = w[:nb*q4_KBytes]
	a = a[:nb*q8_KBytes]
	var sums [8]float32
	var sumf float32
	var aux [QK_K]int8
	for len(w) >= q4_KBytes {
		x := w[:q4_KBytes]
		yd, q8, bsums := q8KBlock(a)
		scales := x[4:16]

		for j := 0; j < 4; j++ {
			q4 := x[16+32*j : 16+32*j+32]
			lo, hi := aux[64*j:64*j+32], aux[64*j+32:64*j+64]
			for l, q := range q4 {
				lo[l] = int8(q & 0x0f)
				hi[l] = int8(q >> 4)
			}
		}
		var acc [8]int32
		for j := 0; j < 8; j++ {
			sc, _ := scaleMinK4(j, scales)
			addLanes(&acc, int32(sc), aux[32*j:32*j+32], q8[32*j:32*j+32])
		}
		finishLanes(&sums, f16at(x[0:])*yd, &acc)
		dmin := f16at(x[2:]) * yd
		sumf -= float32(dmin * float32(minsDotBsums(scales, bsums)))
		w, a = w[q4_KBytes:], a[q8_KBytes:]
	}
	for _, s := range sums {
		sumf += s
	}
	return sumf
}

func dotQ5_KQ8_K(n int, w, a []byte) float32 {
	nb := n / QK_K
	w = w[:nb*q5_KBytes]
	a = a[:nb*q8_KBytes]
	var sums [8]float32
	var sumf float32
	var aux [QK_K]int8
	for len(w) >= q5_KBytes {
		x := w[:q5_KBytes]
		yd, q8, bsums := q8KBlock(a)
		scales := x[4:16]
		qh := x[16:48]

		// Sub-block s of 32 takes its fifth bits from bit s of qh[l].
		for j := 0; j < 4; j++ {
			q4 := x[48+32*j : 48+32*j+32]
			lo, hi := aux[64*j:64*j+32], aux[64*j+32:64*j+64]
			sh := uint(2 * j)
			for l, q := range q4 {
				h := qh[l] >> sh
				lo[l] = int8(q&0x0f | (h&1)<<4)
				hi[l] = int8(q>>4 | (h>>1&1)<<4)
			}
		}
		var acc [8]int32
		for j := 0; j < 8; j++ {
			sc, _ := scaleMinK4(j, scales)
			addLanes(&acc, int32(sc), aux[32*j:32*j+32], q8[32*j:32*j+32])
		}
		finishLanes(&sums, f16at(x[0:])*yd, &acc)
		dmin := f16at(x[2:]) * yd
		sumf -= float32(dmin * float32(minsDotBsums(scales, bsums)))
		w, a = w[q5_KBytes:], a[q8_KBytes:]
	}
	for _, s := range sums {
		sumf += s
	}
	return sumf
}

func dotQ6_KQ8_K(n int, w, a []byte) float32 {
	nb := n / QK_K
	w = w[:nb*q6_KBytes]
	a = a[:nb*q8_KBytes]
	var sums [8]float32
	var aux [QK_K]int8
	for len(w) >= q6_KBytes {
		x := w[:q6_KBytes]
		yd, q8, _ := q8KBlock(a)

		for k := 0; k < 2; k++ {
			ql := x[64*k : 64*k+64]
			qh := x[128+32*k : 128+32*k+32]
			o := aux[128*k : 128*k+128]
			for l := 0; l < 32; l++ {
				h := qh[l]
				o[l] = int8(ql[l]&0x0f|(h&3)<<4) - 32
				o[l+32] = int8(ql[l+32]&0x0f|(h>>2&3)<<4) - 32
				o[l+64] = int8(ql[l]>>4|(h>>4&3)<<4) - 32
				o[l+96] = int8(ql[l+32]>>4|(h>>6&3)<<4) - 32
			}
		}
		sc := x[192:208]
		var acc [8]int32
		for j := 0; j < 16; j++ {
			addLanes(&acc, int32(int8(sc[j])), aux[16*j:16*j+16], q8[16*j:16*j+16])
		}
		finishLanes(&sums, f16at(x[208:])*yd, &acc)
		w, a = w[q6_KBytes:], a[q8_KBytes:]
	}
	var sumf float32
	for _, s := range sums {
		sumf += s
	}
	return sumf
}
