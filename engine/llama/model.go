package llama

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/kernels"
)

// Config is the shape of a Llama-architecture model, read from GGUF
// metadata.
type Config struct {
	NVocab    int
	NEmbd     int
	NLayer    int
	NHead     int
	NHeadKV   int
	NFF       int
	HeadDim   int
	RopeDims  int // dimensions of each head that are rotated
	NCtxTrain int // context length the model was trained for
	RopeBase  float32
	RopeScale float32 // frequency scale (1 / linear scaling factor)
	RMSEps    float32
}

// KVDim is the width of one layer's K (or V) row for one token.
func (c Config) KVDim() int { return c.NHeadKV * c.HeadDim }

// Weight is a matrix of Rows rows of Cols elements, stored row-major in the
// model file's type. Data is a slice of the read-only mapping.
type Weight struct {
	Name     string
	Type     kernels.Type
	Rows     int
	Cols     int
	RowBytes int
	Data     []byte
	dot      kernels.DotFunc
	packed   *kernels.Packed // the rows re-laid out for MatMulPacked, if repacked
}

// Layer holds one transformer block's weights.
type Layer struct {
	AttnNorm, FFNNorm       []float32
	Wq, Wk, Wv, Wo          Weight
	FFNGate, FFNUp, FFNDown Weight
}

// Model is a loaded Llama-architecture model: its configuration and
// weights, which refer to the mapped file.
type Model struct {
	Config
	File       *gguf.File
	TokEmbd    Weight
	OutputNorm []float32
	Output     Weight // token_embd when the model ties its embeddings
	Layers     []Layer
	// PackedBytes is the memory taken by the packed copies of the weights
	// (see Options.NoRepack), once a context exists.
	PackedBytes int64
	repackOnce  sync.Once
}

// ErrUnsupported is wrapped by errors about models this engine cannot run
// (another architecture, an unsupported tensor type).
var ErrUnsupported = errors.New("unsupported model")

// Open maps a GGUF file and loads it as a model.
func Open(path string) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := FromFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// repack makes packed copies (kernels.Repack) of the matrices whose type
// has a fast packed kernel on this CPU (kernels.RepackInfo: Q4_0 and Q4_K
// with AVX2, Q4_0 with arm64 SDOT), once per model, from the first
// NewContext on: every context created later sees them, and none can run
// before (Once orders the copy before any context's use).
//
// A packed matrix interleaves PackRows rows so that one activation load
// feeds all of them; decoding a TinyLlama-shaped Q4_0 model measured 3x
// faster with it on the AVX2 kernels. The copy is anonymous memory as large
// as the matrices; their pages in the file mapping are then released
// (madvise DONTNEED: they stay in the page cache, reclaimable, but leave
// this process), so resident memory stays about the model's size.
// BAYLING_REPACK=0 (or Options.NoRepack on the first context) keeps the
// weights in the mapping only. Packed Q4_0 gives the same bits as the row
// dots; packed Q4_K sums each block in another order than ggml's AVX2 dot
// (RepackInfo.SameBits is false): 4.8e-5 instead of 2.1e-14 NMSE on the
// tiny-llama2-q4_k_m golden, both far inside the 1e-4 budget, for 2x the
// prompt speed.
func (m *Model) repack(skip bool) {
	m.repackOnce.Do(func() {
		if skip || os.Getenv("BAYLING_REPACK") == "0" {
			return
		}
		do := func(w *Weight) {
			if w.Rows%kernels.PackRows != 0 || !kernels.RepackInfo(w.Type).Fast {
				return
			}
			src := w.Data[:w.Rows*w.RowBytes]
			if p, ok := kernels.Repack(w.Type, w.Rows, w.Cols, src); ok {
				w.packed = p
				m.PackedBytes += int64(p.Bytes())
				if w != &m.Output || m.Output.Name != m.TokEmbd.Name {
					releasePages(src)
				}
			}
		}
		for i := range m.Layers {
			l := &m.Layers[i]
			for _, w := range []*Weight{&l.Wq, &l.Wk, &l.Wv, &l.Wo, &l.FFNGate, &l.FFNUp, &l.FFNDown} {
				do(w)
			}
		}
		do(&m.Output)
	})
}

