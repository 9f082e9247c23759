package quantize

import (
	"fmt"

	"github.com/baylingd/baylingd/kernels"
)

// encodeFunc encodes len(src)/blockSize whole blocks into dst; lengths are
// checked by Encode.
type encodeFunc func(src []float32, dst []byte)

// encoders are the weight quantizers of this package. The plain float
// types and Q8_0 are the activation encoders of package kernels, which are
// the same ggml reference functions (quantize_row_q8_0_ref, fp16/bf16
// rounding), so they are not written twice.
var encoders = map[kernels.Type]encodeFunc{
	kernels.Q4_0: quantQ4_0,
	kernels.Q5_0: quantQ5_0,
	kernels.Q5_1: quantQ5_1,
	kernels.Q4_K: quantQ4_K,
	kernels.Q5_K: quantQ5_K,
	kernels.Q6_K: quantQ6_K,
}

func init() {
	for _, t := range []kernels.Type{kernels.F32, kernels.F16, kernels.BF16, kernels.Q8_0} {
		t := t
		encoders[t] = func(src []float32, dst []byte) {
			if err := kernels.Quantize(t, src, dst); err != nil {
				panic(err) // Encode checked the lengths
			}
		}
	}
	for t, n := range map[kernels.Type]int{
		kernels.Q4_0: q4_0Bytes, kernels.Q5_0: q5_0Bytes, kernels.Q5_1: q5_1Bytes,
		kernels.Q4_K: q4_KBytes, kernels.Q5_K: q5_KBytes, kernels.Q6_K: q6_KBytes,
	} {
		if t.BlockBytes() != n {
			panic(fmt.Sprintf("quantize: %v block is %d bytes in kernels, %d here", t, t.BlockBytes(), n))
		}
	}
}

// Supported reports whether Encode can produce type t.
func Supported(t kernels.Type) bool { _, ok := encoders[t]; return ok }

// Encode quantizes src, a whole number of t's blocks, into dst, which must
// be exactly t.RowBytes(len(src)) bytes long. It supports F32, F16, BF16,
// Q4_0, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K and Q6_K, with ggml's reference
// quantizers (no importance matrix), bit for bit. Blocks are independent,
// so any split of a row into whole blocks gives the same bytes.
func Encode(t kernels.Type, src []float32, dst []byte) error {
	f, ok := encoders[t]
	if !ok {
		return fmt.Errorf("quantize: cannot encode type %v", t)
	}
	n, err := t.RowBytes(len(src))
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	if len(dst) != n {
		return fmt.Errorf("quantize: %d elements of %v take %d bytes, dst has %d", len(src), t, n, len(dst))
	}
	f(src, dst)
	return nil
}
