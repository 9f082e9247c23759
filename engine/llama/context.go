package llama

import (
	"errors"
	"fmt"

	"github.com/baylingd/baylingd/accel"
	"github.com/baylingd/baylingd/internal/cpuinfo"
	"github.com/baylingd/baylingd/kernels"
)

// Options size a Context.
type Options struct {
	// Threads is the number of worker threads (0: one per physical
	// performance core, cpuinfo.PerformanceCores).
	Threads int
	// ContextSize is the number of token positions the KV cache holds for
	// all sequences together (0: the model's training context). One
	// sequence may not grow beyond the model's training context.
	ContextSize int
	// MaxBatch is the most tokens one forward pass processes; longer
	// batches are split (0: 256).
	MaxBatch int
	// MaxSeqs is the number of sequences that may exist at once (0: 16).
	MaxSeqs int
	// NoRepack, on the first context of a model, keeps its weights in the
	// file mapping only instead of making packed copies of the Q4_0 and
	// Q8_0 matrices (Model.PackedBytes of memory) for the faster kernels.
	NoRepack bool
	// Accel offloads the weight matmuls of large forward passes to a GPU
	// or NPU (see Offload). The zero value keeps everything on the CPU.
	Accel Offload
}

// Offload sends the multiplications by the layers' weight matrices of
// every forward pass of at least MinBatch tokens to Backend; everything
// else (norms, rotary embedding, attention, the output projection, and
// passes of fewer tokens, i.e. decode steps) stays on the CPU. A pass is
// one chunk of at most MaxBatch tokens, so MinBatch is compared with the
// chunk's size.
//
// Why only large passes: on the boards this engine targets the GPU and
// NPU share DRAM with the CPU, so a decode step, bound by reading the
// weights, gains nothing from them, while a prompt chunk reuses every
// weight for each of its tokens and is bound by arithmetic, which is what
// an accelerator adds. The crossover is measured (engine.ChooseAccel), not
// assumed.
//
// NewContext uploads every layer matrix whose type the backend supports,
// once, when Backend is set and MinBatch > 0; the copies belong to the
// context and are freed by Close (the backend itself belongs to the
// caller, who closes it after the context). On a board the device copy is
// more DRAM: about the size of the layer matrices again (int8 on the NPU).
// The output projection is not uploaded: a pass computes logits for few
// rows (the last prompt token, one per decoding sequence), so it never
// reaches a batch worth a device copy of the largest matrix.
//
// The backend multiplies float activations (Matrix.MatMul's input): the
// rows after the norm or SiLU, rounded through the vec-dot type the CPU
// kernels would quantize them to (Q8_0, Q8_K, F16), so that Vulkan, which
// computes in float32 from the same dequantized weights, reproduces the
// CPU's (and llama.cpp's) products to float rounding; the NPU requantizes
// both sides to int8 with a scale per row (see package accel for the
// error it adds).
//
// A device error does not fail the pass: that product is computed on the
// CPU instead, offload is switched off for the rest of the context's life,
// and OffloadStats reports the error (the daemon logs it), because a
// server that loses its GPU should keep translating, slower.
type Offload struct {
	Backend  accel.Backend
	MinBatch int // <= 0: never offload
}

// OffloadStats describe a context's offload.
type OffloadStats struct {
	Backend  string // Backend.Name(), "" when offload is off
	MinBatch int
	Matrices int   // weight matrices uploaded
	Calls    int64 // matmuls the backend ran
	Rows     int64 // activation rows it multiplied (tokens x matrices)
	// Err is the device error that switched offload off, nil while it
	// works.
	Err error
}

// Context holds the inference state over a model: the KV cache shared by
// all sequences, the worker pool and every scratch buffer, all allocated
// once so that a forward pass allocates nothing.
type Context struct {
	m       *Model
	opts    Options
	maxLen  int // positions one sequence may hold
	pool    *pool
	kv      kvCache
	seqs    []sequence
	scratch scratch
	nOut    int // output rows of the last Decode
	logits  []float32
	off     *offload // nil: everything on the CPU
}

// ErrContextLength is returned when a sequence would grow past the model's
// context length.
var ErrContextLength = errors.New("sequence exceeds the context length")

