package quantize

import (
	"encoding/binary"
	"math"

	"github.com/baylingd/baylingd/kernels"
)

// Super-block geometry of the k-quants.
const (
	qkK       = kernels.QK_K
	q4_KBytes = 2 + 2 + 12 + qkK/2         // d, dmin, scales, qs
	q5_KBytes = 2 + 2 + 12 + qkK/8 + qkK/2 // d, dmin, scales, qh, qs
	q6_KBytes = qkK/2 + qkK/4 + qkK/16 + 2 // ql, qh, scales, d
)

const (
	groupEps  = float32(1e-15)    // GROUP_MAX_EPS: below it a group is "all zero"
	magicNear = float32(12582912) // 1.5 * 2^23, see nearestInt
)

// nearestInt is ggml's nearest_int: adding 1.5*2^23 leaves the integer
// nearest to f (ties to even) in the low mantissa bits. The explicit
// conversion makes the caller's product (nearestInt(a*b) is the usual call)
// a rounding point, so that it cannot be fused into an FMA with the add
// once inlined; C rounds it when passing the argument.
func nearestInt(f float32) int32 {
	i := math.Float32bits(float32(f) + magicNear)
	return int32(i&0x007fffff) - 0x00400000
}

func clampI32(v, lo, hi int32) int32 { return max(lo, min(hi, v)) }

func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }

// makeQXQuants is make_qx_quants with rmse_type 1 and no importance
// weights, on a group of 16 (the only form the reference quantizers use,
// for Q6_K): a symmetric scale fitted by weighted least squares (weights
// x^2) over 19 candidate inverse scales around -nmax/max. L receives
// q + nmax in [0, 2*nmax).
func makeQXQuants(nmax int32, x *[16]float32, L *[16]int8) float32 {
	var amax, max float32
	for _, v := range x {
		if ax := fabs(v); ax > amax {
			amax, max = ax, v
		}
	}
	if amax < groupEps {
		*L = [16]int8{}
		return 0
	}
	fn := float32(nmax)
	iscale := -fn / max
	var sumlx, suml2 float32
	for i, v := range x {
		l := clampI32(nearestInt(iscale*v), -nmax, nmax-1)
		L[i] = int8(l + nmax)
		w := float32(v * v)
		fl := float32(l)
		sumlx += float32(w * v * fl)
		suml2 += float32(w * fl * fl)
	}
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fn + float32(0.1*float32(is))) / max
		sumlx, suml2 = 0, 0
		for _, v := range x {
			l := clampI32(nearestInt(iscale*v), -nmax, nmax-1)
			w := float32(v * v)
			fl := float32(l)
			sumlx += float32(w * v * fl)
			suml2 += float32(w * fl * fl)
		}
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			for i, v := range x {
				L[i] = int8(nmax + clampI32(nearestInt(iscale*v), -nmax, nmax-1))
			}
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	return scale
}

