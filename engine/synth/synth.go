package synth

import (
	"fmt"
	"math/rand/v2"
	"os"

	"strings"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/engine/quantize"
	"github.com/baylingd/baylingd/internal/fixturedir"
	"github.com/baylingd/baylingd/kernels"
)

// Shape is the architecture of a model to synthesize.
type Shape struct {
	Name     string // as --shape spells it, e.g. "tinyllama-1.1b"
	Title    string // for general.name, e.g. "TinyLlama-1.1B"
	NVocab   int
	NEmbd    int
	NLayer   int
	NHead    int
	NHeadKV  int
	NFF      int
	NCtx     int
	RopeBase float32
	RMSEps   float32
	// Tokenizer is the family of the vocabulary: "llama" (SentencePiece)
	// or "gpt2" (byte-level BPE); VocabFile the fixture that holds it.
	Tokenizer string
	VocabFile string
}

// Shapes are the real model shapes bayling synth knows.
var Shapes = []Shape{
	// tiny is the shape of the shared fixtures' tiny models: a demo and
	// test model that synthesizes in a second (make run uses it when the
	// fixtures are absent).
	{Name: "tiny", Title: "tiny Llama-2", NVocab: 32000, NEmbd: 256, NLayer: 2, NHead: 8, NHeadKV: 8, NFF: 768,
		NCtx: 2048, RopeBase: 10000, RMSEps: 1e-5, Tokenizer: "llama", VocabFile: "vocab-llama2-spm.gguf"},
	{Name: "tinyllama-1.1b", Title: "TinyLlama-1.1B", NVocab: 32000, NEmbd: 2048, NLayer: 22, NHead: 32, NHeadKV: 4, NFF: 5632,
		NCtx: 2048, RopeBase: 10000, RMSEps: 1e-5, Tokenizer: "llama", VocabFile: "vocab-llama2-spm.gguf"},
	{Name: "bayling-2-7b", Title: "BayLing-2-7B", NVocab: 32000, NEmbd: 4096, NLayer: 32, NHead: 32, NHeadKV: 32, NFF: 11008,
		NCtx: 4096, RopeBase: 10000, RMSEps: 1e-5, Tokenizer: "llama", VocabFile: "vocab-llama2-spm.gguf"},
	{Name: "bayling-2-8b", Title: "BayLing-2-llama-3-8B", NVocab: 128256, NEmbd: 4096, NLayer: 32, NHead: 32, NHeadKV: 8, NFF: 14336,
		NCtx: 8192, RopeBase: 500000, RMSEps: 1e-5, Tokenizer: "gpt2", VocabFile: "vocab-llama3-bpe.gguf"},
}

