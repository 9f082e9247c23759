package kernels

import (
	"encoding/binary"
	"math"
	"testing"
)

// The fuzz targets check that no input can make a function panic when the
// lengths are valid, that bad lengths are errors where the function returns
// errors, and the numeric properties that hold for any input. Run one with
// e.g. `go test -run '^$' -fuzz FuzzDot -fuzztime 20s ./kernels/`.

// dequantTypes are the Dequantize types followed by two it must refuse.
var dequantTypes = []Type{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, IQ2_XXS, Type(99)}

func seedBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131) ^ seed
	}
	return b
}

func FuzzDequantize(f *testing.F) {
	for i, ty := range dequantTypes {
		f.Add(byte(i), seedBytes(max(ty.BlockBytes(), 1)*2, byte(i)))
	}
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		ty := dequantTypes[int(sel)%len(dequantTypes)]
		bb, bs := ty.BlockBytes(), ty.BlockSize()
		if bb == 0 || dequantTable[ty] == nil {
			if Dequantize(ty, data, make([]float32, 256)) == nil {
				t.Fatalf("Dequantize(%v) accepted an unsupported type", ty)
			}
			return
		}
		nblk := len(data) / bb
		n := nblk * bs
		dst := make([]float32, n+1)
		if err := Dequantize(ty, data[:nblk*bb], dst[:n]); err != nil {
			t.Fatalf("%v: valid lengths rejected: %v", ty, err)
		}
		// Deterministic, and the decoder writes exactly n values.
		if !math.IsNaN(float64(dst[n])) && dst[n] != 0 {
			t.Fatalf("%v wrote past the row", ty)
		}
		again := make([]float32, n)
		_ = Dequantize(ty, data[:nblk*bb], again)
		for i := range again {
			if math.Float32bits(again[i]) != math.Float32bits(dst[i]) {
				t.Fatalf("%v not deterministic at %d", ty, i)
			}
		}
		if len(data) != nblk*bb && Dequantize(ty, data, dst[:n]) == nil {
			t.Fatalf("%v: %d bytes for %d elements accepted", ty, len(data), n)
		}
		if bs > 1 && Dequantize(ty, data[:nblk*bb], dst[:n+1]) == nil {
			t.Fatalf("%v: partial block accepted", ty)
		}
	})
}

var quantTypes = []Type{F32, F16, BF16, Q8_0, Q8_1, Q8_K}

func floatsFromBytes(data []byte) []float32 {
	x := make([]float32, len(data)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return x
}

func FuzzQuantize(f *testing.F) {
	for i := range quantTypes {
		x := randomActs(newRand(f, uint64(i)), QK_K)
		b := make([]byte, 4*len(x))
		for j, v := range x {
			binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(v))
		}
		f.Add(byte(i), b)
	}
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		ty := quantTypes[int(sel)%len(quantTypes)]
		x := floatsFromBytes(data)
		bs := ty.BlockSize()
		n := len(x) / bs * bs
		x = x[:n]
		q := make([]byte, rowSize(ty, n))
		if err := Quantize(ty, x, q); err != nil {
			t.Fatalf("%v: %v", ty, err)
		}
		if bs > 1 && len(data)/4 > n && Quantize(ty, floatsFromBytes(data), q) == nil {
			t.Fatalf("%v: partial block accepted", ty)
		}
		y := make([]float32, n)
		if err := Dequantize(ty, q, y); err != nil {
			t.Fatalf("%v: %v", ty, err)
		}
		for blk := 0; blk < n/bs; blk++ {
			xb, yb := x[blk*bs:(blk+1)*bs], y[blk*bs:(blk+1)*bs]
			var amax float64
			finite := true
			for _, v := range xb {
				finite = finite && isFinite32(v)
				amax = math.Max(amax, math.Abs(float64(v)))
			}
			if !finite {
				continue
			}
			for i, v := range xb {
				var bound float64
				av := math.Abs(float64(v))
				switch ty {
				case F32:
					bound = 0
				case F16:
					if av > 65504 {
						continue
					}
					bound = math.Max(av*0x1p-11, 0x1p-25)
				case BF16:
					bound = math.Max(av*0x1p-8, 0x1p-134)
				case Q8_0, Q8_1:
					if amax > 8e6 {
						continue // d overflows the half that stores it, as in ggml
					}
					d := amax / 127
					d16 := float64(F16ToF32(F32ToF16(float32(d))))
					bound = 0.5*d + 127*math.Abs(d16-d) + 1e-5*amax + 1e-35
				case Q8_K:
					bound = 0.5*amax/127*(1+1e-5) + 1e-35
				}
				if e := math.Abs(float64(yb[i]) - float64(v)); !(e <= bound) {
					t.Fatalf("%v block %d elem %d: %v -> %v, error %g > %g", ty, blk, i, v, yb[i], e, bound)
				}
			}
		}
	})
}

