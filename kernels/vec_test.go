package kernels

import (
	"math"
	"testing"
)

func relErr(got float32, want float64) float64 {
	if want == 0 {
		return math.Abs(float64(got))
	}
	return math.Abs(float64(got)-want) / math.Abs(want)
}

func TestRMSNorm(t *testing.T) {
	r := newRand(t, 9)
	var worst float64
	for _, n := range []int{1, 2, 7, 64, 4096, 5120} {
		x := randomActs(r, n)
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(r.NormFloat64())
		}
		const eps = 1e-5
		var ss float64
		for _, v := range x {
			ss += float64(v) * float64(v)
		}
		scale := 1 / math.Sqrt(ss/float64(n)+eps)
		got := make([]float32, n)
		RMSNorm(got, x, w, eps)
		bare := make([]float32, n)
		RMSNorm(bare, x, nil, eps)
		inPlace := append([]float32(nil), x...)
		RMSNorm(inPlace, inPlace, w, eps)
		for i := range x {
			want := float64(x[i]) * scale * float64(w[i])
			e := relErr(got[i], want)
			if e > 4e-7 {
				t.Fatalf("n=%d [%d]: %v, want %v (rel %g)", n, i, got[i], want, e)
			}
			worst = math.Max(worst, e)
			if e := relErr(bare[i], float64(x[i])*scale); e > 3e-7 {
				t.Fatalf("n=%d [%d] without weight: %v, want %v", n, i, bare[i], float64(x[i])*scale)
			}
			if inPlace[i] != got[i] {
				t.Fatalf("in-place result differs at %d", i)
			}
		}
	}
	t.Logf("RMSNorm max rel. error vs float64: %.2e", worst)
	RMSNorm(nil, nil, nil, 1e-5) // empty is a no-op
}

func TestRopeCache(t *testing.T) {
	// pos 0: no rotation.
	cs, sn := make([]float32, 64), make([]float32, 64)
	RopeCache(cs, sn, 0, 128, 10000, 1)
	for i := range cs {
		if cs[i] != 1 || sn[i] != 0 {
			t.Fatalf("pos 0 pair %d: cos %v sin %v", i, cs[i], sn[i])
		}
	}
	// Pair 0 rotates by exactly pos radians, pair i by pos*base^(-2i/d).
	// ggml's theta is a float32 running product, so compare with the float64
	// formula where that product is still accurate (small i*pos), and with a
	// float32 replay of the product (cos/sin in float64) everywhere.
	var worstExact, worstReplay float64
	for _, base := range []float32{10000, 500000} {
		for _, nd := range []int{64, 128} {
			for _, pos := range []int{1, 2, 3, 17, 100, 1000, 4095, 8191} {
				cs, sn := make([]float32, nd/2), make([]float32, nd/2)
				RopeCache(cs, sn, pos, nd, base, 1)
				ts := float32(math.Pow(float64(base), float64(float32(-2)/float32(nd))))
				theta := float32(pos)
				for i := range cs {
					exact := float64(pos) * math.Pow(float64(base), -2*float64(i)/float64(nd))
					if pos <= 17 {
						e := math.Max(math.Abs(float64(cs[i])-math.Cos(exact)), math.Abs(float64(sn[i])-math.Sin(exact)))
						if e > 2e-5 {
							t.Fatalf("base %v d %d pos %d pair %d: (%v, %v), want (%v, %v)", base, nd, pos, i, cs[i], sn[i], math.Cos(exact), math.Sin(exact))
						}
						worstExact = math.Max(worstExact, e)
					}
					e := math.Max(math.Abs(float64(cs[i])-math.Cos(float64(theta))), math.Abs(float64(sn[i])-math.Sin(float64(theta))))
					if e > 1e-7 {
						t.Fatalf("base %v d %d pos %d pair %d: replay differs by %g", base, nd, pos, i, e)
					}
					worstReplay = math.Max(worstReplay, e)
					theta *= ts
				}
			}
		}
	}
	t.Logf("rope cache: max abs. error %.1e vs float64 formula (pos <= 17), %.1e vs float32-theta replay", worstExact, worstReplay)

	// freqScale multiplies the angle.
	c1, s1 := make([]float32, 4), make([]float32, 4)
	RopeCache(c1, s1, 10, 8, 10000, 0.25)
	if math.Abs(float64(c1[0])-math.Cos(2.5)) > 1e-7 {
		t.Errorf("freqScale: cos %v, want %v", c1[0], math.Cos(2.5))
	}
}

