package kernels

import (
	"fmt"
	"testing"
)

// BenchmarkDot measures one weight row of 4096 elements (the Llama hidden
// size) against one activation row; bytes/s counts weight bytes, the
// quantity that bounds decode speed.
func BenchmarkDot(b *testing.B) {
	const n = 4096
	for _, ty := range weightTypes {
		b.Run(ty.String(), func(b *testing.B) {
			r := newRand(b, 1)
			w := randomRow(r, ty, n)
			a := quant(b, VecDotType(ty), randomActs(r, n))
			dot, _ := Dot(ty)
			b.SetBytes(int64(len(w)))
			var s float32
			for b.Loop() {
				s += dot(n, w, a)
			}
			_ = s
		})
	}
}

func BenchmarkQuantize(b *testing.B) {
	const n = 4096
	for _, ty := range []Type{Q8_0, Q8_1, Q8_K, F16} {
		b.Run(ty.String(), func(b *testing.B) {
			x := randomActs(newRand(b, 2), n)
			q := make([]byte, mustRowBytes(b, ty, n))
			b.SetBytes(4 * n)
			for b.Loop() {
				_ = Quantize(ty, x, q)
			}
		})
	}
}

// BenchmarkMatMul is a 64-row slice of a 4096-wide matrix against a batch
// of 4 activation rows, the shape of one worker's share during decode with
// four active sequences.
func BenchmarkMatMul(b *testing.B) {
	const n, rows, nb = 4096, 64, 4
	for _, ty := range []Type{Q4_0, Q4_K, Q8_0} {
		b.Run(fmt.Sprintf("%v/nb=%d", ty, nb), func(b *testing.B) {
			r := newRand(b, 3)
			var w, a []byte
			for i := 0; i < rows; i++ {
				w = append(w, randomRow(r, ty, n)...)
			}
			for i := 0; i < nb; i++ {
				a = append(a, quant(b, VecDotType(ty), randomActs(r, n))...)
			}
			out := make([]float32, nb*rows)
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				MatMul(ty, n, w, 0, rows, a, nb, out, rows)
			}
		})
	}
}
