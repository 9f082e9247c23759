package kernels

import (
	"fmt"
	"math"
	"testing"
)

// Tests and benchmarks of the dispatched kernels (assembly where the CPU has
// it) against the pure-Go references they replace. On a machine or build
// without assembly both sides are the reference and the tests are trivial.

// asmDotTypes are the weight types with an architecture dot on some GOARCH.
var asmDotTypes = []Type{Q4_0, Q8_0, Q4_K, Q5_K, Q6_K, F16}

// dotRelTol bounds |dispatched - reference| / sum |w_i a_i| per dot: both
// sum the same exact per-block integers, so only float rounding (a few ulp
// per block, times the number of blocks) separates them.
const dotRelTol = 1e-6

// dotScale is sum |w_i * a_i| over the dequantized operands, the natural
// scale of a dot's rounding error.
func dotScale(t testing.TB, ty Type, w, a []byte, n int) float64 {
	wf, af := dequant(t, ty, w, n), dequant(t, VecDotType(ty), a, n)
	var s float64
	for i := range wf {
		s += math.Abs(float64(wf[i]) * float64(af[i]))
	}
	return s
}

// TestDotAsmVsReference runs every dispatched dot on random rows of 1 to 67
// blocks (F16: 1 to 1031 elements, every tail length of the vector loops)
// and reports the largest relative difference from the reference.
func TestDotAsmVsReference(t *testing.T) {
	r := newRand(t, 31)
	for _, ty := range asmDotTypes {
		f, _ := Dot(ty)
		g := dotGeneric[ty]
		vt := VecDotType(ty)
		var worst float64
		var worstULP int64
		var lens []int
		if ty.BlockSize() == 1 {
			for n := 1; n <= 80; n++ {
				lens = append(lens, n)
			}
			lens = append(lens, 255, 256, 257, 1023, 1031, 4096)
		} else {
			for b := 1; b <= 20; b++ {
				lens = append(lens, b*ty.BlockSize())
			}
			lens = append(lens, 67*ty.BlockSize())
		}
		for _, n := range lens {
			for it := 0; it < 4; it++ {
				w := randomRow(r, ty, n)
				a := quant(t, vt, randomActs(r, n))
				got, want := f(n, w, a), g(n, w, a)
				scale := dotScale(t, ty, w, a, n)
				rel := math.Abs(float64(got)-float64(want)) / (scale + 1e-300)
				if !(rel <= dotRelTol) {
					t.Fatalf("%v n=%d: dispatched %v, reference %v (rel. to sum|wa| %.3g)", ty, n, got, want, rel)
				}
				worst = math.Max(worst, rel)
				if isFinite32(got) && isFinite32(want) && (got >= 0) == (want >= 0) {
					worstULP = max(worstULP, ulpDiff(got, want))
				}
				// Trailing bytes past the row must not matter.
				w2 := append(append([]byte(nil), w...), 0xff, 0x7f, 0x80)
				a2 := append(append([]byte(nil), a...), 0x7f, 0xff, 0x80)
				if g2 := f(n, w2[:len(w)], a2[:len(a)]); math.Float32bits(g2) != math.Float32bits(got) {
					t.Fatalf("%v n=%d: result depends on bytes past the row", ty, n)
				}
			}
		}
		t.Logf("%-4v (%s): max |dispatched - reference| / sum|w*a| = %.2e (%d ulp of the result)", ty, Impl(), worst, worstULP)
	}
}

// TestDotAsmShortSlicesPanic: a DotFunc given too little data panics before
// reading it, as the references do.
func TestDotAsmShortSlicesPanic(t *testing.T) {
	for _, ty := range asmDotTypes {
		f, _ := Dot(ty)
		n := 2 * ty.BlockSize()
		if ty.BlockSize() == 1 {
			n = 64
		}
		w := make([]byte, mustRowBytes(t, ty, n))
		a := make([]byte, mustRowBytes(t, VecDotType(ty), n))
		for _, c := range []struct{ w, a []byte }{{w[: len(w)-1 : len(w)-1], a}, {w, a[: len(a)-1 : len(a)-1]}} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%v: short slices did not panic", ty)
					}
				}()
				f(n, c.w, c.a)
			}()
		}
		if f(0, nil, nil) != 0 {
			t.Errorf("%v: empty dot is not 0", ty)
		}
	}
}