// releasePages drops this process's mapping of the file pages under b
// (madvise DONTNEED on a read-only file mapping: the page cache keeps
// them; a later read faults them back in). The range is shrunk to whole
// pages inside b, so neighbouring tensors keep theirs.
func releasePages(b []byte) {
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (start + page - 1) &^ (page - 1)
	hi := (start + uintptr(len(b))) &^ (page - 1)
	if hi <= lo {
		return
	}
	_ = unix.Madvise(b[lo-start:hi-start], unix.MADV_DONTNEED) // advisory
}

// Close unmaps the model file.
func (m *Model) Close() error { return m.File.Close() }

// ReadConfig reads the model shape from metadata and checks it.
func ReadConfig(f *gguf.File) (Config, error) {
	var c Config
	arch, _ := f.String("general.architecture")
	if arch != "llama" {
		return c, fmt.Errorf("%w: architecture %q (only llama is supported)", ErrUnsupported, arch)
	}
	var missing []string
	u := func(key string, dst *int, required bool) {
		v, ok := f.Uint("llama." + key)
		if !ok {
			if required {
				missing = append(missing, "llama."+key)
			}
			return
		}
		if v > math.MaxInt32 {
			missing = append(missing, "llama."+key+" (out of range)")
			return
		}
		*dst = int(v)
	}
	u("embedding_length", &c.NEmbd, true)
	u("block_count", &c.NLayer, true)
	u("attention.head_count", &c.NHead, true)
	u("feed_forward_length", &c.NFF, true)
	u("context_length", &c.NCtxTrain, true)
	c.NHeadKV = -1
	u("attention.head_count_kv", &c.NHeadKV, false)
	u("vocab_size", &c.NVocab, false)
	if len(missing) > 0 {
		return c, fmt.Errorf("%w: missing metadata %v", gguf.ErrFormat, missing)
	}
	if c.NHeadKV < 0 {
		c.NHeadKV = c.NHead
	}
	if c.NVocab == 0 {
		toks, _ := f.Strings("tokenizer.ggml.tokens")
		c.NVocab = len(toks)
	}
	if c.NHead <= 0 || c.NEmbd%c.NHead != 0 || c.NHeadKV <= 0 || c.NHead%c.NHeadKV != 0 || c.NLayer <= 0 || c.NFF <= 0 || c.NVocab <= 0 {
		return c, fmt.Errorf("%w: inconsistent shape: embd %d, layers %d, heads %d, kv heads %d, ffn %d, vocab %d",
			gguf.ErrFormat, c.NEmbd, c.NLayer, c.NHead, c.NHeadKV, c.NFF, c.NVocab)
	}
	c.HeadDim = c.NEmbd / c.NHead
	c.RopeDims = c.HeadDim
	u("rope.dimension_count", &c.RopeDims, false)
	if c.RopeDims <= 0 || c.RopeDims > c.HeadDim || c.RopeDims%2 != 0 {
		return c, fmt.Errorf("%w: rope dimension count %d for head size %d", gguf.ErrFormat, c.RopeDims, c.HeadDim)
	}
	c.RopeBase = 10000
	if v, ok := f.Float("llama.rope.freq_base"); ok {
		c.RopeBase = float32(v)
	}
	c.RopeScale = 1
	if v, ok := f.Float("llama.rope.scale_linear"); ok && v != 0 {
		c.RopeScale = float32(1 / v)
	}
	if st, ok := f.String("llama.rope.scaling.type"); ok && st != "none" && st != "linear" {
		return c, fmt.Errorf("%w: rope scaling %q", ErrUnsupported, st)
	}
	if v, ok := f.Float("llama.rope.scaling.factor"); ok && v != 0 {
		if st, _ := f.String("llama.rope.scaling.type"); st == "linear" {
			c.RopeScale = float32(1 / v)
		}
	}
	c.RMSEps = 1e-5
	if v, ok := f.Float("llama.attention.layer_norm_rms_epsilon"); ok {
		c.RMSEps = float32(v)
	}
	if !(c.RopeBase > 0) || !(c.RMSEps > 0) || !(c.RopeScale > 0) {
		return c, fmt.Errorf("%w: rope base %g, scale %g, rms epsilon %g", gguf.ErrFormat, c.RopeBase, c.RopeScale, c.RMSEps)
	}
	return c, nil
}