func TestRopeNorm(t *testing.T) {
	r := newRand(t, 10)
	const nd = 128
	cs, sn := make([]float32, nd/2), make([]float32, nd/2)
	RopeCache(cs, sn, 4242, nd, 10000, 1)
	x := randomActs(r, nd+6) // 6 extra dims that must be left alone
	y := append([]float32(nil), x...)
	RopeNorm(y[:nd], cs, sn)
	RopeNorm(x[:0], nil, nil)
	var worst float64
	var n0, n1 float64
	for i := 0; i < nd/2; i++ {
		c, s := float64(cs[i]), float64(sn[i])
		x0, x1 := float64(x[2*i]), float64(x[2*i+1])
		w0, w1 := x0*c-x1*s, x0*s+x1*c
		mag := math.Hypot(x0, x1)
		e := math.Max(math.Abs(float64(y[2*i])-w0), math.Abs(float64(y[2*i+1])-w1)) / (mag + 1e-30)
		if e > 3e-7 {
			t.Fatalf("pair %d: (%v, %v), want (%v, %v)", i, y[2*i], y[2*i+1], w0, w1)
		}
		worst = math.Max(worst, e)
		n0 += x0*x0 + x1*x1
		n1 += float64(y[2*i])*float64(y[2*i]) + float64(y[2*i+1])*float64(y[2*i+1])
	}
	if math.Abs(n0-n1) > 1e-5*n0 {
		t.Errorf("rotation changed the norm: %v -> %v", n0, n1)
	}
	for i := nd; i < len(x); i++ {
		if x[i] != y[i] {
			t.Errorf("dimension %d beyond the rotated ones changed", i)
		}
	}
	// Only 2*len(cos) dims are touched when the head is longer.
	z := []float32{1, 2, 3, 4}
	RopeNorm(z, []float32{0}, []float32{1})
	if z[0] != -2 || z[1] != 1 || z[2] != 3 || z[3] != 4 {
		t.Errorf("quarter turn of the first pair: %v", z)
	}
	t.Logf("rope rotation max error relative to pair magnitude %.1e", worst)
}

func TestSoftmax(t *testing.T) {
	r := newRand(t, 11)
	var worst float64
	for _, n := range []int{1, 2, 5, 100, 4096} {
		x := randomActs(r, n)
		y := append([]float32(nil), x...)
		Softmax(y)
		// ggml subtracts the maximum in float32, which costs |x|*2^-24 of
		// relative accuracy for logits far below it; that rounding is part of
		// the specification, so the float64 reference replays it.
		m := float32(math.Inf(-1))
		for _, v := range x {
			m = max(m, v)
		}
		var sum float64
		for _, v := range x {
			sum += math.Exp(float64(v - m))
		}
		var total float64
		for i, v := range x {
			want := math.Exp(float64(v-m)) / sum
			e := math.Abs(float64(y[i])-want) / math.Max(want, 1e-30)
			if want > 1e-30 && e > 1e-6 {
				t.Fatalf("n=%d [%d]: %v, want %v (rel %g)", n, i, y[i], want, e)
			}
			if want > 1e-30 {
				worst = math.Max(worst, e)
			}
			total += float64(y[i])
		}
		if math.Abs(total-1) > 1e-6 {
			t.Errorf("n=%d: probabilities sum to %v", n, total)
		}
	}
	t.Logf("Softmax max rel. error vs float64: %.2e", worst)

	// Large logits do not overflow; -Inf (masked) entries get exactly 0.
	inf := float32(math.Inf(-1))
	y := []float32{1000, inf, 1000, inf}
	Softmax(y)
	if y[0] != 0.5 || y[1] != 0 || y[2] != 0.5 || y[3] != 0 {
		t.Errorf("masked softmax: %v", y)
	}
	Softmax(nil)
}

func TestSiLU(t *testing.T) {
	r := newRand(t, 12)
	x := randomActs(r, 5000)
	x = append(x, 0, -0, 88, -88, 100, -100, 1e-30, -1e-30)
	up := randomActs(r, len(x))
	y := append([]float32(nil), x...)
	SiLU(y)
	g := append([]float32(nil), x...)
	SiLUMul(g, up)
	var worst float64
	for i, v := range x {
		want := float64(v) / (1 + math.Exp(-float64(v)))
		if math.Abs(want) < 1e-35 {
			// Below about -88, expf(-x) overflows and silu is 0 in float32,
			// as in ggml; the true value is under 1e-35.
			if math.Abs(float64(y[i])) > 1e-35 {
				t.Fatalf("silu(%v) = %v, want about %v", v, y[i], want)
			}
			continue
		}
		e := relErr(y[i], want)
		if e > 4e-7 {
			t.Fatalf("silu(%v) = %v, want %v (rel %g)", v, y[i], want, e)
		}
		worst = math.Max(worst, e)
		if g[i] != y[i]*up[i] {
			t.Fatalf("SiLUMul[%d] = %v, want %v", i, g[i], y[i]*up[i])
		}
	}
	t.Logf("SiLU max rel. error vs float64: %.2e", worst)
}