// minMagnitude returns |min term| of element i of a weight row, for the
// types whose weights are d*sc*q - m: the dequantized weight is a difference
// whose rounding scales with both terms, so the dot's tolerance must too.
func minMagnitude(ty Type, w []byte, i int) float64 {
	bb, bs := ty.BlockBytes(), ty.BlockSize()
	x := w[(i/bs)*bb:]
	e := i % bs
	switch ty {
	case Q4_1, Q5_1:
		return math.Abs(float64(f16at(x[2:])))
	case Q2_K:
		return math.Abs(float64(f16at(x[82:]) * float32(x[e/16]>>4)))
	case Q4_K, Q5_K:
		_, m := scaleMinK4(e/32, x[4:16])
		return math.Abs(float64(f16at(x[2:]) * float32(m)))
	}
	return 0
}

func FuzzDot(f *testing.F) {
	for i, ty := range weightTypes {
		r := newRand(f, uint64(i))
		f.Add(byte(i), randomRow(r, ty, 2*max(ty.BlockSize(), 16)), seedBytes(64, byte(i)))
	}
	f.Fuzz(func(t *testing.T, sel byte, wdata, adata []byte) {
		ty := weightTypes[int(sel)%len(weightTypes)]
		vt := VecDotType(ty)
		bb, bs := ty.BlockBytes(), ty.BlockSize()
		nblk := len(wdata) / bb
		n := nblk * bs
		w := wdata[:nblk*bb]
		// Activations in [-8, 8) from the second input, cycled to length n.
		x := make([]float32, n)
		for i := range x {
			if len(adata) > 0 {
				x[i] = float32(int8(adata[i%len(adata)])) / 16
			}
		}
		a := make([]byte, rowSize(vt, n))
		if err := Quantize(vt, x, a); err != nil {
			t.Fatal(err)
		}
		dot, err := Dot(ty)
		if err != nil {
			t.Fatal(err)
		}
		got := dot(n, w, a)
		if g2 := dot(n, w, a); math.Float32bits(g2) != math.Float32bits(got) {
			t.Fatalf("%v: not deterministic", ty)
		}
		if g := dotGeneric[ty](n, w, a); g != got && math.Abs(float64(g-got)) > 1e-5*math.Abs(float64(g)) {
			t.Fatalf("%v: dispatched %v, generic %v", ty, got, g)
		}

		// Accuracy against the float64 dot of the dequantized operands, where
		// everything is finite and far from float32 overflow.
		wf, af := make([]float32, n), make([]float32, n)
		if Dequantize(ty, w, wf) != nil || Dequantize(vt, a, af) != nil {
			t.Fatal("dequantize failed")
		}
		var ref, scale float64
		for i := range wf {
			if !isFinite32(wf[i]) {
				return
			}
			ref += float64(wf[i]) * float64(af[i])
			scale += (math.Abs(float64(wf[i])) + minMagnitude(ty, w, i)) * math.Abs(float64(af[i]))
		}
		if scale > 1e30 || math.IsNaN(scale) {
			return
		}
		tol := float64(nblk+10)*3e-7*scale + 1e-35 + q81MinAllowance(ty, w, a)
		if d := math.Abs(float64(got) - ref); !(d <= tol) {
			t.Fatalf("%v n=%d: dot %v, reference %v, |diff| %g > %g", ty, n, got, ref, d, tol)
		}
	})
}

