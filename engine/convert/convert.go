package convert

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/engine/quantize"
	"github.com/baylingd/baylingd/kernels"
)

// Options control a conversion.
type Options struct {
	// Type is the output recipe: "f16" (the default, as llama.cpp's
	// converter writes), "bf16", "f32", or a quantized one, "q8_0",
	// "q4_0", "q4_k_m", "q5_k_m", "q6_k".
	Type string
	// Threads quantizing in parallel; 0 means all CPUs.
	Threads int
	// Progress, if not nil, is called as the weights are converted, with
	// the checkpoint bytes processed so far and their total.
	Progress func(done, total int64)
	// Name is general.name; the checkpoint folder's name when empty.
	Name string
	// ChatTemplate, if not empty, is stored as tokenizer.chat_template
	// instead of the checkpoint's own (tokenizer_config.json or
	// chat_template.jinja) or, when it has none, BayLing's.
	ChatTemplate string
}

// outTensor is one tensor of the GGUF file and where its data comes from.
type outTensor struct {
	name       string
	src        *stTensor
	rows, cols int
	heads      int // > 0: rows are permuted for rotary embedding in this many heads
	vector     bool
	typ        kernels.Type
}

// dims is the GGUF shape, row length first.
func (t *outTensor) dims() []uint64 {
	if t.vector {
		return []uint64{uint64(t.cols)}
	}
	return []uint64{uint64(t.cols), uint64(t.rows)}
}