// ShapeByName returns the shape called name (see Shapes).
func ShapeByName(name string) (Shape, error) {
	var names []string
	for _, s := range Shapes {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return Shape{}, fmt.Errorf("unknown shape %q (want one of %s)", name, strings.Join(names, ", "))
}

// HeadDim is the size of one attention head.
func (s Shape) HeadDim() int { return s.NEmbd / s.NHead }

func (s Shape) check() error {
	if s.NEmbd <= 0 || s.NHead <= 0 || s.NHeadKV <= 0 || s.NLayer <= 0 || s.NFF <= 0 || s.NVocab <= 259 || s.NCtx <= 0 ||
		s.NEmbd%s.NHead != 0 || s.NHead%s.NHeadKV != 0 || s.HeadDim()%2 != 0 {
		return fmt.Errorf("synth: inconsistent shape %+v", s)
	}
	return nil
}

// Std is the standard deviation of the random weights.
const Std = 0.02

// Options say what to write.
type Options struct {
	Shape Shape
	Type  quantize.FileType // q4_0, q4_k_m, q8_0, ... (any recipe of engine/quantize)
	Seed  uint64
	// Vocab is a GGUF file whose tokenizer.* metadata is copied. Empty:
	// the fixture named by Shape.VocabFile, found with FindFixture; if
	// that is not found either, or Vocab is "generated", a SentencePiece
	// vocabulary is generated.
	Vocab string
	// Threads quantize in parallel (0: all CPUs).
	Threads int
	// Progress, if not nil, is called with the elements written so far
	// and their total.
	Progress func(done, total int64)
}

// Info describes a written model.
type Info struct {
	Path      string
	Name      string // general.name
	Vocab     string // the vocabulary file copied, or "" when generated
	Params    int64
	Bytes     int64
	Types     map[string]int // tensor type name -> count
	Generated bool           // the vocabulary was generated
}

// GeneratedVocab is the Options.Vocab value that asks for a generated
// vocabulary even where a fixture exists.
const GeneratedVocab = "generated"

// FindFixture looks for a file of the shared test fixtures: in
// $BAYLING_FIXTURES, then in shared/fixtures or ../shared/fixtures of the
// working directory and each directory above it. It returns "" when the
// file is not found.
func FindFixture(name string) string { return fixturedir.Find(name) }

// tensorSpec is one tensor of the model.
type tensorSpec struct {
	name       string
	cols, rows int
	norm       bool // a vector of ones
}

func tensors(s Shape) []tensorSpec {
	kv := s.NHeadKV * s.HeadDim()
	ts := []tensorSpec{{name: "token_embd.weight", cols: s.NEmbd, rows: s.NVocab}}
	for l := 0; l < s.NLayer; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		ts = append(ts,
			tensorSpec{name: p + "attn_norm.weight", cols: s.NEmbd, rows: 1, norm: true},
			tensorSpec{name: p + "attn_q.weight", cols: s.NEmbd, rows: s.NEmbd},
			tensorSpec{name: p + "attn_k.weight", cols: s.NEmbd, rows: kv},
			tensorSpec{name: p + "attn_v.weight", cols: s.NEmbd, rows: kv},
			tensorSpec{name: p + "attn_output.weight", cols: s.NEmbd, rows: s.NEmbd},
			tensorSpec{name: p + "ffn_norm.weight", cols: s.NEmbd, rows: 1, norm: true},
			tensorSpec{name: p + "ffn_gate.weight", cols: s.NEmbd, rows: s.NFF},
			tensorSpec{name: p + "ffn_up.weight", cols: s.NEmbd, rows: s.NFF},
			tensorSpec{name: p + "ffn_down.weight", cols: s.NFF, rows: s.NEmbd},
		)
	}
	return append(ts,
		tensorSpec{name: "output_norm.weight", cols: s.NEmbd, rows: 1, norm: true},
		tensorSpec{name: "output.weight", cols: s.NEmbd, rows: s.NVocab})
}

func (t tensorSpec) dims() []uint64 {
	if t.norm {
		return []uint64{uint64(t.cols)}
	}
	return []uint64{uint64(t.cols), uint64(t.rows)}
}