// BenchmarkDotImpl times one 4096-element row (in L1) with the reference
// and with the dispatched kernel; bytes are weight bytes.
func BenchmarkDotImpl(b *testing.B) {
	const n = 4096
	for _, ty := range asmDotTypes {
		r := newRand(b, 1)
		w := randomRow(r, ty, n)
		a := quant(b, VecDotType(ty), randomActs(r, n))
		f, _ := Dot(ty)
		for _, c := range []struct {
			name string
			f    DotFunc
		}{{"ref", dotGeneric[ty]}, {Impl(), f}} {
			b.Run(fmt.Sprintf("%v/impl=%s", ty, c.name), func(b *testing.B) {
				b.SetBytes(int64(len(w)))
				var s float32
				cpuLoop(b, func() { s += c.f(n, w, a) })
				_ = s
			})
		}
	}
}

// quantRefs are the reference encoders the dispatched ones must match byte
// for byte.
var quantRefs = []struct {
	t   Type
	ref quantFunc
}{{Q8_0, quantQ8_0}, {Q8_K, quantQ8_K}, {F16, quantF16}}

// specialBlock fills x with one of several hard cases for the quantizers,
// chosen by kind.
func specialBlock(r interface{ IntN(int) int }, x []float32, kind int) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for i := range x {
		x[i] = float32(r.IntN(2001)-1000) / 8
	}
	switch kind {
	case 0: // ties: amax 127 makes d = 1 for Q8_0 and iscale = 1 for Q8_K
		x[0] = -127
		for i := 1; i < len(x); i++ {
			x[i] = float32(r.IntN(253)-126) + 0.5
		}
	case 1:
		x[r.IntN(len(x))] = nan
	case 2:
		x[r.IntN(len(x))] = -inf
	case 3: // all zero, with negative zeros
		for i := range x {
			x[i] = 0
			if i%3 == 0 {
				x[i] = float32(math.Copysign(0, -1))
			}
		}
	case 4: // subnormal and tiny: 1/d overflows
		for i := range x {
			x[i] = math.Float32frombits(uint32(r.IntN(1 << 23)))
		}
	case 5: // huge: d overflows the half
		for i := range x {
			x[i] = float32(r.IntN(2001)-1000) * 1e35
		}
	case 6: // equal magnitudes of both signs: the first wins in Q8_K
		x[3], x[7] = 999, -999
	case 7: // a NaN payload and an infinity of each sign
		x[1] = math.Float32frombits(0x7f800123)
		x[2], x[5] = inf, -inf
	}
}

// TestQuantizeAsmBytes checks the dispatched activation quantizers against
// the references, byte for byte, on random and special blocks, with guard
// bytes around the output.
func TestQuantizeAsmBytes(t *testing.T) {
	r := newRand(t, 32)
	const guard = 37
	for _, q := range quantRefs {
		bs := q.t.BlockSize()
		if bs == 1 {
			bs = 8
		}
		for it := 0; it < 400; it++ {
			nblk := 1 + r.IntN(9)
			n := nblk * bs
			if q.t == F16 {
				n += r.IntN(8)
			}
			x := randomActs(r, n)
			if it%3 != 0 {
				for b := 0; b+bs <= n; b += bs {
					specialBlock(r, x[b:b+bs], r.IntN(10))
				}
			}
			rb := mustRowBytes(t, q.t, n)
			want := make([]byte, rb)
			q.ref(x, want)
			buf := make([]byte, guard+rb+guard)
			for i := range buf {
				buf[i] = 0xa5
			}
			if err := Quantize(q.t, x, buf[guard:guard+rb]); err != nil {
				t.Fatal(err)
			}
			for i, v := range buf {
				o := i - guard
				if o < 0 || o >= rb {
					if v != 0xa5 {
						t.Fatalf("%v n=%d: guard byte %d overwritten", q.t, n, o)
					}
				} else if v != want[o] {
					t.Fatalf("%v n=%d (%s): byte %d (block %d) = %#02x, reference %#02x", q.t, n, Impl(), o, o/q.t.BlockBytes(), v, want[o])
				}
			}
		}
	}
}