func TestFloatDots(t *testing.T) {
	r := newRand(t, 13)
	for _, n := range []int{0, 1, 3, 128, 4099} {
		a, b := randomActs(r, n), randomActs(r, n)
		ah, bh := make([]uint16, n), make([]uint16, n)
		F32ToF16Row(ah, a)
		F32ToF16Row(bh, b)
		af := make([]float32, n)
		F16ToF32Row(af, ah)
		var ref, refH, refHF, scale float64
		for i := range a {
			ref += float64(a[i]) * float64(b[i])
			refH += float64(F16ToF32(ah[i])) * float64(F16ToF32(bh[i]))
			refHF += float64(af[i]) * float64(b[i])
			scale += math.Abs(float64(a[i]) * float64(b[i]))
			if af[i] != F16ToF32(ah[i]) || ah[i] != F32ToF16(a[i]) {
				t.Fatal("row conversions disagree with the scalar ones")
			}
		}
		check := func(name string, got float32, want float64) {
			if math.Abs(float64(got)-want) > 1e-6*scale+1e-30 {
				t.Errorf("%s n=%d: %v, want %v", name, n, got, want)
			}
		}
		check("DotF32", DotF32(a, b), ref)
		check("DotF16", DotF16(ah, bh), refH)
		check("DotF16F32", DotF16F32(ah, b), refHF)
	}
}

func TestAxpyScaleAdd(t *testing.T) {
	r := newRand(t, 14)
	n := 333
	x, v := randomActs(r, n), randomActs(r, n)
	vh := make([]uint16, n)
	F32ToF16Row(vh, v)
	const alpha = 0.37
	d1 := append([]float32(nil), x...)
	Axpy(d1, alpha, v)
	d2 := append([]float32(nil), x...)
	AxpyF16(d2, alpha, vh)
	for i := range x {
		if want := x[i] + float32(alpha*v[i]); d1[i] != want {
			t.Fatalf("Axpy[%d] = %v, want %v", i, d1[i], want)
		}
		if want := x[i] + float32(alpha*F16ToF32(vh[i])); d2[i] != want {
			t.Fatalf("AxpyF16[%d] = %v, want %v", i, d2[i], want)
		}
	}
	s := append([]float32(nil), x...)
	Scale(s, -2)
	sum := make([]float32, n)
	Add(sum, x, v)
	Add(d1, d1, d1) // aliasing is allowed
	for i := range x {
		if s[i] != -2*x[i] || sum[i] != x[i]+v[i] {
			t.Fatalf("Scale/Add wrong at %d", i)
		}
	}
}

func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	cases := []struct {
		x    []float32
		want int
	}{
		{nil, -1},
		{[]float32{nan, nan}, -1},
		{[]float32{3}, 0},
		{[]float32{1, 5, 5, 2}, 1}, // first of equal maxima
		{[]float32{nan, -1, -0.5, nan}, 2},
		{[]float32{-inf, -inf}, 0},
		{[]float32{1, inf, nan, inf}, 1},
	}
	for _, c := range cases {
		if got := Argmax(c.x); got != c.want {
			t.Errorf("Argmax(%v) = %d, want %d", c.x, got, c.want)
		}
	}
}

func TestVecOpsDoNotAllocate(t *testing.T) {
	r := newRand(t, 15)
	x, w := randomActs(r, 4096), randomActs(r, 4096)
	h := make([]uint16, 4096)
	cs, sn := make([]float32, 64), make([]float32, 64)
	allocs := testing.AllocsPerRun(5, func() {
		RMSNorm(x, x, w, 1e-5)
		RopeCache(cs, sn, 77, 128, 1e4, 1)
		RopeNorm(x[:128], cs, sn)
		Softmax(x[:512])
		SiLUMul(x, w)
		F32ToF16Row(h, x)
		AxpyF16(w, 0.5, h)
		_ = DotF16F32(h, w)
		_ = Argmax(x)
	})
	if allocs != 0 {
		t.Errorf("vector ops allocate %v times", allocs)
	}
}