// Write synthesizes a model into path. The file appears only once it is
// complete (it is written under a temporary name and renamed).
func Write(path string, o Options) (*Info, error) {
	s := o.Shape
	if err := s.check(); err != nil {
		return nil, err
	}
	if !o.Type.Quantized() && o.Type != quantize.MostlyF16 && o.Type != quantize.AllF32 && o.Type != quantize.MostlyBF16 {
		return nil, fmt.Errorf("synth: type %v", o.Type)
	}

	// Tokenizer metadata.
	vocabPath := o.Vocab
	if vocabPath == "" {
		vocabPath = FindFixture(s.VocabFile)
	}
	var tokKV []gguf.KV
	info := &Info{Path: path, Types: map[string]int{}}
	if vocabPath == "" || vocabPath == GeneratedVocab {
		tokKV = GenerateVocab(s.NVocab)
		info.Generated = true
	} else {
		var err error
		if tokKV, err = readVocab(vocabPath, s.NVocab); err != nil {
			return nil, err
		}
		info.Vocab = vocabPath
	}
	info.Name = fmt.Sprintf("%s shape, random weights (bayling synth, seed %d)", s.Title, o.Seed)
	if info.Generated {
		info.Name = fmt.Sprintf("%s shape, random weights and a generated vocabulary (bayling synth, seed %d)", s.Title, o.Seed)
	}

	specs := tensors(s)
	names := make([]string, len(specs))
	for i, t := range specs {
		names[i] = t.name
	}
	plan := quantize.NewPlan(o.Type, quantize.Shape{NLayer: s.NLayer, NHead: s.NHead, NHeadKV: s.NHeadKV}, names)
	types := make([]kernels.Type, len(specs))
	var total int64
	for i, t := range specs {
		types[i] = plan.TensorType(t.name, t.dims())
		info.Types[types[i].String()]++
		total += int64(t.cols) * int64(t.rows)
	}
	info.Params = total

	fh, err := quantize.CreateAtomic(path)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	defer fh.Abort()
	w, err := gguf.NewWriter(fh, 0)
	if err != nil {
		return nil, err
	}
	meta := []gguf.KV{
		{Key: "general.architecture", Value: gguf.String("llama")},
		{Key: "general.name", Value: gguf.String(info.Name)},
		{Key: "llama.vocab_size", Value: gguf.Uint32(uint32(s.NVocab))},
		{Key: "llama.context_length", Value: gguf.Uint32(uint32(s.NCtx))},
		{Key: "llama.embedding_length", Value: gguf.Uint32(uint32(s.NEmbd))},
		{Key: "llama.block_count", Value: gguf.Uint32(uint32(s.NLayer))},
		{Key: "llama.feed_forward_length", Value: gguf.Uint32(uint32(s.NFF))},
		{Key: "llama.rope.dimension_count", Value: gguf.Uint32(uint32(s.HeadDim()))},
		{Key: "llama.attention.head_count", Value: gguf.Uint32(uint32(s.NHead))},
		{Key: "llama.attention.head_count_kv", Value: gguf.Uint32(uint32(s.NHeadKV))},
		{Key: "llama.rope.freq_base", Value: gguf.Float32(s.RopeBase)},
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: gguf.Float32(s.RMSEps)},
		{Key: "general.file_type", Value: gguf.Uint32(uint32(o.Type))},
	}
	if o.Type.Quantized() {
		meta = append(meta, gguf.KV{Key: "general.quantization_version", Value: gguf.Uint32(quantize.QuantizationVersion)})
	}
	for _, kv := range append(meta, tokKV...) {
		if err := w.AddKV(kv.Key, kv.Value); err != nil {
			return nil, err
		}
	}
	for i, t := range specs {
		if err := w.AddTensor(t.name, types[i], t.dims()...); err != nil {
			return nil, err
		}
	}
	if err := w.WriteHeader(); err != nil {
		return nil, err
	}
	enc := quantize.NewEncoder(o.Threads)
	var done int64
	for i, t := range specs {
		j := quantize.Job{Name: t.name, Type: types[i], Cols: t.cols, Rows: t.rows}
		if t.norm {
			j.Float = func(_, _ int, dst []float32) {
				for k := range dst {
					dst[k] = 1
				}
			}
		} else {
			j.Float = rowFiller(o.Seed, uint64(i), t.cols)
		}
		if o.Progress != nil {
			base := done
			j.Done = func(r int) { o.Progress(base+int64(r)*int64(t.cols), total) }
		}
		if err := enc.Write(w, j); err != nil {
			return nil, fmt.Errorf("synth: writing %s: %w", t.name, err)
		}
		done += int64(t.cols) * int64(t.rows)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	if err := fh.Commit(); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	if st, err := os.Stat(path); err == nil {
		info.Bytes = st.Size()
	}
	return info, nil
}