// NewContext allocates the state for running m.
func (m *Model) NewContext(o Options) (*Context, error) {
	if o.Threads <= 0 {
		o.Threads = cpuinfo.PerformanceCores()
	}
	if o.ContextSize <= 0 {
		o.ContextSize = m.NCtxTrain
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.MaxSeqs <= 0 {
		o.MaxSeqs = 16
	}
	m.repack(o.NoRepack)
	var off *offload
	if o.Accel.Backend != nil && o.Accel.MinBatch > 0 {
		var err error
		if off, err = m.upload(o.Accel); err != nil {
			return nil, err
		}
		off.act = make([]float32, o.MaxBatch*max(m.NEmbd, m.NFF))
	}
	nPages := (o.ContextSize + pageSize - 1) / pageSize
	c := &Context{
		m:      m,
		opts:   o,
		off:    off,
		maxLen: min(m.NCtxTrain, nPages*pageSize),
		pool:   newPool(o.Threads),
		kv:     newKVCache(m.NLayer, m.KVDim(), nPages),
		seqs:   make([]sequence, o.MaxSeqs),
	}
	for i := range c.seqs {
		c.seqs[i].pages = make([]int32, 0, (c.maxLen+pageSize-1)/pageSize)
	}
	c.scratch = newScratch(m, o)
	c.logits = make([]float32, 0, m.NVocab)
	return c, nil
}

// Close stops the worker threads and frees the weights uploaded to an
// offload backend. The model (and the backend) stay open.
func (c *Context) Close() {
	c.pool.close()
	if c.off != nil {
		c.off.free()
	}
}

// Model returns the model the context runs.
func (c *Context) Model() *Model { return c.m }

// Threads is the number of worker threads.
func (c *Context) Threads() int { return c.opts.Threads }

// MaxBatch is the most tokens one forward pass processes.
func (c *Context) MaxBatch() int { return c.opts.MaxBatch }

// MaxSeqLen is the most positions one sequence may hold.
func (c *Context) MaxSeqLen() int { return c.maxLen }

// NewSeq returns the id of a new, empty sequence.
func (c *Context) NewSeq() (int, error) {
	for i := range c.seqs {
		if !c.seqs[i].used {
			c.seqs[i].used = true
			c.seqs[i].n = 0
			c.seqs[i].pages = c.seqs[i].pages[:0]
			return i, nil
		}
	}
	return -1, fmt.Errorf("all %d sequences are in use", len(c.seqs))
}

// FreeSeq releases a sequence and its KV pages.
func (c *Context) FreeSeq(id int) {
	if id < 0 || id >= len(c.seqs) || !c.seqs[id].used {
		return
	}
	s := &c.seqs[id]
	for _, p := range s.pages {
		c.kv.release(p)
	}
	s.pages = s.pages[:0]
	s.n = 0
	s.used = false
}

// SeqLen is the number of positions sequence id holds.
func (c *Context) SeqLen(id int) int {
	if id < 0 || id >= len(c.seqs) || !c.seqs[id].used {
		return 0
	}
	return c.seqs[id].n
}

// ForkSeq makes a new sequence holding the same positions as src, without
// recomputing them: full pages are shared, the partial last page is copied
// so that each sequence appends into a page of its own.
func (c *Context) ForkSeq(src int) (int, error) {
	if src < 0 || src >= len(c.seqs) || !c.seqs[src].used {
		return -1, fmt.Errorf("fork of unknown sequence %d", src)
	}
	s := &c.seqs[src]
	partial := s.n % pageSize
	if partial != 0 && len(c.kv.free) == 0 {
		return -1, ErrKVFull
	}
	id, err := c.NewSeq()
	if err != nil {
		return -1, err
	}
	d := &c.seqs[id]
	for i, p := range s.pages {
		if i == len(s.pages)-1 && partial != 0 {
			np := c.kv.alloc()
			c.kv.copyPage(np, p, partial)
			d.pages = append(d.pages, np)
			continue
		}
		c.kv.refs[p]++
		d.pages = append(d.pages, p)
	}
	d.n = s.n
	return id, nil
}

// TruncateSeq drops the positions of sequence id from n on. When the new
// last page is shared with another sequence it is copied, which needs a
// free page (ErrKVFull otherwise, with nothing changed).
func (c *Context) TruncateSeq(id, n int) error {
	if id < 0 || id >= len(c.seqs) || !c.seqs[id].used {
		return fmt.Errorf("truncate of unknown sequence %d", id)
	}
	s := &c.seqs[id]
	if n >= s.n {
		return nil
	}
	keep := (n + pageSize - 1) / pageSize
	// A partial page still shared with another sequence must not be
	// appended into: give this sequence its own copy.
	cow := n%pageSize != 0 && c.kv.refs[s.pages[keep-1]] > 1
	if cow && len(c.kv.free) == 0 {
		return ErrKVFull
	}
	for _, p := range s.pages[keep:] {
		c.kv.release(p)
	}
	s.pages = s.pages[:keep]
	s.n = n
	if cow {
		np := c.kv.alloc()
		c.kv.copyPage(np, s.pages[keep-1], n%pageSize)
		c.kv.release(s.pages[keep-1])
		s.pages[keep-1] = np
	}
	return nil
}

// FreePages is the number of KV pages no sequence holds.
func (c *Context) FreePages() int { return len(c.kv.free) }

// scratch is every buffer a forward pass needs, sized for MaxBatch tokens.
type scratch struct {
	x, xb, xb2 []float32   // [T][NEmbd]
	q          []float32   // [T][NEmbd]
	k, v       []float32   // [T][KVDim]
	hb, hb2    []float32   // [T][NFF]
	qa         [3][]byte   // quantized activations, one per vec-dot type in use
	att        [][]float32 // per worker: attention scores [attnBlock][group][maxLen]
	qf         [][]float32 // per worker: a unit's query heads, rounded to F16
	kvRow      [][]float32 // per worker: four K or V head rows, widened
	half       [][]uint16  // per worker: a row rounded to F16 on its way back to F32
	qT         [][]float32 // per worker: qf transposed per token, [attnBlock][hd][group]
	scores     [][]float32 // per worker: one DotF32Heads result, [4][group]
	pos        []int32     // positions of the tokens in the current chunk
	seq        []int32
	outRows    []int32 // chunk rows that produce logits
	runs       []attnRun
	ropeCos    []float32
	ropeSin    []float32
	mm         matmulTask
	prep       prepTask
	at         attentionTask
	rope       ropeTask
}

func newScratch(m *Model, o Options) scratch {
	T := o.MaxBatch
	kvd := m.KVDim()
	maxRow := max(m.NEmbd, m.NFF)
	s := scratch{
		x: make([]float32, T*m.NEmbd), xb: make([]float32, T*m.NEmbd), xb2: make([]float32, T*m.NEmbd),
		q: make([]float32, T*m.NEmbd), k: make([]float32, T*kvd), v: make([]float32, T*kvd),
		hb: make([]float32, T*m.NFF), hb2: make([]float32, T*m.NFF),
		att: make([][]float32, o.Threads), qf: make([][]float32, o.Threads), kvRow: make([][]float32, o.Threads), half: make([][]uint16, o.Threads),
		qT: make([][]float32, o.Threads), scores: make([][]float32, o.Threads),
		pos: make([]int32, 0, T), seq: make([]int32, 0, T), outRows: make([]int32, 0, T), runs: make([]attnRun, 0, T),
		ropeCos: make([]float32, T*m.RopeDims/2), ropeSin: make([]float32, T*m.RopeDims/2),
	}
	// Q8_K rows are the largest activation encoding (292 bytes per 256).
	qaBytes := T * (maxRow/kernels.QK_K + 1) * kernels.Q8_K.BlockBytes()
	if f32 := T * maxRow * 4; f32 > qaBytes {
		qaBytes = f32
	}
	for i := range s.qa {
		s.qa[i] = make([]byte, qaBytes)
	}
	ctxLen := min(m.NCtxTrain, ((o.ContextSize+pageSize-1)/pageSize)*pageSize)
	group := m.NHead / m.NHeadKV
	blk := min(attnBlock, T)
	for w := range s.att {
		s.att[w] = make([]float32, blk*group*ctxLen)
		s.qf[w] = make([]float32, blk*group*m.HeadDim)
		s.kvRow[w] = make([]float32, 4*m.HeadDim)
		s.half[w] = make([]uint16, max(ctxLen, m.HeadDim))
		s.qT[w] = make([]float32, blk*group*m.HeadDim)
		s.scores[w] = make([]float32, 4*group)
	}
	return s
}
