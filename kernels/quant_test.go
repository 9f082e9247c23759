package kernels

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestVecDotType(t *testing.T) {
	want := map[Type]Type{
		F32: F32, F16: F16, BF16: BF16,
		Q4_0: Q8_0, Q5_0: Q8_0, Q8_0: Q8_0,
		Q4_1: Q8_1, Q5_1: Q8_1,
		Q2_K: Q8_K, Q3_K: Q8_K, Q4_K: Q8_K, Q5_K: Q8_K, Q6_K: Q8_K,
	}
	for w, a := range want {
		if got := VecDotType(w); got != a {
			t.Errorf("VecDotType(%v) = %v, want %v", w, got, a)
		}
	}
}

func putHalf(b []byte, f float32) { binary.LittleEndian.PutUint16(b, F32ToF16(f)) }

func checkDecoded(t *testing.T, ty Type, b []byte, want []float64) {
	t.Helper()
	got := dequant(t, ty, b, len(want))
	for i := range want {
		if float64(got[i]) != want[i] {
			t.Fatalf("%v element %d: got %v, want %v", ty, i, got[i], want[i])
		}
	}
}

// The known-answer tests build blocks by hand and compute every expected
// value from the element index and the documented layout (ggml-common.h),
// independently of the decoders' loop structure. Scales are powers of two
// so the expected values are exact.

func TestDecodeQ4_0(t *testing.T) {
	b := make([]byte, q4_0Bytes)
	putHalf(b, 1)
	for j := 0; j < 16; j++ {
		b[2+j] = byte(j) | byte(15-j)<<4
	}
	want := make([]float64, 32)
	for e := range want {
		if e < 16 {
			want[e] = float64(e - 8) // low nibble j
		} else {
			want[e] = float64(15 - (e - 16) - 8) // high nibble 15-j
		}
	}
	checkDecoded(t, Q4_0, b, want)
	// Spot values by hand: byte 0 = 0xf0 -> x[0] = 0-8, x[16] = 15-8.
	if want[0] != -8 || want[16] != 7 || want[15] != 7 || want[31] != -8 {
		t.Fatal("hand values")
	}
	// Scale is applied: d = -0.25.
	putHalf(b, -0.25)
	for i := range want {
		want[i] *= -0.25
	}
	checkDecoded(t, Q4_0, b, want)
}

func TestDecodeQ4_1(t *testing.T) {
	b := make([]byte, q4_1Bytes)
	putHalf(b[0:], 0.5)
	putHalf(b[2:], -3)
	for j := 0; j < 16; j++ {
		b[4+j] = byte(j) | byte(j/2)<<4
	}
	want := make([]float64, 32)
	for e := range want {
		q := e
		if e >= 16 {
			q = (e - 16) / 2
		}
		want[e] = 0.5*float64(q) - 3
	}
	checkDecoded(t, Q4_1, b, want)
}

func TestDecodeQ5(t *testing.T) {
	const qh uint32 = 0xa5c3_0ff1 // bit e is the fifth bit of element e
	for _, ty := range []Type{Q5_0, Q5_1} {
		b := make([]byte, ty.BlockBytes())
		putHalf(b[0:], 2)
		off := 2
		if ty == Q5_1 {
			putHalf(b[2:], 1.5)
			off = 4
		}
		binary.LittleEndian.PutUint32(b[off:], qh)
		for j := 0; j < 16; j++ {
			b[off+4+j] = byte(15-j) | byte(j)<<4
		}
		want := make([]float64, 32)
		for e := range want {
			var lo int
			if e < 16 {
				lo = 15 - e
			} else {
				lo = e - 16
			}
			q := lo | int(qh>>e&1)<<4
			if ty == Q5_0 {
				want[e] = 2 * float64(q-16)
			} else {
				want[e] = 2*float64(q) + 1.5
			}
		}
		checkDecoded(t, ty, b, want)
	}
}

