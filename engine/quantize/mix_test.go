package quantize

import (
	"fmt"
	"slices"
	"testing"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/internal/fixtures"
	"github.com/baylingd/baylingd/kernels"
)

// llamaNames returns the tensor names of a Llama model of n layers.
func llamaNames(n int, tied bool) []string {
	names := []string{"token_embd.weight", "output_norm.weight"}
	if !tied {
		names = append(names, "output.weight")
	}
	for i := 0; i < n; i++ {
		for _, s := range []string{"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"} {
			names = append(names, fmt.Sprintf("blk.%d.%s.weight", i, s))
		}
	}
	return names
}

// TestPlanBayLing7B checks the Q4_K_M and Q5_K_M mixes of a 32-layer
// model (BayLing-2-7B, -8B) against llama.cpp's use_more_bits choice: the
// first and last 4 layers and every third layer from layer 6 get Q6_K for
// attn_v and ffn_down.
func TestPlanBayLing7B(t *testing.T) {
	wantMore := []int{0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31}
	shape := Shape{NLayer: 32, NHead: 32, NHeadKV: 8}
	names := llamaNames(32, false)
	for _, c := range []struct {
		ft          FileType
		base, embed kernels.Type
	}{{MostlyQ4KM, kernels.Q4_K, kernels.Q4_K}, {MostlyQ5KM, kernels.Q5_K, kernels.Q5_K}} {
		p := NewPlan(c.ft, shape, names)
		for i := 0; i < 32; i++ {
			want := c.base
			if slices.Contains(wantMore, i) {
				want = kernels.Q6_K
			}
			for _, s := range []string{"attn_v", "ffn_down"} {
				name := fmt.Sprintf("blk.%d.%s.weight", i, s)
				dims := []uint64{4096, 1024}
				if s == "ffn_down" {
					dims = []uint64{14336, 4096}
				}
				if got := p.TensorType(name, dims); got != want {
					t.Errorf("%v %s: %v, want %v", c.ft, name, got, want)
				}
			}
			for _, s := range []string{"attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"} {
				if got := p.TensorType(fmt.Sprintf("blk.%d.%s.weight", i, s), []uint64{4096, 4096}); got != c.base {
					t.Errorf("%v %s of layer %d: %v, want %v", c.ft, s, i, got, c.base)
				}
			}
			if got := p.TensorType(fmt.Sprintf("blk.%d.attn_norm.weight", i), []uint64{4096}); got != kernels.F32 {
				t.Errorf("norm: %v", got)
			}
		}
		if got := p.TensorType("output.weight", []uint64{4096, 128256}); got != kernels.Q6_K {
			t.Errorf("%v output: %v", c.ft, got)
		}
		if got := p.TensorType("token_embd.weight", []uint64{4096, 128256}); got != c.embed {
			t.Errorf("%v token_embd: %v", c.ft, got)
		}
	}
}

func TestPlanSimpleRecipes(t *testing.T) {
	names := llamaNames(2, false)
	shape := Shape{NLayer: 2, NHead: 8, NHeadKV: 8}
	for _, c := range []struct {
		ft                    FileType
		matrix, output, embed kernels.Type
	}{
		{MostlyQ8_0, kernels.Q8_0, kernels.Q8_0, kernels.Q8_0},
		{MostlyQ4_0, kernels.Q4_0, kernels.Q6_K, kernels.Q4_0},
		{MostlyQ6K, kernels.Q6_K, kernels.Q6_K, kernels.Q6_K},
		{MostlyF16, kernels.F16, kernels.F16, kernels.F16},
		{MostlyBF16, kernels.BF16, kernels.BF16, kernels.BF16},
		{AllF32, kernels.F32, kernels.F32, kernels.F32},
	} {
		p := NewPlan(c.ft, shape, names)
		if got := p.TensorType("blk.1.ffn_down.weight", []uint64{768, 256}); got != c.matrix {
			t.Errorf("%v ffn_down: %v, want %v", c.ft, got, c.matrix)
		}
		if got := p.TensorType("output.weight", []uint64{256, 32000}); got != c.output {
			t.Errorf("%v output: %v, want %v", c.ft, got, c.output)
		}
		if got := p.TensorType("token_embd.weight", []uint64{256, 32000}); got != c.embed {
			t.Errorf("%v token_embd: %v, want %v", c.ft, got, c.embed)
		}
		if got := p.TensorType("output_norm.weight", []uint64{256}); got != kernels.F32 {
			t.Errorf("%v output_norm: %v", c.ft, got)
		}
	}
}

// TestPlanTied: without output.weight the embedding matrix is also the
// output projection and gets the output's type.
func TestPlanTied(t *testing.T) {
	p := NewPlan(MostlyQ4KM, Shape{NLayer: 16, NHead: 32, NHeadKV: 8}, llamaNames(16, true))
	if got := p.TensorType("token_embd.weight", []uint64{2048, 128256}); got != kernels.Q6_K {
		t.Errorf("tied token_embd: %v, want Q6_K", got)
	}
	p = NewPlan(MostlyQ8_0, Shape{NLayer: 16}, llamaNames(16, true))
	if got := p.TensorType("token_embd.weight", []uint64{2048, 128256}); got != kernels.Q8_0 {
		t.Errorf("tied token_embd q8_0: %v, want Q8_0", got)
	}
}

