package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// weightTypes are the types Dot supports, in a stable order.
var weightTypes = []Type{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K}

func newRand(t testing.TB, seed uint64) *rand.Rand {
	t.Helper()
	return rand.New(rand.NewPCG(seed, 0x6261796c696e67))
}

// randHalf returns a random normal half whose exponent lies in [lo, hi].
func randHalf(r *rand.Rand, lo, hi int, signed bool) uint16 {
	e := lo + r.IntN(hi-lo+1)
	h := uint16(e+15)<<10 | uint16(r.IntN(1024))
	if signed && r.IntN(2) == 1 {
		h |= 0x8000
	}
	return h
}

// randomRow returns n elements of weight type t: random quant bits with
// scale fields set to finite halves of realistic size (as in model files:
// block scales around 1e-4..1e-2, K-quant super-block scales smaller).
// Any byte pattern is a valid block, so random bits exercise every code.
func randomRow(r *rand.Rand, t Type, n int) []byte {
	rb, err := t.RowBytes(n)
	if err != nil {
		panic(err)
	}
	b := make([]byte, rb)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	put := func(off int, h uint16) { binary.LittleEndian.PutUint16(b[off:], h) }
	bs := t.BlockBytes()
	for o := 0; o < rb; o += bs {
		switch t {
		case F32:
			binary.LittleEndian.PutUint32(b[o:], math.Float32bits(float32(r.NormFloat64()*0.05)))
		case F16:
			put(o, F32ToF16(float32(r.NormFloat64()*0.05)))
		case BF16:
			put(o, F32ToBF16(float32(r.NormFloat64()*0.05)))
		case Q4_0, Q5_0, Q8_0:
			put(o, randHalf(r, -13, -6, true))
		case Q4_1, Q5_1:
			put(o, randHalf(r, -13, -6, false))
			put(o+2, randHalf(r, -12, -5, true))
		case Q2_K:
			put(o+80, randHalf(r, -14, -8, false))
			put(o+82, randHalf(r, -14, -8, false))
		case Q3_K:
			put(o+108, randHalf(r, -14, -8, true))
		case Q4_K, Q5_K:
			put(o, randHalf(r, -14, -9, false))
			put(o+2, randHalf(r, -14, -9, false))
		case Q6_K:
			put(o+208, randHalf(r, -14, -9, true))
		}
	}
	return b
}

// randomActs returns activations like a transformer's hidden state: roughly
// normal, a random overall scale, a few outliers and exact zeros.
func randomActs(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	scale := math.Exp(r.NormFloat64() * 2)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
		switch r.IntN(64) {
		case 0:
			x[i] *= 30
		case 1:
			x[i] = 0
		}
	}
	return x
}

func mustRowBytes(t testing.TB, ty Type, n int) int {
	t.Helper()
	rb, err := ty.RowBytes(n)
	if err != nil {
		t.Fatal(err)
	}
	return rb
}

func dequant(t testing.TB, ty Type, b []byte, n int) []float32 {
	t.Helper()
	y := make([]float32, n)
	if err := Dequantize(ty, b, y); err != nil {
		t.Fatal(err)
	}
	return y
}

func quant(t testing.TB, ty Type, x []float32) []byte {
	t.Helper()
	b := make([]byte, mustRowBytes(t, ty, len(x)))
	if err := Quantize(ty, x, b); err != nil {
		t.Fatal(err)
	}
	return b
}

// ulpDiff is the distance in float32 steps between two finite floats of
// the same sign.
func ulpDiff(a, b float32) int64 {
	d := int64(int32(math.Float32bits(a))) - int64(int32(math.Float32bits(b)))
	if d < 0 {
		d = -d
	}
	return d
}

func isFinite32(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }
