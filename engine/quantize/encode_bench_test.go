package quantize

import (
	"testing"

	"github.com/baylingd/baylingd/kernels"
)

// BenchmarkEncode measures the single-threaded speed of each quantizer on
// normal data (bytes/s are of float32 input).
func BenchmarkEncode(b *testing.B) {
	x := stressData(256*256, 3)
	for _, typ := range []kernels.Type{kernels.Q4_0, kernels.Q8_0, kernels.Q5_0, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K} {
		n, _ := typ.RowBytes(len(x))
		out := make([]byte, n)
		b.Run(typ.String(), func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for i := 0; i < b.N; i++ {
				Encode(typ, x, out)
			}
		})
	}
}
