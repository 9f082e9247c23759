package acceltest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/baylingd/baylingd/kernels"
)

// RandomWeights returns rows x cols weights of type t in GGUF row layout.
// The quantized types get random bytes (so every quant value and bit of
// the packed scales occurs) with their float16 scale fields replaced by
// small finite values, as real models have: random bits there would be
// NaN or huge. F16 and F32 get values in [-1, 1).
func RandomWeights(t kernels.Type, rows, cols int, rng *rand.Rand) ([]byte, error) {
	rowBytes, err := t.RowBytes(cols)
	if err != nil {
		return nil, err
	}
	data := make([]byte, rows*rowBytes)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	bb := t.BlockBytes()
	half := func(off int, v float32) { binary.LittleEndian.PutUint16(data[off:], kernels.F32ToF16(v)) }
	scale := func() float32 { return float32(0.002 + 0.02*rng.Float64()) }
	signed := func() float32 {
		if rng.IntN(2) == 0 {
			return -scale()
		}
		return scale()
	}
	switch t {
	case kernels.Q4_0, kernels.Q8_0: // d at 0
		for off := 0; off < len(data); off += bb {
			half(off, signed())
		}
	case kernels.Q4_K: // d at 0, dmin at 2
		for off := 0; off < len(data); off += bb {
			half(off, scale())
			half(off+2, scale()/4)
		}
	case kernels.Q6_K: // d at 208
		for off := 0; off < len(data); off += bb {
			half(off+208, signed()/8)
		}
	case kernels.F16:
		for i := 0; i < rows*cols; i++ {
			binary.LittleEndian.PutUint16(data[2*i:], kernels.F32ToF16(float32(2*rng.Float64()-1)))
		}
	case kernels.F32:
		for i := 0; i < rows*cols; i++ {
			binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(float32(2*rng.Float64()-1)))
		}
	default:
		return nil, fmt.Errorf("acceltest: no generator for %v", t)
	}
	return data, nil
}

// RandomActivations returns n values in [-1, 1).
func RandomActivations(n int, rng *rand.Rand) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	return x
}

// Dequantize decodes the whole matrix with kernels.Dequantize.
func Dequantize(t kernels.Type, rows, cols int, data []byte) ([]float32, error) {
	rowBytes, err := t.RowBytes(cols)
	if err != nil {
		return nil, err
	}
	w := make([]float32, rows*cols)
	for r := 0; r < rows; r++ {
		if err := kernels.Dequantize(t, data[r*rowBytes:(r+1)*rowBytes], w[r*cols:(r+1)*cols]); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Reference is the exact product of the dequantized weights and x, in
// float64: ref[b*rows + r] = sum_c W[r][c] * x[b*cols + c].
func Reference(t kernels.Type, rows, cols int, data []byte, x []float32, batch int) ([]float64, error) {
	w, err := Dequantize(t, rows, cols, data)
	if err != nil {
		return nil, err
	}
	ref := make([]float64, batch*rows)
	for b := 0; b < batch; b++ {
		xb := x[b*cols : (b+1)*cols]
		for r := 0; r < rows; r++ {
			wr := w[r*cols : (r+1)*cols]
			s := 0.0
			for c, v := range wr {
				s += float64(v) * float64(xb[c])
			}
			ref[b*rows+r] = s
		}
	}
	return ref, nil
}

// NMSE is sum((got-want)^2) / sum(want^2), the normalized mean squared
// error used for all numeric comparisons of the backends. NaN in got gives
// +Inf.
func NMSE(got []float32, want []float64) float64 {
	var num, den float64
	for i, w := range want {
		g := float64(got[i])
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return math.Inf(1)
		}
		num += (g - w) * (g - w)
		den += w * w
	}
	if den == 0 {
		if num == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return num / den
}

// CI reports whether the tests run in continuous integration (CI=true),
// where a missing driver is a failure rather than a reason to skip.
func CI() bool { return os.Getenv("CI") == "true" }

// Unavailable ends a test whose backend cannot be opened because a
// library or device is missing: a failure under CI, a skip elsewhere.
func Unavailable(tb testing.TB, what string, err error) {
	tb.Helper()
	if CI() {
		tb.Fatalf("%s unavailable under CI=true (the CI script must install it): %v", what, err)
	}
	tb.Skipf("%s unavailable, skipping (set CI=true to make this a failure): %v", what, err)
}
