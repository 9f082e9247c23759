package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDotF32Heads: the dispatched DotF32Heads gives the reference's bits,
// and the reference gives DotF32's, for every head count (4 and 8 have
// amd64 kernels) and row length, with guard elements after out untouched.
func TestDotF32Heads(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, g := range []int{1, 2, 3, 4, 5, 8, 16} {
		for _, n := range []int{1, 2, 3, 7, 8, 31, 64, 65, 128, 129} {
			rows := make([]float32, 4*n)
			for i := range rows {
				rows[i] = float32(r.NormFloat64())
			}
			qT := make([]float32, n*g)
			for i := range qT {
				qT[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3)))
			}
			checkDotF32Heads(t, g, n, rows, qT)
		}
	}
}

func checkDotF32Heads(t *testing.T, g, n int, rows, qT []float32) {
	t.Helper()
	const guard = 8
	got := make([]float32, 4*g+guard)
	want := make([]float32, 4*g)
	for i := range got {
		got[i] = float32(math.NaN())
	}
	vecTable.dotF32Heads(got[:4*g], rows, qT, g)
	vecGeneric.dotF32Heads(want, rows, qT, g)
	q := make([]float32, n)
	for p := 0; p < 4; p++ {
		for h := 0; h < g; h++ {
			for i := range q {
				q[i] = qT[i*g+h]
			}
			k := p*g + h
			d := DotF32(rows[p*n:(p+1)*n], q)
			if math.Float32bits(want[k]) != math.Float32bits(d) && !(isNaN32(d) && isNaN32(want[k])) {
				t.Fatalf("reference g=%d n=%d row %d head %d: %g, DotF32 %g", g, n, p, h, want[k], d)
			}
			if math.Float32bits(got[k]) != math.Float32bits(want[k]) && !(isNaN32(got[k]) && isNaN32(want[k])) {
				t.Fatalf("%s g=%d n=%d row %d head %d: %#08x, reference %#08x", Impl(), g, n, p, h,
					math.Float32bits(got[k]), math.Float32bits(want[k]))
			}
		}
	}
	for _, v := range got[4*g:] {
		if !isNaN32(v) {
			t.Fatalf("g=%d n=%d: wrote past out", g, n)
		}
	}
}

func isNaN32(v float32) bool { return v != v }

// FuzzDotF32Heads: any float bits (infinities, NaNs, subnormals) give the
// reference's bits.
func FuzzDotF32Heads(f *testing.F) {
	f.Add(byte(8), seedBytes(4*8*9, 1))
	f.Add(byte(4), seedBytes(4*4*13, 2))
	f.Add(byte(4), []byte{0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff, 1, 0, 0xc0, 0x7f, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		g := []int{1, 4, 8, 3}[int(sel)%4]
		x := floatsFromBytes(data)
		n := len(x) / (4 + g)
		if n == 0 {
			return
		}
		checkDotF32Heads(t, g, n, x[:4*n], x[4*n:4*n+n*g])
	})
}
