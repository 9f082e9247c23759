package kernels

import (
	"math"
	"sort"
	"testing"
)

func TestF16RoundTripExhaustive(t *testing.T) {
	nans := 0
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := F16ToF32(h)
		isNaN := h&0x7c00 == 0x7c00 && h&0x3ff != 0
		if isNaN {
			nans++
			if f == f {
				t.Fatalf("F16ToF32(%#04x) = %v, want NaN", h, f)
			}
			back := F32ToF16(f)
			if back != h|0x200 {
				t.Fatalf("NaN %#04x came back as %#04x, want %#04x (quiet, same payload)", h, back, h|0x200)
			}
			continue
		}
		if back := F32ToF16(f); back != h {
			t.Fatalf("F32ToF16(F16ToF32(%#04x) = %v) = %#04x", h, f, back)
		}
		// The widened value must be the exact binary16 value.
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		e, m := int(h>>10&0x1f), float64(h&0x3ff)
		var want float64
		switch {
		case e == 0x1f:
			want = math.Inf(int(sign))
		case e == 0:
			want = sign * m * math.Ldexp(1, -24)
		default:
			want = sign * (1 + m/1024) * math.Ldexp(1, e-15)
		}
		if float64(f) != want || math.Signbit(float64(f)) != (sign < 0) {
			t.Fatalf("F16ToF32(%#04x) = %v, want %v", h, f, want)
		}
	}
	t.Logf("65536 halves round-trip exactly (%d NaNs come back quiet)", nans)
}

func TestF32ToF16Special(t *testing.T) {
	p := func(e int) float32 { return float32(math.Ldexp(1, e)) }
	cases := []struct {
		name string
		f    float32
		want uint16
	}{
		{"+0", 0, 0x0000},
		{"-0", float32(math.Copysign(0, -1)), 0x8000},
		{"1", 1, 0x3c00},
		{"-2", -2, 0xc000},
		{"max half", 65504, 0x7bff},
		{"just below max+half ulp", 65519.996, 0x7bff},
		{"tie above max rounds to inf", 65520, 0x7c00},
		{"overflow", 1e6, 0x7c00},
		{"-overflow", -1e6, 0xfc00},
		{"+inf", float32(math.Inf(1)), 0x7c00},
		{"-inf", float32(math.Inf(-1)), 0xfc00},
		{"smallest normal", p(-14), 0x0400},
		{"largest subnormal", p(-14) - p(-24), 0x03ff},
		{"smallest subnormal", p(-24), 0x0001},
		{"half smallest subnormal ties to 0", p(-25), 0x0000},
		{"just above half smallest subnormal", p(-25) * (1 + 1.0/(1<<20)), 0x0001},
		{"1.5 subnormal ulps ties to even 2", 3 * p(-25), 0x0002},
		{"2.5 subnormal ulps ties to even 2", 5 * p(-25), 0x0002},
		{"below 2^-25", p(-26), 0x0000},
		{"-tiny", -p(-30), 0x8000},
		{"f32 subnormal", math.Float32frombits(1), 0x0000},
		{"tie 1+2^-11 to even (down)", 1 + p(-11), 0x3c00},
		{"tie 1+3*2^-11 to even (up)", 1 + 3*p(-11), 0x3c02},
		{"above tie rounds up", 1 + p(-11) + p(-20), 0x3c01},
		{"carry into exponent", 2 - p(-12), 0x4000},
		{"subnormal carry into normal", p(-14) - p(-26), 0x0400},
	}
	for _, c := range cases {
		if got := F32ToF16(c.f); got != c.want {
			t.Errorf("%s: F32ToF16(%g) = %#04x, want %#04x", c.name, c.f, got, c.want)
		}
	}
	// NaNs stay NaN, keep sign and the top payload bits, and become quiet.
	for _, bits := range []uint32{0x7fc00000, 0x7f800001, 0xff800001, 0x7fa00000, 0xffffffff} {
		h := F32ToF16(math.Float32frombits(bits))
		if h&0x7c00 != 0x7c00 || h&0x200 == 0 || h>>15 != uint16(bits>>31) {
			t.Errorf("F32ToF16(NaN %#08x) = %#04x, want a quiet NaN of the same sign", bits, h)
		}
		if want := uint16(bits>>13) & 0x1ff; h&0x1ff != want {
			t.Errorf("F32ToF16(NaN %#08x) payload %#x, want %#x", bits, h&0x1ff, want)
		}
	}
}