// TestF16ConversionAsmExhaustive converts every float32 whose low 13 bits
// are one of a few patterns (all rounding cases of the half conversion)
// with the dispatched F16 quantizer and compares with F32ToF16.
func TestF16ConversionAsmExhaustive(t *testing.T) {
	if testing.Short() {
		t.Skip("2^21 conversions")
	}
	lows := []uint32{0, 1, 0xfff, 0x1000, 0x1001, 0x1fff}
	src := make([]float32, 0, 1<<19*len(lows))
	for hi := uint32(0); hi < 1<<19; hi++ {
		for _, lo := range lows {
			src = append(src, math.Float32frombits(hi<<13|lo))
		}
	}
	dst := make([]byte, 2*len(src))
	if err := Quantize(F16, src, dst); err != nil {
		t.Fatal(err)
	}
	for i, f := range src {
		got := uint16(dst[2*i]) | uint16(dst[2*i+1])<<8
		if want := F32ToF16(f); got != want {
			t.Fatalf("%#08x: %#04x, want %#04x", math.Float32bits(f), got, want)
		}
	}
}

func BenchmarkQuantizeImpl(b *testing.B) {
	const n = 4096
	x := randomActs(newRand(b, 2), n)
	for _, q := range quantRefs {
		dst := make([]byte, mustRowBytes(b, q.t, n))
		for _, c := range []struct {
			name string
			f    quantFunc
		}{{"ref", q.ref}, {Impl(), quantTable[q.t]}} {
			b.Run(fmt.Sprintf("%v/impl=%s", q.t, c.name), func(b *testing.B) {
				b.SetBytes(4 * n)
				cpuLoop(b, func() { c.f(x, dst) })
			})
		}
	}
}

// vecInputs returns test vectors of length n: activations, attention-like
// scores, and random bit patterns (NaN, infinities, subnormals, huge).
func vecInputs(r interface {
	IntN(int) int
	Uint32() uint32
	NormFloat64() float64
}, n, kind int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch kind {
		case 0:
			x[i] = float32(r.NormFloat64() * 3)
		case 1: // scores spread over the exp's whole range
			x[i] = float32(r.NormFloat64() * 200)
		case 2:
			x[i] = math.Float32frombits(r.Uint32())
		case 3: // around the float32 and float64 exp underflow and overflow edges
			edges := []float64{-745.2, -708.4, -103.97, -87.3, 88.72, 709.78}
			x[i] = float32(edges[r.IntN(len(edges))] + r.NormFloat64()*0.5)
		}
	}
	return x
}