// makeQKX2Quants is make_qkx2_quants with use_mad false, for the groups
// of 32 of Q4_K and Q5_K: an asymmetric (scale, min) fit of x to levels
// 0..nmax, trying nstep+1 inverse scales (rmin + rdelta*is + nmax)/(max -
// min) and keeping the one whose weighted squared error is lowest. It
// returns the scale and the (positive) minimum to subtract; L receives the
// levels.
//
// This is the converter's hot loop. The fixed-size arrays let the compiler
// drop bounds checks, and x - min is kept in xm between changes of min;
// both leave every float operation, and so the result, as in ggml.
func makeQKX2Quants(nmax int32, x, weights *[32]float32, L *[32]uint8, rmin, rdelta float32, nstep int) (scale, theMin float32) {
	mn, mx := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < 32; i++ {
		if x[i] < mn {
			mn = x[i]
		}
		if x[i] > mx {
			mx = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if mn > 0 {
		mn = 0
	}
	if mx == mn {
		*L = [32]uint8{}
		return 0, -mn
	}
	var xm [32]float32
	for i := range xm {
		xm[i] = x[i] - mn
	}
	fn := float32(nmax)
	iscale := fn / (mx - mn)
	scale = 1 / iscale
	var bestError float32
	for i := range xm {
		l := clampI32(nearestInt(iscale*xm[i]), 0, nmax)
		L[i] = uint8(l)
		diff := float32(scale*float32(l)) + mn - x[i]
		bestError += float32(weights[i] * float32(diff*diff))
	}
	var Laux [32]uint8
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + fn) / (mx - mn)
		var sumL, sumL2, sumXL float32
		for i := range xm {
			l := clampI32(nearestInt(iscale*xm[i]), 0, nmax)
			Laux[i] = uint8(l)
			w := weights[i]
			fl := float32(l)
			sumL += float32(w * fl)
			sumL2 += float32(w * fl * fl)
			sumXL += float32(w * fl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curError float32
			for i := range Laux {
				diff := float32(thisScale*float32(Laux[i])) + thisMin - x[i]
				curError += float32(weights[i] * float32(diff*diff))
			}
			if curError < bestError {
				*L = Laux
				bestError = curError
				scale = thisScale
				if thisMin != mn {
					mn = thisMin
					for i := range xm {
						xm[i] = x[i] - mn
					}
				}
			}
		}
	}
	return scale, -mn
}

// scaleMinK4 is get_scale_min_k4: the 6-bit scale and min of group j from
// the 12 packed bytes of a Q4_K/Q5_K super-block.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// packScalesK4 stores the 8 6-bit scales and mins of a Q4_K/Q5_K
// super-block: groups 0-3 in the low 6 bits of bytes 0-3 (scales) and 4-7
// (mins), groups 4-7 split into a nibble in bytes 8-11 and two high bits on
// top of bytes 0-7.
func packScalesK4(sb []byte, ls, lm *[8]uint8) {
	for j := 0; j < 8; j++ {
		if j < 4 {
			sb[j] = ls[j]
			sb[j+4] = lm[j]
		} else {
			sb[j+4] = ls[j]&0xf | (lm[j]&0xf)<<4
			sb[j-4] |= (ls[j] >> 4) << 6
			sb[j] |= (lm[j] >> 4) << 6
		}
	}
}

// kQuantAffine runs the part quantize_row_q4_K_ref and q5_K_ref share for
// one super-block: per group of 32 a (scale, min) fit with weights
// av_x + |x|, the scales and mins themselves quantized to 6 bits against
// the block maxima (d, dmin in fp16), and the final levels recomputed from
// the rounded scales. It fills sb (12 bytes) and L and returns d and dmin.
func kQuantAffine(x []float32, nmax int32, rmin, rdelta float32, nstep int, sb []byte, L *[qkK]uint8) (d16, dmin16 uint16) {
	var (
		weights       [32]float32
		scales, mins  [8]float32
		maxScale, mxM float32
	)
	for j := 0; j < qkK/32; j++ {
		xs := (*[32]float32)(x[32*j : 32*j+32])
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := sqrt32(sumX2 / 32)
		for l, v := range xs {
			weights[l] = avX + fabs(v)
		}
		scales[j], mins[j] = makeQKX2Quants(nmax, xs, &weights, (*[32]uint8)(L[32*j:32*j+32]), rmin, rdelta, nstep)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > mxM {
			mxM = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if mxM > 0 {
		invMin = 63 / mxM
	}
	var ls, lm [8]uint8
	for j := range ls {
		// ggml assigns the int to a uint8_t before clamping: a negative
		// level wraps around and is then clamped to 63.
		ls[j] = min(63, uint8(nearestInt(invScale*scales[j])))
		lm[j] = min(63, uint8(nearestInt(invMin*mins[j])))
	}
	packScalesK4(sb, &ls, &lm)
	d16 = kernels.F32ToF16(maxScale / 63)
	dmin16 = kernels.F32ToF16(mxM / 63)
	dF, dminF := kernels.F16ToF32(d16), kernels.F16ToF32(dmin16)
	for j := 0; j < qkK/32; j++ {
		sc, m := scaleMinK4(j, sb)
		d := float32(dF * float32(sc))
		if d == 0 {
			continue
		}
		dm := float32(dminF * float32(m))
		for ii := 0; ii < 32; ii++ {
			l := nearestInt((x[32*j+ii] + dm) / d)
			L[32*j+ii] = uint8(clampI32(l, 0, nmax))
		}
	}
	return d16, dmin16
}

// quantQ4_K is quantize_row_q4_K_ref: 8 groups of 32 with 4-bit levels,
// make_qkx2_quants(nmax 15, rmin -1, rdelta 0.1, nstep 20).
func quantQ4_K(src []float32, dst []byte) {
	var L [qkK]uint8
	for len(src) >= qkK {
		x := src[:qkK]
		b := dst[:q4_KBytes]
		clear(b)
		d16, dmin16 := kQuantAffine(x, 15, -1, 0.1, 20, b[4:16], &L)
		binary.LittleEndian.PutUint16(b[0:], d16)
		binary.LittleEndian.PutUint16(b[2:], dmin16)
		q := b[16:]
		for j := 0; j < qkK; j += 64 {
			for l := 0; l < 32; l++ {
				q[l] = L[j+l] | L[j+l+32]<<4
			}
			q = q[32:]
		}
		src, dst = src[qkK:], dst[q4_KBytes:]
	}
}

// quantQ5_K is quantize_row_q5_K_ref: as Q4_K with 5-bit levels
// (nmax 31, rmin -0.5, rdelta 0.1, nstep 15), the fifth bits in qh.
func quantQ5_K(src []float32, dst []byte) {
	var L [qkK]uint8
	for len(src) >= qkK {
		x := src[:qkK]
		b := dst[:q5_KBytes]
		clear(b)
		d16, dmin16 := kQuantAffine(x, 31, -0.5, 0.1, 15, b[4:16], &L)
		binary.LittleEndian.PutUint16(b[0:], d16)
		binary.LittleEndian.PutUint16(b[2:], dmin16)
		qh := b[16:48]
		ql := b[48:]
		m1, m2 := uint8(1), uint8(2)
		for n := 0; n < qkK; n += 64 {
			for j := 0; j < 32; j++ {
				l1 := L[n+j]
				if l1 > 15 {
					l1 -= 16
					qh[j] |= m1
				}
				l2 := L[n+j+32]
				if l2 > 15 {
					l2 -= 16
					qh[j] |= m2
				}
				ql[j] = l1 | l2<<4
			}
			m1 <<= 2
			m2 <<= 2
			ql = ql[32:]
		}
		src, dst = src[qkK:], dst[q5_KBytes:]
	}
}

// quantQ6_K is quantize_row_q6_K_ref: 16 groups of 16 with symmetric 6-bit
// levels from make_qx_quants, the group scales quantized to int8 against
// the largest one (d = max_scale/-128 in fp16), and the levels recomputed
// from the rounded scales.
func quantQ6_K(src []float32, dst []byte) {
	var (
		L      [qkK]int8
		scales [qkK / 16]float32
	)
	for len(src) >= qkK {
		x := src[:qkK]
		b := dst[:q6_KBytes]
		var maxScale, maxAbs float32
		for ib := 0; ib < qkK/16; ib++ {
			s := makeQXQuants(32, (*[16]float32)(x[16*ib:16*ib+16]), (*[16]int8)(L[16*ib:16*ib+16]))
			scales[ib] = s
			if as := fabs(s); as > maxAbs {
				maxAbs, maxScale = as, s
			}
		}
		if maxAbs < groupEps {
			clear(b) // d = +0 and all levels zero, as ggml's memset
			src, dst = src[qkK:], dst[q6_KBytes:]
			continue
		}
		iscale := -128 / maxScale
		d16 := kernels.F32ToF16(1 / iscale)
		binary.LittleEndian.PutUint16(b[208:], d16)
		sc := b[192:208]
		for ib := range scales {
			sc[ib] = byte(int8(min(127, nearestInt(iscale*scales[ib]))))
		}
		dF := kernels.F16ToF32(d16)
		for j := 0; j < qkK/16; j++ {
			d := float32(dF * float32(int8(sc[j])))
			if d == 0 {
				continue
			}
			for ii := 0; ii < 16; ii++ {
				l := clampI32(nearestInt(x[16*j+ii]/d), -32, 31)
				L[16*j+ii] = int8(l + 32)
			}
		}
		ql := b[0:128]
		qh := b[128:192]
		for j := 0; j < qkK; j += 128 {
			for l := 0; l < 32; l++ {
				q1 := uint8(L[j+l]) & 0xf
				q2 := uint8(L[j+l+32]) & 0xf
				q3 := uint8(L[j+l+64]) & 0xf
				q4 := uint8(L[j+l+96]) & 0xf
				ql[l] = q1 | q3<<4
				ql[l+32] = q2 | q4<<4
				qh[l] = uint8(L[j+l])>>4 | (uint8(L[j+l+32])>>4)<<2 | (uint8(L[j+l+64])>>4)<<4 | (uint8(L[j+l+96])>>4)<<6
			}
			ql = ql[64:]
			qh = qh[32:]
		}
		src, dst = src[qkK:], dst[q6_KBytes:]
	}
}