// rowFiller returns a Job.Float that draws normal(0, Std) numbers, each row
// from its own stream, so any split of the rows gives the same values.
func rowFiller(seed, tensor uint64, cols int) func(r0, n int, dst []float32) {
	return func(r0, n int, dst []float32) {
		var src rand.PCG
		rng := rand.New(&src)
		for r := 0; r < n; r++ {
			src.Seed(seed, tensor<<40|uint64(r0+r))
			row := dst[r*cols : (r+1)*cols]
			for k := range row {
				row[k] = float32(rng.NormFloat64() * Std)
			}
		}
	}
}

// readVocab returns the tokenizer.* metadata of a vocabulary GGUF, checking
// that it holds n tokens.
func readVocab(path string, n int) ([]gguf.KV, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("synth: vocabulary: %w", err)
	}
	defer f.Close()
	toks, ok := f.Strings("tokenizer.ggml.tokens")
	if !ok {
		return nil, fmt.Errorf("synth: %s holds no tokenizer.ggml.tokens", path)
	}
	if len(toks) != n {
		return nil, fmt.Errorf("synth: %s holds %d tokens, the shape needs %d", path, len(toks), n)
	}
	var kv []gguf.KV
	for _, e := range f.KV {
		// The reader copies metadata out of the mapping, so the values
		// outlive the file.
		if strings.HasPrefix(e.Key, "tokenizer.") {
			kv = append(kv, e)
		}
	}
	return kv, nil
}

// GenerateVocab returns the tokenizer.* metadata of a SentencePiece
// ("llama") vocabulary of n tokens that llama.cpp and this engine accept:
// <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, "▁", then
// lower-case letter strings and the same strings after "▁", shortest
// first, with decreasing scores. It is a valid tokenizer, not a useful
// one: text tokenizes into short pieces and bytes.
func GenerateVocab(n int) []gguf.KV {
	toks := make([]string, 0, n)
	types := make([]int32, 0, n)
	const (
		normal  = 1
		unknown = 2
		control = 3
		byteTok = 6
	)
	toks = append(toks, "<unk>", "<s>", "</s>")
	types = append(types, unknown, control, control)
	for b := 0; b < 256; b++ {
		toks = append(toks, fmt.Sprintf("<0x%02X>", b))
		types = append(types, byteTok)
	}
	if len(toks) < n {
		toks = append(toks, "\u2581")
		types = append(types, normal)
	}
	// Letter strings of length 1, 2, ... in order, each bare and after ▁.
	var buf []byte
	for length := 1; len(toks) < n; length++ {
		buf = buf[:0]
		for i := 0; i < length; i++ {
			buf = append(buf, 'a')
		}
		for len(toks) < n {
			toks = append(toks, "\u2581"+string(buf))
			types = append(types, normal)
			if len(toks) < n {
				toks = append(toks, string(buf))
				types = append(types, normal)
			}
			// Next string of this length (odometer over a..z).
			i := length - 1
			for i >= 0 && buf[i] == 'z' {
				buf[i] = 'a'
				i--
			}
			if i < 0 {
				break
			}
			buf[i]++
		}
	}
	toks, types = toks[:n], types[:n]
	scores := make([]float32, n)
	for i := range scores {
		if types[i] == normal {
			scores[i] = -float32(i)
		}
	}
	return []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: gguf.String("llama")},
		{Key: "tokenizer.ggml.pre", Value: gguf.String("default")},
		{Key: "tokenizer.ggml.tokens", Value: gguf.ArrayOf(toks)},
		{Key: "tokenizer.ggml.scores", Value: gguf.ArrayOf(scores)},
		{Key: "tokenizer.ggml.token_type", Value: gguf.ArrayOf(types)},
		{Key: "tokenizer.ggml.bos_token_id", Value: gguf.Uint32(1)},
		{Key: "tokenizer.ggml.eos_token_id", Value: gguf.Uint32(2)},
		{Key: "tokenizer.ggml.unknown_token_id", Value: gguf.Uint32(0)},
		{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Bool(true)},
		{Key: "tokenizer.ggml.add_eos_token", Value: gguf.Bool(false)},
	}
}
