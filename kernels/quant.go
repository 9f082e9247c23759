package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Block sizes in elements.
const (
	qk4_0 = 32
	qk8_0 = 32
)

// Byte sizes of the blocks this package computes with; init checks them
// against typeTable so the two can never drift apart.
const (
	q4_0Bytes = 2 + 16           // d, qs
	q4_1Bytes = 2 + 2 + 16       // d, m, qs
	q5_0Bytes = 2 + 4 + 16       // d, qh, qs
	q5_1Bytes = 2 + 2 + 4 + 16   // d, m, qh, qs
	q8_0Bytes = 2 + 32           // d, qs
	q8_1Bytes = 2 + 2 + 32       // d, s, qs
	q2_KBytes = 16 + 64 + 2 + 2  // scales, qs, d, dmin
	q3_KBytes = 32 + 64 + 12 + 2 // hmask, qs, scales, d
	q4_KBytes = 2 + 2 + 12 + 128 // d, dmin, scales, qs
	q5_KBytes = 2 + 2 + 12 + 32 + 128
	q6_KBytes = 128 + 64 + 16 + 2    // ql, qh, scales, d
	q8_KBytes = 4 + QK_K + QK_K/16*2 // d (float32), qs, bsums (int16)
)

// maxType bounds the type ids, so that per-type tables can be arrays indexed
// without a map lookup on the hot path.
const maxType = 40

// blockGeom is typeTable's geometry in array form for the hot path.
var blockGeom [maxType]struct{ size, bytes int }

func init() {
	for t, ti := range typeTable {
		if int(t) >= maxType {
			panic("kernels: maxType too small for " + ti.name)
		}
		blockGeom[t].size = ti.blockSize
		blockGeom[t].bytes = ti.blockBytes
	}
	for _, c := range []struct {
		t Type
		n int
	}{
		{Q4_0, q4_0Bytes}, {Q4_1, q4_1Bytes}, {Q5_0, q5_0Bytes}, {Q5_1, q5_1Bytes},
		{Q8_0, q8_0Bytes}, {Q8_1, q8_1Bytes}, {Q2_K, q2_KBytes}, {Q3_K, q3_KBytes},
		{Q4_K, q4_KBytes}, {Q5_K, q5_KBytes}, {Q6_K, q6_KBytes}, {Q8_K, q8_KBytes},
	} {
		if c.t.BlockBytes() != c.n {
			panic(fmt.Sprintf("kernels: %v block is %d bytes in typeTable, %d here", c.t, c.t.BlockBytes(), c.n))
		}
	}
}

// rowSize is RowBytes without the error value: -1 when n is not a whole
// number of blocks or t is unknown. It does not allocate.
func rowSize(t Type, n int) int {
	if uint32(t) >= maxType {
		return -1
	}
	g := blockGeom[t]
	if g.size == 0 || n < 0 || n%g.size != 0 {
		return -1
	}
	return n / g.size * g.bytes
}

// VecDotType returns the type activations are converted to before they are
// dotted with weights of type t, as ggml's type_traits_cpu[t].vec_dot_type:
// Q4_0, Q5_0, Q8_0 -> Q8_0; Q4_1, Q5_1 -> Q8_1; Q2_K..Q6_K -> Q8_K; F16 ->
// F16; BF16 -> BF16; F32 -> F32. The activation types Q8_1 and Q8_K map to
// themselves. For any other type, which Dot does not support, it returns t.
func VecDotType(t Type) Type {
	switch t {
	case Q4_0, Q5_0, Q8_0:
		return Q8_0
	case Q4_1, Q5_1, Q8_1:
		return Q8_1
	case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K:
		return Q8_K
	}
	return t
}

// dequantFunc decodes len(dst)/blockSize whole blocks from src; the caller
// has checked that len(src) matches.
type dequantFunc func(src []byte, dst []float32)

var dequantTable = [maxType]dequantFunc{
	F32:  dequantF32,
	F16:  dequantF16,
	BF16: dequantBF16,
	Q4_0: dequantQ4_0,
	Q4_1: dequantQ4_1,
	Q5_0: dequantQ5_0,
	Q5_1: dequantQ5_1,
	Q8_0: dequantQ8_0,
	Q8_1: dequantQ8_1,
	Q2_K: dequantQ2_K,
	Q3_K: dequantQ3_K,
	Q4_K: dequantQ4_K,
	Q5_K: dequantQ5_K,
	Q6_K: dequantQ6_K,
	Q8_K: dequantQ8_K,
}

// Dequantize decodes len(dst) elements, a whole number of blocks, from src,
// which must be exactly t.RowBytes(len(dst)) bytes. It supports F32, F16,
// BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and
// Q8_K, and returns an error for other types or mismatched lengths. The
// values are those of ggml's dequantize_row_* bit for bit.
func Dequantize(t Type, src []byte, dst []float32) error {
	var f dequantFunc
	if uint32(t) < maxType {
		f = dequantTable[t]
	}
	if f == nil {
		return fmt.Errorf("kernels: cannot dequantize type %v", t)
	}
	want := rowSize(t, len(dst))
	if want < 0 {
		_, err := t.RowBytes(len(dst))
		return fmt.Errorf("kernels: dequantize: %w", err)
	}
	if len(src) != want {
		return fmt.Errorf("kernels: dequantize %d %v elements: have %d bytes, want %d", len(dst), t, len(src), want)
	}
	f(src, dst)
	return nil
}

// quantFunc encodes len(src)/blockSize whole blocks into dst.
type quantFunc func(src []float32, dst []byte)

var quantTable = [maxType]quantFunc{
	F32:  quantF32,
	F16:  quantF16,
	BF16: quantBF16,
	Q8_0: quantQ8_0,
	Q8_1: quantQ8_1,
	Q8_K: quantQ8_K,
}

// Quantize encodes src, a whole number of blocks, into dst, which must be
// exactly t.RowBytes(len(src)) bytes, for the activation types F32, F16,
// BF16, Q8_0, Q8_1 and Q8_K, with ggml's reference formulas
// (quantize_row_q8_0_ref, quantize_row_q8_1_ref, quantize_row_q8_K_ref). It
// returns an error for other types and for mismatched lengths. It does not
// allocate, so the engine may call it per token.
func Quantize(t Type, src []float32, dst []byte) error {
	var f quantFunc
	if uint32(t) < maxType {
		f = quantTable[t]
	}
	if f == nil {
		return fmt.Errorf("kernels: cannot quantize to type %v", t)
	}
	want := rowSize(t, len(src))
	if want < 0 {
		_, err := t.RowBytes(len(src))
		return fmt.Errorf("kernels: quantize: %w", err)
	}
	if len(dst) != want {
		return fmt.Errorf("kernels: quantize %d elements to %v: have %d bytes, want %d", len(src), t, len(dst), want)
	}
	f(src, dst)
	return nil
}

// Little-endian field readers. The block formats are defined little-endian
// (GGUF files are, and ggml only runs on little-endian hosts).

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }

func f16at(b []byte) float32 { return F16ToF32(binary.LittleEndian.Uint16(b)) }

func le32f(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