// TestPlanFallback: rows that 256-element blocks do not tile fall back as
// llama.cpp's tensor_type_fallback does.
func TestPlanFallback(t *testing.T) {
	names := llamaNames(4, false)
	shape := Shape{NLayer: 4, NHead: 4, NHeadKV: 4}
	cases := []struct {
		ft   FileType
		name string
		nx   uint64
		want kernels.Type
	}{
		{MostlyQ4KM, "blk.1.attn_q.weight", 4096 + 32, kernels.Q5_0},
		{MostlyQ5KM, "blk.1.attn_q.weight", 4096 + 32, kernels.Q5_1},
		{MostlyQ6K, "blk.1.attn_q.weight", 4096 + 32, kernels.Q8_0},
		{MostlyQ4KM, "blk.3.attn_v.weight", 4096 + 32, kernels.Q8_0}, // Q6_K (last layer) falls back to Q8_0
		{MostlyQ4KM, "output.weight", 4096 + 32, kernels.Q8_0},       // llama.cpp: output of odd width is Q8_0
		{MostlyQ4_0, "output.weight", 4096 + 32, kernels.Q8_0},
		{MostlyQ4KM, "blk.1.attn_q.weight", 100, kernels.F16},
		{MostlyQ8_0, "blk.1.attn_q.weight", 100, kernels.F16},
		{MostlyQ4_0, "blk.1.attn_q.weight", 4096 + 32, kernels.Q4_0},
	}
	for _, c := range cases {
		p := NewPlan(c.ft, shape, names)
		if got := p.TensorType(c.name, []uint64{c.nx, 64}); got != c.want {
			t.Errorf("%v %s [%d]: %v, want %v", c.ft, c.name, c.nx, got, c.want)
		}
	}
}

// TestPlan70B: llama.cpp gives attn_v Q5_K instead of Q4_K in 80-layer
// GQA models (Llama-2/3-70B) and not in 80-layer MHA ones (Llama-1-65B).
func TestPlan70B(t *testing.T) {
	names := llamaNames(80, false)
	gqa := NewPlan(MostlyQ4KM, Shape{NLayer: 80, NHead: 64, NHeadKV: 8}, names)
	mha := NewPlan(MostlyQ4KM, Shape{NLayer: 80, NHead: 64, NHeadKV: 64}, names)
	dims := []uint64{8192, 1024}
	// Layer 11 is not a use_more_bits layer: (11-10)%3 != 2.
	if got := gqa.TensorType("blk.11.attn_v.weight", dims); got != kernels.Q5_K {
		t.Errorf("70B attn_v: %v, want Q5_K", got)
	}
	if got := mha.TensorType("blk.11.attn_v.weight", dims); got != kernels.Q4_K {
		t.Errorf("65B attn_v: %v, want Q4_K", got)
	}
}

// TestPlanMatchesLlama3Fixture compares the mix with the types in
// llama-quantize's Q4_K_M of the GQA fixture model.
func TestPlanMatchesLlama3Fixture(t *testing.T) {
	f, err := gguf.Open(fixtures.Path(t, "tiny-llama3-q4_k_m.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	for _, ti := range f.Tensors {
		names = append(names, ti.Name)
	}
	p := NewPlan(MostlyQ4KM, Shape{NLayer: 2, NHead: 8, NHeadKV: 2}, names)
	for _, ti := range f.Tensors {
		if got := p.TensorType(ti.Name, ti.Dims); got != ti.Type {
			t.Errorf("%s: %v, llama-quantize wrote %v", ti.Name, got, ti.Type)
		}
	}
}

func TestParseFileType(t *testing.T) {
	for _, c := range []struct {
		in   string
		want FileType
	}{{"q4_k_m", MostlyQ4KM}, {"Q4_K_M", MostlyQ4KM}, {"q8_0", MostlyQ8_0}, {"f16", MostlyF16}, {" q6_k ", MostlyQ6K}, {"Q5_K_M", MostlyQ5KM}, {"q4_0", MostlyQ4_0}} {
		got, err := ParseFileType(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseFileType(%q) = %v, %v", c.in, got, err)
		}
		if got.String() != c.want.String() {
			t.Errorf("String: %q", got.String())
		}
	}
	if _, err := ParseFileType("q4_k_s"); err == nil {
		t.Error("q4_k_s accepted")
	}
	// The values are llama.cpp's llama_ftype, stored in general.file_type.
	if MostlyQ4KM != 15 || MostlyQ8_0 != 7 || MostlyQ4_0 != 2 || MostlyQ5KM != 17 || MostlyQ6K != 18 || MostlyF16 != 1 || MostlyBF16 != 32 {
		t.Error("file type numbers differ from llama_ftype")
	}
}