func TestDecodeQ8(t *testing.T) {
	for _, ty := range []Type{Q8_0, Q8_1} {
		b := make([]byte, ty.BlockBytes())
		putHalf(b, 0.125)
		off := 2
		if ty == Q8_1 {
			off = 4
		}
		want := make([]float64, 32)
		for e := range want {
			q := int8(e*8 - 128) // -128, -120, ..., 120
			b[off+e] = byte(q)
			want[e] = 0.125 * float64(q)
		}
		checkDecoded(t, ty, b, want)
	}
	b := make([]byte, q8_KBytes)
	binary.LittleEndian.PutUint32(b, math.Float32bits(-0.0625))
	want := make([]float64, QK_K)
	for e := range want {
		q := int8(e)
		b[4+e] = byte(q)
		want[e] = -0.0625 * float64(q)
	}
	checkDecoded(t, Q8_K, b, want)
}

// packQ3KScales packs sixteen scales in [-32, 31] as quantize_row_q3_K_ref.
func packQ3KScales(sc [16]int) []byte {
	s := make([]byte, 12)
	for j, v := range sc {
		l := byte(v + 32)
		if j < 8 {
			s[j] |= l & 0xf
		} else {
			s[j-8] |= (l & 0xf) << 4
		}
		s[8+j%4] |= (l >> 4) << (2 * (j / 4))
	}
	return s
}

// packK4Scales packs eight 6-bit scales and mins as quantize_row_q4_K_ref.
func packK4Scales(sc, mn [8]byte) []byte {
	s := make([]byte, 12)
	for j := 0; j < 8; j++ {
		if j < 4 {
			s[j] = sc[j]
			s[j+4] = mn[j]
		} else {
			s[j+4] = sc[j]&0xf | (mn[j]&0xf)<<4
			s[j-4] |= (sc[j] >> 4) << 6
			s[j] |= (mn[j] >> 4) << 6
		}
	}
	return s
}

func TestDecodeQ2_K(t *testing.T) {
	b := make([]byte, q2_KBytes)
	for g := 0; g < 16; g++ {
		b[g] = byte(g) | byte(15-g)<<4 // scale g, min 15-g
	}
	for i := 0; i < 64; i++ {
		b[16+i] = byte(i*37 + 11)
	}
	putHalf(b[80:], 0.25)
	putHalf(b[82:], 0.5)
	want := make([]float64, QK_K)
	for e := range want {
		c, r, l := e/128, (e%128)/32, e%32
		q := int(b[16+32*c+l]) >> (2 * r) & 3
		g := e / 16
		want[e] = 0.25*float64(g)*float64(q) - 0.5*float64(15-g)
	}
	checkDecoded(t, Q2_K, b, want)
}

func TestDecodeQ3_K(t *testing.T) {
	var sc [16]int
	for j := range sc {
		sc[j] = j*4 - 32 // -32 .. 28, exercising the sign and the high bits
	}
	sc[15] = 31
	b := make([]byte, q3_KBytes)
	for i := 0; i < 32; i++ {
		b[i] = byte(i*73 + 5) // hmask
	}
	for i := 0; i < 64; i++ {
		b[32+i] = byte(i*29 + 3)
	}
	copy(b[96:108], packQ3KScales(sc))
	putHalf(b[108:], 0.5)
	want := make([]float64, QK_K)
	for e := range want {
		c, r, l := e/128, (e%128)/32, e%32
		q := int(b[32+32*c+l]) >> (2 * r) & 3
		if b[l]>>(e/32)&1 == 0 {
			q -= 4
		}
		want[e] = 0.5 * float64(sc[e/16]) * float64(q)
	}
	checkDecoded(t, Q3_K, b, want)
}

func TestDecodeQ4_KQ5_K(t *testing.T) {
	scales := [8]byte{1, 2, 3, 63, 17, 40, 7, 33}
	mins := [8]byte{0, 5, 63, 9, 31, 1, 48, 2}
	for _, ty := range []Type{Q4_K, Q5_K} {
		b := make([]byte, ty.BlockBytes())
		putHalf(b[0:], 0.5)
		putHalf(b[2:], 0.25)
		copy(b[4:16], packK4Scales(scales, mins))
		qs := b[16:]
		if ty == Q5_K {
			for i := 0; i < 32; i++ {
				b[16+i] = byte(i*91 + 7) // qh
			}
			qs = b[48:]
		}
		for i := range qs {
			qs[i] = byte(i*53 + 1)
		}
		want := make([]float64, QK_K)
		for e := range want {
			s := e / 32
			by := qs[32*(e/64)+e%32]
			q := int(by & 0xf)
			if s%2 == 1 {
				q = int(by >> 4)
			}
			if ty == Q5_K && b[16+e%32]>>s&1 == 1 {
				q += 16
			}
			want[e] = 0.5*float64(scales[s])*float64(q) - 0.25*float64(mins[s])
		}
		checkDecoded(t, ty, b, want)
	}
}