// Convert converts the Hugging Face checkpoint in hfDir to the GGUF file
// out. See the package documentation.
func Convert(hfDir, out string, opts Options) error {
	typ := opts.Type
	if typ == "" {
		typ = "f16"
	}
	ft, err := quantize.ParseFileType(typ)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(hfDir)
	if err != nil {
		return err
	}
	voc, err := loadVocab(hfDir, cfg, opts.ChatTemplate)
	if err != nil {
		return err
	}
	ck, err := openCheckpoint(hfDir)
	if err != nil {
		return err
	}
	defer ck.Close()
	tensors, err := planTensors(cfg, ck, ft)
	if err != nil {
		return err
	}
	name := opts.Name
	if name == "" {
		abs, err := filepath.Abs(hfDir)
		if err != nil {
			return err
		}
		name = filepath.Base(abs)
	}

	fh, err := quantize.CreateAtomic(out)
	if err != nil {
		return err
	}
	defer fh.Abort()
	w, err := gguf.NewWriter(fh, 0)
	if err != nil {
		return err
	}
	if err := addModelKV(w, cfg, ft, name); err != nil {
		return err
	}
	if err := voc.addTo(w); err != nil {
		return err
	}
	var total int64
	for _, t := range tensors {
		if err := w.AddTensor(t.name, t.typ, t.dims()...); err != nil {
			return err
		}
		total += t.src.End - t.src.Begin
	}
	if err := w.WriteHeader(); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	enc := quantize.NewEncoder(opts.Threads)
	var done int64
	for _, t := range tensors {
		if err := enc.Write(w, t.job(func(n int64) {
			if opts.Progress != nil {
				opts.Progress(done+n, total)
			}
		})); err != nil {
			return fmt.Errorf("%s: writing %s: %w", out, t.name, err)
		}
		done += t.src.End - t.src.Begin
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	if err := fh.Commit(); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	return nil
}

// addModelKV writes general.* and llama.* metadata as convert_hf_to_gguf's
// LlamaModel does.
func addModelKV(w *gguf.Writer, c *Config, ft quantize.FileType, name string) error {
	kv := []gguf.KV{
		{Key: "general.architecture", Value: gguf.String("llama")},
		{Key: "general.name", Value: gguf.String(name)},
		{Key: "llama.context_length", Value: gguf.Uint32(uint32(c.ContextLength))},
		{Key: "llama.embedding_length", Value: gguf.Uint32(uint32(c.HiddenSize))},
		{Key: "llama.block_count", Value: gguf.Uint32(uint32(c.NumLayers))},
		{Key: "llama.feed_forward_length", Value: gguf.Uint32(uint32(c.IntermediateSize))},
		{Key: "llama.attention.head_count", Value: gguf.Uint32(uint32(c.NumHeads))},
		{Key: "llama.attention.head_count_kv", Value: gguf.Uint32(uint32(c.NumKVHeads))},
		{Key: "llama.rope.dimension_count", Value: gguf.Uint32(uint32(c.HeadDim()))},
	}
	if c.RopeTheta > 0 {
		kv = append(kv, gguf.KV{Key: "llama.rope.freq_base", Value: gguf.Float32(float32(c.RopeTheta))})
	}
	kv = append(kv,
		gguf.KV{Key: "llama.attention.layer_norm_rms_epsilon", Value: gguf.Float32(float32(c.RMSNormEps))},
		gguf.KV{Key: "llama.vocab_size", Value: gguf.Uint32(uint32(c.VocabSize))})
	if c.RopeScaleLinear > 0 {
		kv = append(kv,
			gguf.KV{Key: "llama.rope.scaling.type", Value: gguf.String("linear")},
			gguf.KV{Key: "llama.rope.scaling.factor", Value: gguf.Float32(float32(c.RopeScaleLinear))})
	}
	kv = append(kv, gguf.KV{Key: "general.file_type", Value: gguf.Uint32(uint32(ft))})
	if ft.Quantized() {
		kv = append(kv, gguf.KV{Key: "general.quantization_version", Value: gguf.Uint32(quantize.QuantizationVersion)})
	}
	for _, e := range kv {
		if err := w.AddKV(e.Key, e.Value); err != nil {
			return err
		}
	}
	return nil
}

// planTensors maps the checkpoint's tensors to GGUF tensors in llama.cpp's
// order (embeddings, then each block, then the output), checking that the
// checkpoint holds exactly the tensors of a LlamaForCausalLM with the
// config's shape and that their dtypes can be read.
func planTensors(c *Config, ck *checkpoint, ft quantize.FileType) ([]*outTensor, error) {
	hd := c.HeadDim()
	type spec struct {
		hf, gguf   string
		rows, cols int // HF shape [rows, cols]; cols 0 for a vector
		heads      int
	}
	specs := []spec{{"model.embed_tokens.weight", "token_embd.weight", c.VocabSize, c.HiddenSize, 0}}
	for i := 0; i < c.NumLayers; i++ {
		p, q := fmt.Sprintf("model.layers.%d.", i), fmt.Sprintf("blk.%d.", i)
		specs = append(specs,
			spec{p + "input_layernorm.weight", q + "attn_norm.weight", c.HiddenSize, 0, 0},
			spec{p + "self_attn.q_proj.weight", q + "attn_q.weight", c.NumHeads * hd, c.HiddenSize, c.NumHeads},
			spec{p + "self_attn.k_proj.weight", q + "attn_k.weight", c.NumKVHeads * hd, c.HiddenSize, c.NumKVHeads},
			spec{p + "self_attn.v_proj.weight", q + "attn_v.weight", c.NumKVHeads * hd, c.HiddenSize, 0},
			spec{p + "self_attn.o_proj.weight", q + "attn_output.weight", c.HiddenSize, c.NumHeads * hd, 0},
			spec{p + "post_attention_layernorm.weight", q + "ffn_norm.weight", c.HiddenSize, 0, 0},
			spec{p + "mlp.gate_proj.weight", q + "ffn_gate.weight", c.IntermediateSize, c.HiddenSize, 0},
			spec{p + "mlp.up_proj.weight", q + "ffn_up.weight", c.IntermediateSize, c.HiddenSize, 0},
			spec{p + "mlp.down_proj.weight", q + "ffn_down.weight", c.HiddenSize, c.IntermediateSize, 0},
		)
	}
	specs = append(specs, spec{"model.norm.weight", "output_norm.weight", c.HiddenSize, 0, 0})
	if !c.TieEmbeddings {
		specs = append(specs, spec{"lm_head.weight", "output.weight", c.VocabSize, c.HiddenSize, 0})
	}

	used := map[string]bool{}
	var missing []string
	var out []*outTensor
	var names []string
	for _, s := range specs {
		t, ok := ck.tensors[s.hf]
		if !ok {
			missing = append(missing, s.hf)
			continue
		}
		used[s.hf] = true
		want := []int64{int64(s.rows)}
		if s.cols > 0 {
			want = append(want, int64(s.cols))
		}
		if !slices.Equal(t.Shape, want) {
			return nil, fmt.Errorf("%s: tensor %s has shape %v, but config.json (hidden_size %d, num_attention_heads %d, num_key_value_heads %d, intermediate_size %d, vocab_size %d) implies %v",
				t.file.Path, s.hf, t.Shape, c.HiddenSize, c.NumHeads, c.NumKVHeads, c.IntermediateSize, c.VocabSize, want)
		}
		if _, ok := srcType(t.DType); !ok {
			return nil, fmt.Errorf("%s: %w: tensor %s is %s (F16, BF16 and F32 are supported)", t.file.Path, ErrUnsupported, s.hf, t.DType)
		}
		cols, rows := s.cols, 1
		if cols == 0 {
			cols = s.rows
		} else {
			rows = s.rows
		}
		out = append(out, &outTensor{name: s.gguf, src: t, rows: rows, cols: cols, heads: s.heads, vector: s.cols == 0})
		names = append(names, s.gguf)
	}
	if len(missing) > 0 {
		more := ""
		if len(missing) > 5 {
			more = fmt.Sprintf(" and %d more", len(missing)-5)
			missing = missing[:5]
		}
		return nil, fmt.Errorf("%s: missing tensors %s%s", ck.desc, strings.Join(missing, ", "), more)
	}
	var extra []string
	for n := range ck.tensors {
		switch {
		case used[n]:
		case strings.HasSuffix(n, ".rotary_emb.inv_freq"): // recomputed from rope_theta, as llama.cpp does
		case n == "lm_head.weight" && c.TieEmbeddings: // tied: the embeddings are the output
		default:
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		t := ck.tensors[extra[0]]
		more := ""
		if len(extra) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(extra)-1)
		}
		return nil, fmt.Errorf("%s: %w: tensor %s%s is not part of a LlamaForCausalLM of this config",
			t.file.Path, ErrUnsupported, extra[0], more)
	}
	plan := quantize.NewPlan(ft, quantize.Shape{NLayer: c.NumLayers, NHead: c.NumHeads, NHeadKV: c.NumKVHeads}, names)
	for _, t := range out {
		t.typ = plan.TensorType(t.name, t.dims())
	}
	return out, nil
}

