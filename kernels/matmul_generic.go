package kernels

import "fmt"

// MatMul computes, for every weight row r in [r0, r1) and activation row b
// in [0, nb),
//
//	out[b*outStride + r] = dot(weight row r, activation row b)
//
// where w holds rows of n elements of type t, t.RowBytes(n) bytes apart,
// and a holds nb rows already converted to VecDotType(t) (see Quantize),
// VecDotType(t).RowBytes(n) bytes apart. Nothing else in out is written.
//
// It is the unit of work the engine's thread pool hands out: disjoint
// [r0, r1) ranges of one matrix may run concurrently. Each weight row is
// loaded once and dotted with all nb activations while it is in cache,
// which is what makes batched prefill and multi-sequence decode cheaper
// than nb separate passes over the weights.
//
// MatMul does not allocate. It panics if t has no dot product, if n is not a
// whole number of blocks, if output rows would overlap (nb > 1 and
// outStride < r1) or if a slice is too short for the given rows;
// those are programming errors the engine rules out at load time.
func MatMul(t Type, n int, w []byte, r0, r1 int, a []byte, nb int, out []float32, outStride int) {
	var dot DotFunc
	if uint32(t) < maxType {
		dot = dotTable[t]
	}
	wRow := rowSize(t, n)
	aRow := rowSize(VecDotType(t), n)
	if dot == nil || wRow < 0 || aRow < 0 {
		panic(fmt.Sprintf("kernels: MatMul: type %v with row length %d is not supported", t, n))
	}
	if r0 < 0 || r1 < r0 || nb < 0 || (nb > 1 && outStride < r1) {
		panic(fmt.Sprintf("kernels: MatMul: bad ranges r0=%d r1=%d nb=%d outStride=%d", r0, r1, nb, outStride))
	}
	if r0 == r1 || nb == 0 {
		return
	}
	if len(w) < r1*wRow || len(a) < nb*aRow || len(out) < (nb-1)*outStride+r1 {
		panic(fmt.Sprintf("kernels: MatMul: slices too short: w %d < %d, a %d < %d or out %d < %d",
			len(w), r1*wRow, len(a), nb*aRow, len(out), (nb-1)*outStride+r1))
	}
	if f := matMulTable[t]; f != nil && f(n, w, wRow, r0, r1, a, aRow, nb, out, outStride) {
		return
	}
	for r := r0; r < r1; r++ {
		wr := w[r*wRow : (r+1)*wRow]
		for b := 0; b < nb; b++ {
			out[b*outStride+r] = dot(n, wr, a[b*aRow:(b+1)*aRow])
		}
	}
}

// matMulFunc is an architecture's MatMul for one weight type, called with
// validated arguments; it returns false, having done nothing, for shapes it
// leaves to the loop over dotTable (e.g. a batch too small to pay for
// tiling).
type matMulFunc func(n int, w []byte, wRow, r0, r1 int, a []byte, aRow, nb int, out []float32, outStride int) bool

// matMulTable holds the architecture MatMuls; nil entries use the loop.
var matMulTable [maxType]matMulFunc