func TestDecodeQ6_K(t *testing.T) {
	b := make([]byte, q6_KBytes)
	for i := 0; i < 128; i++ {
		b[i] = byte(i*47 + 9) // ql
	}
	for i := 0; i < 64; i++ {
		b[128+i] = byte(i*101 + 13) // qh
	}
	var sc [16]int8
	for j := range sc {
		sc[j] = int8(j*17 - 128)
		b[192+j] = byte(sc[j])
	}
	putHalf(b[208:], 0.125)
	want := make([]float64, QK_K)
	for e := range want {
		n, k, l := e/128, (e%128)/32, e%32
		var lo int
		switch k {
		case 0:
			lo = int(b[64*n+l] & 0xf)
		case 1:
			lo = int(b[64*n+32+l] & 0xf)
		case 2:
			lo = int(b[64*n+l] >> 4)
		case 3:
			lo = int(b[64*n+32+l] >> 4)
		}
		hi := int(b[128+32*n+l]) >> (2 * k) & 3
		want[e] = 0.125 * float64(sc[e/16]) * float64(lo|hi<<4-32)
	}
	checkDecoded(t, Q6_K, b, want)
}

func TestDequantizeFloatTypes(t *testing.T) {
	x := []float32{0, 1, -2.5, 65504, 1e-3, float32(math.Inf(-1)), 3.14159}
	for _, ty := range []Type{F32, F16, BF16} {
		b := quant(t, ty, x)
		y := dequant(t, ty, b, len(x))
		for i := range x {
			var want float32
			switch ty {
			case F32:
				want = x[i]
			case F16:
				want = F16ToF32(F32ToF16(x[i]))
			case BF16:
				want = BF16ToF32(F32ToBF16(x[i]))
			}
			if math.Float32bits(y[i]) != math.Float32bits(want) {
				t.Errorf("%v[%d]: %v, want %v", ty, i, y[i], want)
			}
		}
	}
}

// TestQuantizeRoundTrip checks the activation quantizers' error bounds and
// invariants on random rows: Q8_0/Q8_1 store d = amax/127 as a half, so
// |x - d16*q| <= d/2 + 127*|d - d16| <= 0.5625*d; Q8_K keeps d in float32 and
// is within d/2 up to float rounding.
func TestQuantizeRoundTrip(t *testing.T) {
	r := newRand(t, 2)
	worst := map[Type]float64{}
	for it := 0; it < 200; it++ {
		n := (1 + r.IntN(6)) * QK_K
		x := randomActs(r, n)
		if it == 0 {
			clear(x[:QK_K]) // an all-zero block
		}
		for _, ty := range []Type{Q8_0, Q8_1, Q8_K} {
			b := quant(t, ty, x)
			y := dequant(t, ty, b, n)
			bs := ty.BlockSize()
			for blk := 0; blk < n/bs; blk++ {
				xb, yb := x[blk*bs:(blk+1)*bs], y[blk*bs:(blk+1)*bs]
				raw := b[blk*ty.BlockBytes() : (blk+1)*ty.BlockBytes()]
				var amax float64
				for _, v := range xb {
					amax = math.Max(amax, math.Abs(float64(v)))
				}
				d := amax / 127
				bound := 0.5625*d + 1e-30
				if ty == Q8_K {
					bound = 0.5*d*(1+1e-5) + 1e-30
				}
				var sumq int
				for i := range xb {
					err := math.Abs(float64(xb[i]) - float64(yb[i]))
					if err > bound {
						t.Fatalf("%v block %d elem %d: |%v - %v| = %g > %g", ty, blk, i, xb[i], yb[i], err, bound)
					}
					if d > 0 {
						worst[ty] = math.Max(worst[ty], err/d)
					}
				}
				switch ty {
				case Q8_1:
					for _, q := range raw[4:36] {
						sumq += int(int8(q))
					}
					s := float64(F16ToF32(le16(raw[2:])))
					dd := float64(amax / 127)
					if want := dd * float64(sumq); math.Abs(s-want) > math.Abs(want)*1e-3+1e-30 {
						t.Fatalf("Q8_1 block %d: s = %g, want d*sum(q) = %g", blk, s, want)
					}
				case Q8_K:
					for j := 0; j < 16; j++ {
						var s int
						for _, q := range raw[4+16*j : 4+16*j+16] {
							s += int(int8(q))
						}
						if got := int(int16(le16(raw[4+QK_K+2*j:]))); got != s {
							t.Fatalf("Q8_K block %d bsums[%d] = %d, want %d", blk, j, got, s)
						}
					}
					if amax == 0 {
						for _, v := range raw {
							if v != 0 {
								t.Fatalf("Q8_K zero block not all zero")
							}
						}
					}
				}
			}
		}
	}
	t.Logf("max |x - dequant(quant(x))| / (amax/127): Q8_0 %.4f, Q8_1 %.4f, Q8_K %.4f", worst[Q8_0], worst[Q8_1], worst[Q8_K])
}