// FromFile builds a model over an open GGUF file, checking every tensor's
// presence, shape and type.
func FromFile(f *gguf.File) (*Model, error) {
	c, err := ReadConfig(f)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: c, File: f}
	if m.TokEmbd, err = weight(f, "token_embd.weight", c.NEmbd, c.NVocab, false); err != nil {
		return nil, err
	}
	if m.OutputNorm, err = vector(f, "output_norm.weight", c.NEmbd); err != nil {
		return nil, err
	}
	if _, ok := f.Tensor("output.weight"); ok {
		if m.Output, err = weight(f, "output.weight", c.NEmbd, c.NVocab, true); err != nil {
			return nil, err
		}
	} else {
		// Tied embeddings: the output projection is the embedding matrix.
		if m.Output, err = weight(f, "token_embd.weight", c.NEmbd, c.NVocab, true); err != nil {
			return nil, err
		}
	}
	kv := c.KVDim()
	m.Layers = make([]Layer, c.NLayer)
	for i := range m.Layers {
		l := &m.Layers[i]
		p := fmt.Sprintf("blk.%d.", i)
		steps := []struct {
			name       string
			dst        *Weight
			cols, rows int
		}{
			{"attn_q", &l.Wq, c.NEmbd, c.NEmbd},
			{"attn_k", &l.Wk, c.NEmbd, kv},
			{"attn_v", &l.Wv, c.NEmbd, kv},
			{"attn_output", &l.Wo, c.NEmbd, c.NEmbd},
			{"ffn_gate", &l.FFNGate, c.NEmbd, c.NFF},
			{"ffn_up", &l.FFNUp, c.NEmbd, c.NFF},
			{"ffn_down", &l.FFNDown, c.NFF, c.NEmbd},
		}
		for _, s := range steps {
			if *s.dst, err = weight(f, p+s.name+".weight", s.cols, s.rows, true); err != nil {
				return nil, err
			}
		}
		if l.AttnNorm, err = vector(f, p+"attn_norm.weight", c.NEmbd); err != nil {
			return nil, err
		}
		if l.FFNNorm, err = vector(f, p+"ffn_norm.weight", c.NEmbd); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func weight(f *gguf.File, name string, cols, rows int, needDot bool) (Weight, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return Weight{}, fmt.Errorf("%w: tensor %s is missing", gguf.ErrFormat, name)
	}
	if len(t.Dims) != 2 || t.Dims[0] != uint64(cols) || t.Dims[1] != uint64(rows) {
		return Weight{}, fmt.Errorf("%w: tensor %s has shape %v, want [%d %d]", gguf.ErrFormat, name, t.Dims, cols, rows)
	}
	w := Weight{Name: name, Type: t.Type, Rows: rows, Cols: cols, RowBytes: t.RowBytes(), Data: f.TensorData(t)}
	if needDot {
		d, err := kernels.Dot(t.Type)
		if err != nil {
			return Weight{}, fmt.Errorf("%w: tensor %s: %v", ErrUnsupported, name, err)
		}
		w.dot = d
	} else if err := kernels.Dequantize(t.Type, nil, nil); err != nil {
		return Weight{}, fmt.Errorf("%w: tensor %s: %v", ErrUnsupported, name, err)
	}
	return w, nil
}

// vector returns an F32 tensor of n elements as a slice of the mapping.
// GGUF data is little-endian and 32-byte aligned, as float32 needs on the
// little-endian machines this engine targets.
func vector(f *gguf.File, name string, n int) ([]float32, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%w: tensor %s is missing", gguf.ErrFormat, name)
	}
	if t.Type != kernels.F32 || t.Elements() != uint64(n) {
		return nil, fmt.Errorf("%w: tensor %s is %s %v, want F32 [%d]", gguf.ErrFormat, name, t.Type, t.Dims, n)
	}
	b := f.TensorData(t)
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), n), nil
}
