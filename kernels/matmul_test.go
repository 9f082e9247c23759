package kernels

import (
	"math"
	"strings"
	"testing"
)

// sentinel is a NaN with a recognisable payload; a kernel that computes
// into a slot by accident produces a different value (or a different NaN).
const sentinel = 0x7fc0dead

// TestMatMulGuarded runs MatMul on a sub-range of rows into an output with a
// wider stride and guard bands, and checks each written value against the
// dot product and every other slot against the sentinel.
func TestMatMulGuarded(t *testing.T) {
	r := newRand(t, 7)
	for _, ty := range weightTypes {
		n := 2 * ty.BlockSize()
		if ty.BlockSize() == 1 {
			n = 67
		}
		const rows, nb, guard = 13, 5, 9
		vt := VecDotType(ty)
		wRow, aRow := mustRowBytes(t, ty, n), mustRowBytes(t, vt, n)
		var w, a []byte
		for i := 0; i < rows; i++ {
			w = append(w, randomRow(r, ty, n)...)
		}
		for b := 0; b < nb; b++ {
			a = append(a, quant(t, vt, randomActs(r, n))...)
		}
		dot, _ := Dot(ty)
		for _, rr := range [][2]int{{0, rows}, {2, 11}, {5, 6}, {7, 7}} {
			r0, r1 := rr[0], rr[1]
			outStride := rows + 3
			buf := make([]float32, guard+nb*outStride+guard)
			for i := range buf {
				buf[i] = math.Float32frombits(sentinel)
			}
			out := buf[guard : guard+nb*outStride]
			MatMul(ty, n, w, r0, r1, a, nb, out, outStride)
			for i, v := range buf {
				o := i - guard
				b, row := o/outStride, o%outStride
				inside := o >= 0 && o < len(out) && row >= r0 && row < r1
				if !inside {
					if math.Float32bits(v) != sentinel {
						t.Fatalf("%v rows [%d,%d): buf[%d] (out offset %d) overwritten with %v", ty, r0, r1, i, o, v)
					}
					continue
				}
				want := dot(n, w[row*wRow:(row+1)*wRow], a[b*aRow:(b+1)*aRow])
				if math.Float32bits(v) != math.Float32bits(want) {
					t.Fatalf("%v out[%d*%d+%d] = %v, dot = %v", ty, b, outStride, row, v, want)
				}
			}
		}
	}
}

func TestMatMulDoesNotAllocate(t *testing.T) {
	r := newRand(t, 8)
	for _, ty := range []Type{Q4_0, Q4_K, Q6_K, F16} {
		n := 256
		const rows, nb = 8, 3
		var w, a []byte
		for i := 0; i < rows; i++ {
			w = append(w, randomRow(r, ty, n)...)
		}
		for b := 0; b < nb; b++ {
			a = append(a, quant(t, VecDotType(ty), randomActs(r, n))...)
		}
		out := make([]float32, nb*rows)
		allocs := testing.AllocsPerRun(20, func() { MatMul(ty, n, w, 0, rows, a, nb, out, rows) })
		if allocs != 0 {
			t.Errorf("MatMul(%v) allocates %v times per call", ty, allocs)
		}
	}
}

func TestMatMulPanics(t *testing.T) {
	w := make([]byte, 4*q4_0Bytes)
	a := make([]byte, 2*q8_0Bytes)
	out := make([]float32, 8)
	cases := []struct {
		name string
		f    func()
		msg  string
	}{
		{"unsupported type", func() { MatMul(Q8_K, 256, w, 0, 1, a, 1, out, 4) }, "not supported"},
		{"partial block", func() { MatMul(Q4_0, 33, w, 0, 1, a, 1, out, 4) }, "not supported"},
		{"r1 < r0", func() { MatMul(Q4_0, 32, w, 2, 1, a, 1, out, 4) }, "bad ranges"},
		{"overlapping rows", func() { MatMul(Q4_0, 32, w, 0, 4, a, 2, out, 3) }, "bad ranges"},
		{"short w", func() { MatMul(Q4_0, 32, w, 0, 5, a, 1, out, 5) }, "too short"},
		{"short a", func() { MatMul(Q4_0, 32, w, 0, 4, a, 3, out, 4) }, "too short"},
		{"short out", func() { MatMul(Q4_0, 32, w, 0, 4, a, 2, out[:7], 4) }, "too short"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				p := recover()
				if s, _ := p.(string); !strings.Contains(s, c.msg) {
					t.Errorf("%s: panic %v, want one mentioning %q", c.name, p, c.msg)
				}
			}()
			c.f()
		}()
	}
	// Empty ranges are no-ops, even with empty slices.
	MatMul(Q4_0, 32, nil, 3, 3, nil, 1, nil, 0)
	MatMul(Q4_0, 32, nil, 0, 3, nil, 0, nil, 0)
}
