package quantize

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/baylingd/baylingd/kernels"
)

// FileType is a model-wide quantization recipe, numbered as llama.cpp's
// llama_ftype (the value stored in general.file_type).
type FileType uint32

// The recipes this package writes.
const (
	AllF32     FileType = 0
	MostlyF16  FileType = 1
	MostlyQ4_0 FileType = 2
	MostlyQ8_0 FileType = 7
	MostlyQ4KM FileType = 15
	MostlyQ5KM FileType = 17
	MostlyQ6K  FileType = 18
	MostlyBF16 FileType = 32
)

var fileTypes = []struct {
	ft   FileType
	name string       // as llama-quantize and convert_hf_to_gguf spell it, lower case
	def  kernels.Type // llama_ftype_get_default_type
}{
	{MostlyF16, "f16", kernels.F16},
	{MostlyBF16, "bf16", kernels.BF16},
	{AllF32, "f32", kernels.F32},
	{MostlyQ8_0, "q8_0", kernels.Q8_0},
	{MostlyQ4_0, "q4_0", kernels.Q4_0},
	{MostlyQ4KM, "q4_k_m", kernels.Q4_K},
	{MostlyQ5KM, "q5_k_m", kernels.Q5_K},
	{MostlyQ6K, "q6_k", kernels.Q6_K},
}

// FileTypeNames lists the names ParseFileType accepts.
func FileTypeNames() []string {
	var s []string
	for _, f := range fileTypes {
		s = append(s, f.name)
	}
	return s
}

// ParseFileType parses a recipe name, case-insensitively: f16, bf16, f32,
// q8_0, q4_0, q4_k_m, q5_k_m, q6_k.
func ParseFileType(s string) (FileType, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	for _, f := range fileTypes {
		if f.name == l {
			return f.ft, nil
		}
	}
	return 0, fmt.Errorf("unknown type %q (want one of %s)", s, strings.Join(FileTypeNames(), ", "))
}

// String returns the recipe's name, e.g. "q4_k_m".
func (f FileType) String() string {
	for _, x := range fileTypes {
		if x.ft == f {
			return x.name
		}
	}
	return "ftype(" + strconv.Itoa(int(f)) + ")"
}

// DefaultType is the type most matrices get.
func (f FileType) DefaultType() kernels.Type {
	for _, x := range fileTypes {
		if x.ft == f {
			return x.def
		}
	}
	return kernels.F32
}

// Quantized reports whether the recipe writes block-quantized types (and so
// general.quantization_version).
func (f FileType) Quantized() bool {
	switch f.DefaultType() {
	case kernels.F32, kernels.F16, kernels.BF16:
		return false
	}
	return true
}

// QuantizationVersion is ggml's GGML_QNT_VERSION, stored as
// general.quantization_version in quantized files.
const QuantizationVersion = 2

// Plan picks the type of every tensor of one model for a recipe, following
// llama.cpp's tensor_allows_quantization, llama_tensor_get_type_impl and
// tensor_type_fallback for the Llama architecture (one expert).
type Plan struct {
	ft        FileType
	shape     Shape
	nAttnV    int  // tensors of the attn_v category (n_attention_wv)
	hasOutput bool // false: token_embd doubles as the output matrix
}

// Shape is what of a model's hyperparameters the mix depends on.
type Shape struct {
	NLayer  int // block_count
	NHead   int // attention.head_count
	NHeadKV int // attention.head_count_kv
}

// NewPlan makes the plan for a model of the given shape whose tensors are
// named names (all of them: the mix depends on how many attn_v tensors
// there are and on whether output.weight exists).
func NewPlan(ft FileType, shape Shape, names []string) *Plan {
	p := &Plan{ft: ft, shape: shape}
	for _, n := range names {
		switch category(n) {
		case catAttnV:
			p.nAttnV++
		case catOutput:
			p.hasOutput = true
		}
	}
	return p
}

type tensorCategory int

const (
	catOther tensorCategory = iota
	catTokenEmbd
	catOutput
	catAttnV // attn_v, and the fused attn_qkv / attn_kv_b llama.cpp treats alike
	catFFNDown
)