// TestVecAsmBitExact checks every dispatched vector operation against its
// reference bit for bit, on lengths around the vector width, with guard
// values past the end of every output.
func TestVecAsmBitExact(t *testing.T) {
	r := newRand(t, 33)
	const guard = 5
	same := func(a, b []float32) int {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return i
			}
		}
		return -1
	}
	lens := []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 64, 65, 100, 4096, 4099}
	ops := []struct {
		name string
		run  func(v vecImpl, x, y []float32)
	}{
		{"Softmax", func(v vecImpl, x, y []float32) { v.softmax(x) }},
		{"SiLU", func(v vecImpl, x, y []float32) { v.siLU(x) }},
		{"SiLUMul", func(v vecImpl, x, y []float32) { v.siLUMul(x, y) }},
		{"Axpy", func(v vecImpl, x, y []float32) { v.axpy(x, y[0], y) }},
		{"AxpyF16", func(v vecImpl, x, y []float32) {
			h := make([]uint16, len(x))
			f32ToF16RowGeneric(h, y[:len(x)])
			v.axpyF16(x, -y[0], h)
		}},
		{"DotF16", func(v vecImpl, x, y []float32) {
			// Halves from the low and high bits of the inputs: every
			// exponent, NaNs and infinities, so the float64 sum is
			// inexact and its order shows.
			a, b := make([]uint16, len(x)), make([]uint16, len(x))
			for i := range a {
				a[i], b[i] = uint16(math.Float32bits(x[i])), uint16(math.Float32bits(y[i])>>16)
			}
			if len(x) > 0 {
				x[0] = v.dotF16(a, b)
			}
		}},
		{"Scale", func(v vecImpl, x, y []float32) { v.scale(x, y[0]) }},
		{"Add", func(v vecImpl, x, y []float32) { v.add(x, x, y) }},
		{"F16ToF32Row", func(v vecImpl, x, y []float32) {
			h := make([]uint16, len(x))
			for i := range h {
				h[i] = uint16(math.Float32bits(y[i]))
			}
			v.f16ToF32Row(x, h)
		}},
		{"F32ToF16Row", func(v vecImpl, x, y []float32) {
			h := make([]uint16, len(x)+guard)
			v.f32ToF16Row(h[:len(x)], y[:len(x)])
			for i := range x {
				x[i] = float32(h[i])
			}
		}},
	}
	for _, op := range ops {
		for kind := 0; kind < 4; kind++ {
			for _, n := range lens {
				for it := 0; it < 3; it++ {
					x := vecInputs(r, n+guard, kind)
					y := vecInputs(r, n+guard, (kind+it)%4)
					if n == 0 {
						y = append(y, 1)
					}
					want := append([]float32(nil), x...)
					got := append([]float32(nil), x...)
					op.run(vecGeneric, want[:n], y[:max(n, 1)])
					op.run(vecTable, got[:n], y[:max(n, 1)])
					if i := same(got, want); i >= 0 {
						t.Fatalf("%s n=%d kind %d (%s): [%d] = %v (%#08x), reference %v (%#08x)", op.name, n, kind, Impl(),
							i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			}
		}
	}
}

// TestExpAsmSweep runs the exponential of the vector kernels over a sweep
// of float32 inputs (every 61st bit pattern) against float32(math.Exp).
func TestExpAsmSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("70 million exponentials")
	}
	const step = 61
	x := make([]float32, 0, 1<<16)
	want := make([]float32, 0, 1<<16)
	check := func() {
		got := append([]float32(nil), x...)
		m := len(got) &^ 7
		if m > 0 {
			expSumForTest(got[:m]) // Softmax's exponentials, with vmax 0
		}
		for i := m; i < len(got); i++ {
			got[i] = float32(math.Exp(float64(got[i])))
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("exp(%v = %#08x) = %v, math.Exp gives %v", x[i], math.Float32bits(x[i]), got[i], want[i])
			}
		}
		x, want = x[:0], want[:0]
	}
	for b := uint64(0); b < 1<<32; b += step {
		v := math.Float32frombits(uint32(b))
		x = append(x, v)
		want = append(want, float32(math.Exp(float64(v))))
		if len(x) == cap(x) {
			check()
		}
	}
	check()
}

func expSumGenericForTest(x []float32) {
	for i, v := range x {
		x[i] = float32(math.Exp(float64(v)))
	}
}

// BenchmarkVecImpl times the vector operations on 4096 elements (a hidden
// state) with the reference and as dispatched; Softmax on 512 (attention
// scores).
func BenchmarkVecImpl(b *testing.B) {
	r := newRand(b, 34)
	x := vecInputs(r, 4096, 0)
	y := vecInputs(r, 4096, 0)
	h := make([]uint16, 4096)
	f32ToF16RowGeneric(h, y)
	work := make([]float32, 4096)
	ops := []struct {
		name string
		n    int
		run  func(v vecImpl, d []float32)
	}{
		{"Softmax", 512, func(v vecImpl, d []float32) { v.softmax(d) }},
		{"SiLUMul", 4096, func(v vecImpl, d []float32) { v.siLUMul(d, y) }},
		{"Axpy", 4096, func(v vecImpl, d []float32) { v.axpy(d, 0.5, y) }},
		{"AxpyF16", 4096, func(v vecImpl, d []float32) { v.axpyF16(d, 0.5, h) }},
		{"F16ToF32Row", 4096, func(v vecImpl, d []float32) { v.f16ToF32Row(d, h) }},
		{"F32ToF16Row", 4096, func(v vecImpl, d []float32) { v.f32ToF16Row(h, d) }},
	}
	for _, op := range ops {
		for _, c := range []struct {
			name string
			v    vecImpl
		}{{"ref", vecGeneric}, {Impl(), vecTable}} {
			b.Run(fmt.Sprintf("%s/impl=%s", op.name, c.name), func(b *testing.B) {
				b.SetBytes(int64(4 * op.n))
				d := work[:op.n]
				cpuLoop(b, func() {
					copy(d, x[:op.n])
					op.run(c.v, d)
				})
			})
		}
	}
}