// srcType is the ggml type of a safetensors dtype the converter reads.
func srcType(dtype string) (kernels.Type, bool) {
	switch dtype {
	case "F16":
		return kernels.F16, true
	case "BF16":
		return kernels.BF16, true
	case "F32":
		return kernels.F32, true
	}
	return 0, false
}

// srcRow is the checkpoint row that becomes row r of the GGUF tensor.
// For attn_q and attn_k, llama.cpp's converter permutes each head's rows
// (LlamaModel.permute: reshape(heads, 2, hd/2, ...).swapaxes(1, 2)) so that
// the two halves Hugging Face rotates together (i and i + hd/2) become the
// adjacent pairs (2i, 2i+1) that ggml's rotary embedding rotates.
func (t *outTensor) srcRow(r int) int {
	if t.heads == 0 {
		return r
	}
	hd := t.rows / t.heads
	h, k := r/hd, r%hd
	return h*hd + (k%2)*(hd/2) + k/2
}

// job describes the tensor for quantize.Encoder. progress receives the
// checkpoint bytes of this tensor processed so far.
func (t *outTensor) job(progress func(int64)) quantize.Job {
	data := t.src.Data()
	st, _ := srcType(t.src.DType)
	rowBytes := t.cols * int(dtypeSizes[t.src.DType])
	j := quantize.Job{Name: t.name, Type: t.typ, Cols: t.cols, Rows: t.rows}
	if st == t.typ {
		j.Raw = func(r0, n int, dst []byte) {
			for i := 0; i < n; i++ {
				s := t.srcRow(r0 + i)
				copy(dst[i*rowBytes:(i+1)*rowBytes], data[s*rowBytes:(s+1)*rowBytes])
			}
		}
	} else {
		j.Float = func(r0, n int, dst []float32) {
			for i := 0; i < n; i++ {
				s := t.srcRow(r0 + i)
				// st is F32, F16 or BF16 (checked when the tensor was read).
				if err := kernels.Dequantize(st, data[s*rowBytes:(s+1)*rowBytes], dst[i*t.cols:(i+1)*t.cols]); err != nil {
					panic(err)
				}
			}
		}
	}
	released := 0
	j.Done = func(r int) {
		// Rows of a permuted tensor come from within their own head, so
		// every source row before the current head has been read.
		upto := r
		if t.heads > 0 && r < t.rows {
			hd := t.rows / t.heads
			upto = r / hd * hd
		}
		if upto > released {
			releasePages(data[released*rowBytes : upto*rowBytes])
			released = upto
		}
		progress(int64(r) * int64(rowBytes))
	}
	return j
}

// releasePages drops the pages of b, a slice of a read-only file mapping,
// from this process (madvise MADV_DONTNEED): a 7B checkpoint is read once
// from front to back, and without this all 13 GB of it would end up
// resident (counted in RSS, though reclaimable). The pages stay in the
// page cache. The range is widened to whole pages; an edge page shared
// with a tensor not yet converted only costs it one more page fault.
func releasePages(b []byte) {
	if len(b) == 0 {
		return
	}
	page := os.Getpagesize()
	p := unsafe.Pointer(unsafe.SliceData(b))
	off := int(uintptr(p) & uintptr(page-1))
	n := (off + len(b) + page - 1) &^ (page - 1)
	// Inside the mapping: it starts on a page boundary and the kernel
	// rounds its length up to whole pages.
	region := unsafe.Slice((*byte)(unsafe.Add(p, -off)), n)
	_ = unix.Madvise(region, unix.MADV_DONTNEED) // advisory: an error only costs memory
}