// TestF32ToF16Nearest checks rounding against an independent reference: the
// sorted list of all finite halves, searched for the two neighbours of x.
func TestF32ToF16Nearest(t *testing.T) {
	var vals []float64
	var codes []uint16
	for i := 0; i < 0x7c00; i++ { // non-negative finite halves, ascending
		vals = append(vals, float64(F16ToF32(uint16(i))))
		codes = append(codes, uint16(i))
	}
	if !sort.Float64sAreSorted(vals) {
		t.Fatal("halves not sorted")
	}
	ref := func(x float32) uint16 {
		ax := math.Abs(float64(x))
		var sign uint16
		if math.Signbit(float64(x)) {
			sign = 0x8000
		}
		const maxHalf, ulpAtMax = 65504.0, 32.0
		if ax >= maxHalf+ulpAtMax/2 {
			return sign | 0x7c00
		}
		i := sort.SearchFloat64s(vals, ax) // vals[i] >= ax
		if i == len(vals) {
			return sign | codes[len(codes)-1]
		}
		if vals[i] == ax || i == 0 {
			return sign | codes[i]
		}
		lo, hi := vals[i-1], vals[i]
		switch {
		case ax-lo < hi-ax:
			return sign | codes[i-1]
		case ax-lo > hi-ax:
			return sign | codes[i]
		case codes[i-1]&1 == 0:
			return sign | codes[i-1]
		default:
			return sign | codes[i]
		}
	}
	r := newRand(t, 1)
	n := 0
	for i := 0; i < 300000; i++ {
		var x float32
		if i%2 == 0 {
			// Uniform over the exponents a half can reach (and a bit beyond).
			x = float32(math.Ldexp(1+r.Float64(), r.IntN(46)-28))
			if r.IntN(2) == 0 {
				x = -x
			}
		} else {
			x = math.Float32frombits(r.Uint32())
			if x != x {
				continue
			}
		}
		if got, want := F32ToF16(x), ref(x); got != want {
			t.Fatalf("F32ToF16(%g [%#08x]) = %#04x, want %#04x", x, math.Float32bits(x), got, want)
		}
		n++
	}
	t.Logf("%d random floats rounded to the nearest half (ties to even)", n)
}

func TestBF16(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := BF16ToF32(h)
		if math.Float32bits(f) != uint32(h)<<16 {
			t.Fatalf("BF16ToF32(%#04x) bits %#08x", h, math.Float32bits(f))
		}
		isNaN := h&0x7f80 == 0x7f80 && h&0x7f != 0
		back := F32ToBF16(f)
		if isNaN {
			if back != h|0x40 {
				t.Fatalf("NaN %#04x -> %#04x, want %#04x", h, back, h|0x40)
			}
		} else if back != h {
			t.Fatalf("F32ToBF16(BF16ToF32(%#04x)) = %#04x", h, back)
		}
	}
	cases := []struct {
		bits uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above tie
		{0x3f807fff, 0x3f80}, // below tie
		{0x7f7fffff, 0x7f80}, // max float rounds to inf
		{0xff7fffff, 0xff80}, // and -max to -inf
		{0x7f800000, 0x7f80}, // inf
		{0x00010000, 0x0001}, // subnormal kept, not flushed
		{0x00008000, 0x0000}, // subnormal tie to even zero
		{0x80018000, 0x8002}, // negative subnormal tie up
		{0x7f800001, 0x7fc0}, // signalling NaN truncates to quiet NaN, not inf
		{0xffc00001, 0xffc0}, // quiet NaN keeps sign
		{0x7fbf0000, 0x7fff}, // payload kept, quiet bit (0x40) forced
	}
	for _, c := range cases {
		if got := F32ToBF16(math.Float32frombits(c.bits)); got != c.want {
			t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", c.bits, got, c.want)
		}
	}
}