func FuzzF32ToF16(f *testing.F) {
	for _, v := range []uint32{0, 0x3f800000, 0x477fe000, 0x33000000, 0x7f800001, 0x80000001, 0x387fc000} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, bits uint32) {
		x := math.Float32frombits(bits)
		h := F32ToF16(x)
		b := F32ToBF16(x)
		if x != x {
			if g := F16ToF32(h); g == g {
				t.Fatalf("NaN %#08x -> half %#04x is not NaN", bits, h)
			}
			if g := BF16ToF32(b); g == g {
				t.Fatalf("NaN %#08x -> bfloat %#04x is not NaN", bits, b)
			}
			return
		}
		if math.Signbit(float64(x)) != (h&0x8000 != 0) {
			t.Fatalf("%#08x: sign lost", bits)
		}
		ax := math.Abs(float64(x))
		g := math.Abs(float64(F16ToF32(h)))
		if ax >= 65520 {
			if !math.IsInf(g, 1) {
				t.Fatalf("%g -> %#04x, want infinity", x, h)
			}
			return
		}
		// No other half is closer; on a tie the even one wins.
		m := h & 0x7fff
		for _, nb := range []uint16{m - 1, m + 1} {
			if nb > 0x7bff { // below 0 (wrapped) or beyond the largest finite
				continue
			}
			o := float64(F16ToF32(nb))
			if math.Abs(o-ax) < math.Abs(g-ax) || (math.Abs(o-ax) == math.Abs(g-ax) && m&1 == 1) {
				t.Fatalf("%g -> %#04x (%g), but %#04x (%g) is nearer or even", x, h, g, nb, o)
			}
		}
		// BF16 is the float32 rounded to its top 16 bits.
		gb := float64(BF16ToF32(b))
		if d := math.Abs(gb - float64(x)); !math.IsInf(gb, 0) && d > math.Max(math.Abs(float64(x))*0x1p-8, 0x1p-134) {
			t.Fatalf("%g -> bfloat %g", x, gb)
		}
	})
}

func FuzzVecOps(f *testing.F) {
	f.Add(seedBytes(64, 1), float32(1e-5), int16(7))
	f.Add([]byte{0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff}, float32(0), int16(-3))
	f.Fuzz(func(t *testing.T, data []byte, eps float32, pos int16) {
		x := floatsFromBytes(data)
		n := len(x)
		y := make([]float32, n)
		RMSNorm(y, x, x, eps)
		SiLU(append([]float32(nil), x...))
		SiLUMul(append([]float32(nil), x...), x)
		_ = Argmax(x)
		h := make([]uint16, n)
		F32ToF16Row(h, x)
		_ = DotF16F32(h, x)
		_ = DotF16(h, h)
		_ = DotF32(x, x)
		AxpyF16(y, 0.5, h)

		nd := n &^ 1
		cs, sn := make([]float32, nd/2), make([]float32, nd/2)
		RopeCache(cs, sn, int(pos), nd, 10000, 1)
		RopeNorm(append([]float32(nil), x...), cs, sn)

		s := append([]float32(nil), x...)
		Softmax(s)
		finite := n > 0
		for _, v := range x {
			finite = finite && isFinite32(v)
		}
		if finite {
			var sum float64
			for _, p := range s {
				if !(p >= 0 && p <= 1) {
					t.Fatalf("softmax of finite logits gave %v", p)
				}
				sum += float64(p)
			}
			if math.Abs(sum-1) > 1e-5 {
				t.Fatalf("softmax sums to %v", sum)
			}
		}
	})
}