// The value of largest magnitude maps to exactly -127 in Q8_K (its scale is
// -127/max) and to ±127 in Q8_0.
func TestQuantizeExtremes(t *testing.T) {
	x := make([]float32, QK_K)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	x[100] = 10
	b := quant(t, Q8_K, x)
	if q := int8(b[4+100]); q != -127 {
		t.Errorf("Q8_K max element quantized to %d, want -127", q)
	}
	if d := le32f(b); d >= 0 {
		t.Errorf("Q8_K d = %v, want negative (scale from a positive max)", d)
	}
	b = quant(t, Q8_0, x[96:128])
	if q := int8(b[2+4]); q != 127 {
		t.Errorf("Q8_0 max element quantized to %d, want 127", q)
	}
	// Ties round away from zero in Q8_0 (roundf) but to even in Q8_K
	// (nearest_int): 0.5 and 2.5 steps.
	y := make([]float32, 32)
	y[0], y[1], y[2] = 127, 0.5, 2.5
	b = quant(t, Q8_0, y)
	if int8(b[3]) != 1 || int8(b[4]) != 3 {
		t.Errorf("Q8_0 ties: got %d %d, want 1 3", int8(b[3]), int8(b[4]))
	}
	z := make([]float32, QK_K)
	z[0], z[1], z[2] = -127, 0.5, 2.5
	b = quant(t, Q8_K, z)
	if int8(b[5]) != 0 || int8(b[6]) != 2 {
		t.Errorf("Q8_K ties: got %d %d, want 0 2", int8(b[5]), int8(b[6]))
	}
}

func TestDequantizeQuantizeErrors(t *testing.T) {
	f := make([]float32, 64)
	cases := []struct {
		name string
		err  error
	}{
		{"unsupported dequant type", Dequantize(IQ2_XXS, make([]byte, 66), make([]float32, 256))},
		{"unknown type", Dequantize(Type(99), nil, nil)},
		{"partial block", Dequantize(Q4_0, make([]byte, 18), make([]float32, 31))},
		{"short src", Dequantize(Q4_0, make([]byte, 35), f)},
		{"long src", Dequantize(Q4_K, make([]byte, 145), make([]float32, 256))},
		{"weight type not quantizable yet", Quantize(Q4_0, f, make([]byte, 36))},
		{"unknown quant type", Quantize(Type(77), f, nil)},
		{"partial Q8_K", Quantize(Q8_K, f, make([]byte, q8_KBytes))},
		{"short dst", Quantize(Q8_0, f, make([]byte, 67))},
		{"long dst", Quantize(F16, f, make([]byte, 129))},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
		} else {
			t.Logf("%s: %v", c.name, c.err)
		}
	}
	// Empty rows are valid.
	if err := Dequantize(Q4_K, nil, nil); err != nil {
		t.Error(err)
	}
	if err := Quantize(Q8_K, nil, nil); err != nil {
		t.Error(err)
	}
}

func TestQuantizeDoesNotAllocate(t *testing.T) {
	x := randomActs(newRand(t, 3), 4096)
	for _, ty := range []Type{Q8_0, Q8_1, Q8_K, F16} {
		b := make([]byte, mustRowBytes(t, ty, len(x)))
		if a := testing.AllocsPerRun(10, func() { _ = Quantize(ty, x, b) }); a != 0 {
			t.Errorf("Quantize(%v) allocates %v times", ty, a)
		}
	}
}
