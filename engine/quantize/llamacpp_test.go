package quantize

import (
	"bytes"
	"testing"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/internal/fixtures"
	"github.com/baylingd/baylingd/kernels"
)

// llamaCppFiles are llama-quantize's outputs for the weights of
// tiny-llama2-f16.gguf (no importance matrix), with the recipe that made
// each.
var llamaCppFiles = []struct {
	rel    string
	ftype  FileType
	golden string // the golden file made on it, if any
}{
	{"extra/tiny-llama2-q8_0.gguf", MostlyQ8_0, ""},
	{"tiny-llama2-q4_0.gguf", MostlyQ4_0, "tiny-llama2-q4_0.l2-en-de"},
	{"tiny-llama2-q4_k_m.gguf", MostlyQ4KM, "tiny-llama2-q4_k_m.l2-en-de"},
	{"extra/tiny-llama2-q6_k.gguf", MostlyQ6K, ""},
}

// TestMatchesLlamaQuantize quantizes every tensor of the F16 fixture with
// the type Plan picks and compares with llama-quantize's file: the types
// must be llama.cpp's mix and the bytes identical, block for block.
func TestMatchesLlamaQuantize(t *testing.T) {
	src, err := gguf.Open(fixtures.Path(t, "tiny-llama2-f16.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var names []string
	for _, ti := range src.Tensors {
		names = append(names, ti.Name)
	}
	for _, c := range llamaCppFiles {
		t.Run(c.ftype.String(), func(t *testing.T) {
			ref, err := gguf.Open(fixtures.Path(t, c.rel))
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			plan := NewPlan(c.ftype, Shape{NLayer: 2, NHead: 8, NHeadKV: 8}, names)
			byType := map[kernels.Type][2]int{} // identical blocks, all blocks
			for _, rt := range ref.Tensors {
				st, ok := src.Tensor(rt.Name)
				if !ok {
					t.Fatalf("%s: tensor %s not in the F16 model", c.rel, rt.Name)
				}
				want := plan.TensorType(st.Name, st.Dims)
				if want != rt.Type {
					t.Errorf("%s: Plan gives %v, llama-quantize wrote %v", rt.Name, want, rt.Type)
					continue
				}
				f := make([]float32, st.Elements())
				if err := kernels.Dequantize(st.Type, src.TensorData(st), f); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, rt.Size)
				if err := Encode(rt.Type, f, got); err != nil {
					t.Fatal(err)
				}
				exp := ref.TensorData(&rt)
				bb := rt.Type.BlockBytes()
				same, all := 0, len(got)/bb
				for i := 0; i < all; i++ {
					if bytes.Equal(got[i*bb:(i+1)*bb], exp[i*bb:(i+1)*bb]) {
						same++
					}
				}
				s := byType[rt.Type]
				byType[rt.Type] = [2]int{s[0] + same, s[1] + all}
				if same != all {
					t.Errorf("%s (%v): %d of %d blocks differ from llama-quantize's", rt.Name, rt.Type, all-same, all)
				}
			}
			for typ, s := range byType {
				t.Logf("%s: %v: %d/%d blocks byte-identical to llama-quantize", c.rel, typ, s[0], s[1])
			}
		})
	}
}