// category is tensor_get_category, reduced to the categories that change
// the types of the recipes here.
func category(name string) tensorCategory {
	switch {
	case name == "output.weight":
		return catOutput
	case name == "token_embd.weight" || name == "per_layer_token_embd.weight":
		return catTokenEmbd
	case strings.Contains(name, "attn_qkv.weight"), strings.Contains(name, "attn_kv_b.weight"),
		strings.Contains(name, "attn_v.weight"):
		return catAttnV
	case strings.Contains(name, "attn_k.weight"), strings.Contains(name, "attn_q.weight"),
		strings.Contains(name, "attn_output.weight"), strings.Contains(name, "ffn_up"),
		strings.Contains(name, "ffn_gate"):
		return catOther
	case strings.Contains(name, "ffn_down"):
		return catFFNDown
	}
	return catOther
}

// nDims is ggml_n_dims: the number of dimensions up to the last one that
// is not 1.
func nDims(dims []uint64) int {
	n := len(dims)
	for n > 1 && dims[n-1] == 1 {
		n--
	}
	return n
}

// Quantizable is tensor_allows_quantization for Llama-architecture tensors:
// matrices whose names end in "weight", except norms (and the few
// small tensors of other architectures llama.cpp keeps as they are).
func Quantizable(name string, dims []uint64) bool {
	if nDims(dims) < 2 || !strings.HasSuffix(name, "weight") || strings.Contains(name, "_norm.weight") {
		return false
	}
	for _, s := range []string{"ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
		"time_mix_", "attn_rel_b.weight", "position_embd", "token_types"} {
		if strings.Contains(name, s) {
			return false
		}
	}
	return true
}

// layerIndex parses N of "blk.N.", or returns -1.
func layerIndex(name string) int {
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return -1
	}
	num, _, ok := strings.Cut(rest, ".")
	if !ok {
		return -1
	}
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 {
		return -1
	}
	return i
}

// useMoreBits is llama.cpp's choice of the layers that get more bits in
// the _M mixes: the first and last eighth, and every third layer between.
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

// TensorType returns the type tensor name, with ggml dims (row length
// first), is written in. Tensors that are not quantized (norms, vectors)
// are F32 whatever their input type: the engine reads norms as F32, and
// F16/BF16 widen to F32 exactly. (llama-quantize would keep an F16 norm
// F16; converters write them F32 anyway.)
//
// llama.cpp counts attn_v and ffn_down tensors in its sorted order, where
// the count equals the layer index; the index is read from the name here,
// which gives the same mix.
func (p *Plan) TensorType(name string, dims []uint64) kernels.Type {
	if !Quantizable(name, dims) {
		return kernels.F32
	}
	t := p.ft.DefaultType()
	if !p.ft.Quantized() {
		return t
	}
	nx := dims[0]
	switch cat := category(name); {
	case cat == catOutput || (!p.hasOutput && cat == catTokenEmbd):
		// The output matrix is the most sensitive: Q6_K unless the
		// recipe is Q8_0 already (or the rows do not fit 256-blocks).
		if nx%uint64(t.BlockSize()) != 0 {
			t = kernels.Q8_0
		} else if t != kernels.Q8_0 {
			t = kernels.Q6_K
		}
	case cat == catAttnV:
		i := layerIndex(name)
		if (p.ft == MostlyQ4KM || p.ft == MostlyQ5KM) && useMoreBits(i, p.nAttnV) {
			t = kernels.Q6_K
		}
		if p.shape.NLayer == 80 && p.shape.NHeadKV != p.shape.NHead && t == kernels.Q4_K {
			// llama.cpp's LLM_TYPE_70B rule (80 layers with GQA): 8 heads
			// share each KV head, so attn_v is small and a few more bits
			// are nearly free.
			t = kernels.Q5_K
		}
	case cat == catFFNDown:
		i := layerIndex(name)
		if (p.ft == MostlyQ4KM || p.ft == MostlyQ5KM) && useMoreBits(i, p.shape.NLayer) {
			t = kernels.Q6_K
		}
	}
	return fallback(t, nx)
}

// fallback is tensor_type_fallback: a k-quant whose 256-element blocks do
// not tile the rows becomes the 32-element type of about the same size.
// Where even 32 does not divide the rows, llama.cpp falls back to F16 for
// k-quants and gives up for Q4_0/Q8_0; F16 is used for all here, so a
// checkpoint with odd shapes still converts.
func fallback(t kernels.Type, nx uint64) kernels.Type {
	if nx%uint64(t.BlockSize()) == 0 {
		return t
	}
	switch t {
	case kernels.Q4_K:
		t = kernels.Q5_0
	case kernels.Q5_K:
		t = kernels.Q5_1
	case kernels.Q6_K:
		t = kernels.Q8_0
	}
	if nx%uint64(t.BlockSize()) != 0 {
		t = kernels.F16
	}
	return t
}
