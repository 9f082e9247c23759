package llama

import (
	"fmt"
	"math"

	"github.com/baylingd/baylingd/kernels"
)

// Batch is the input of one forward pass: tokens with the sequence each
// belongs to. Each token is appended to its sequence at the next position;
// Pos, when given, must name exactly those positions (it documents the
// caller's view and catches bookkeeping errors). Prefill of one prompt and
// one decode step for many sequences are the same call, so the weights are
// read once per step however many sequences are active.
type Batch struct {
	Tokens []int32
	Seqs   []int32
	Pos    []int32 // optional
	Logits []bool  // optional; nil means the last token of the batch only
}

// Decode runs the model over the batch, appending to the KV cache of each
// sequence, and computes logits for the tokens flagged in b.Logits; they are
// read back with Logits(i) in the order of the flagged tokens. On error
// nothing has been changed.
func (c *Context) Decode(b Batch) error {
	m := c.m
	n := len(b.Tokens)
	if n == 0 {
		return fmt.Errorf("empty batch")
	}
	if len(b.Seqs) != n || (b.Pos != nil && len(b.Pos) != n) || (b.Logits != nil && len(b.Logits) != n) {
		return fmt.Errorf("batch slices differ in length")
	}
	// Validate everything before touching the cache.
	nOut := 0
	needPages := 0
	for i, tok := range b.Tokens {
		if tok < 0 || int(tok) >= m.NVocab {
			return fmt.Errorf("token %d: id %d outside the vocabulary of %d", i, tok, m.NVocab)
		}
		s := b.Seqs[i]
		if s < 0 || int(s) >= len(c.seqs) || !c.seqs[s].used {
			return fmt.Errorf("token %d: unknown sequence %d", i, s)
		}
		if b.Logits == nil && i == n-1 || b.Logits != nil && b.Logits[i] {
			nOut++
		}
	}
	// Count each sequence's growth (batches are small: quadratic is fine
	// and allocates nothing).
	for i, s := range b.Seqs {
		first := true
		for _, s2 := range b.Seqs[:i] {
			if s2 == s {
				first = false
				break
			}
		}
		if !first {
			continue
		}
		add := 0
		for j, s2 := range b.Seqs[i:] {
			if s2 == s {
				if b.Pos != nil && int(b.Pos[i+j]) != c.seqs[s].n+add {
					return fmt.Errorf("token %d: position %d, but sequence %d continues at %d", i+j, b.Pos[i+j], s, c.seqs[s].n+add)
				}
				add++
			}
		}
		have := c.seqs[s].n
		if have+add > c.maxLen {
			return fmt.Errorf("%w: sequence %d would hold %d positions, the limit is %d", ErrContextLength, s, have+add, c.maxLen)
		}
		needPages += (have+add+pageSize-1)/pageSize - (have+pageSize-1)/pageSize
	}
	if needPages > len(c.kv.free) {
		return fmt.Errorf("%w: %d pages needed, %d free", ErrKVFull, needPages, len(c.kv.free))
	}

	if cap(c.logits) < nOut*m.NVocab {
		c.logits = make([]float32, 0, nOut*m.NVocab)
	}
	c.logits = c.logits[:nOut*m.NVocab]
	c.nOut = 0
	for start := 0; start < n; start += c.opts.MaxBatch {
		end := min(start+c.opts.MaxBatch, n)
		c.forward(b, start, end)
	}
	return nil
}

// NumLogits is the number of logit rows the last Decode produced.
func (c *Context) NumLogits() int { return c.nOut }

// Logits returns the i-th logit row of the last Decode. The slice is reused
// by the next Decode.
func (c *Context) Logits(i int) []float32 {
	v := c.m.NVocab
	return c.logits[i*v : (i+1)*v : (i+1)*v]
}

// forward runs tokens [start, end) of b, which fit in the scratch buffers.
func (c *Context) forward(b Batch, start, end int) {
	m := c.m
	s := &c.scratch
	T := end - start
	E, kvd, hd := m.NEmbd, m.KVDim(), m.HeadDim

	// Place each token in its sequence, allocating pages as positions
	// cross page boundaries.
	s.pos, s.seq, s.outRows = s.pos[:0], s.seq[:0], s.outRows[:0]
	for i := start; i < end; i++ {
		sq := &c.seqs[b.Seqs[i]]
		if sq.n%pageSize == 0 {
			sq.pages = append(sq.pages, c.kv.alloc())
		}
		s.pos = append(s.pos, int32(sq.n))
		s.seq = append(s.seq, b.Seqs[i])
		sq.n++
		if b.Logits == nil && i == len(b.Tokens)-1 || b.Logits != nil && b.Logits[i] {
			s.outRows = append(s.outRows, int32(i-start))
		}
	}

	for t := 0; t < T; t++ {
		tok := int(b.Tokens[start+t])
		row := m.TokEmbd.Data[tok*m.TokEmbd.RowBytes : (tok+1)*m.TokEmbd.RowBytes]
		kernels.Dequantize(m.TokEmbd.Type, row, s.x[t*E:(t+1)*E])
	}
	for t := 0; t < T; t++ {
		kernels.RopeCache(s.ropeCos[t*m.RopeDims/2:(t+1)*m.RopeDims/2], s.ropeSin[t*m.RopeDims/2:(t+1)*m.RopeDims/2], int(s.pos[t]), m.RopeDims, m.RopeBase, m.RopeScale)
	}

	for l := range m.Layers {
		L := &m.Layers[l]
		for t := 0; t < T; t++ {
			kernels.RMSNorm(s.xb[t*E:(t+1)*E], s.x[t*E:(t+1)*E], L.AttnNorm, m.RMSEps)
		}
		c.matmul(s.xb, T, E, mmOut{&L.Wq, s.q}, mmOut{&L.Wk, s.k}, mmOut{&L.Wv, s.v})

		s.rope = ropeTask{c: c, T: T}
		c.pool.parallel(&s.rope, T, 1)

		// Store K and V in the cache as F16.
		for t := 0; t < T; t++ {
			sq := &c.seqs[s.seq[t]]
			p := int(s.pos[t])
			off := c.kv.row(sq.pages[p/pageSize], p%pageSize)
			kernels.F32ToF16Row(c.kv.k[l][off:off+kvd], s.k[t*kvd:(t+1)*kvd])
			kernels.F32ToF16Row(c.kv.v[l][off:off+kvd], s.v[t*kvd:(t+1)*kvd])
		}

		s.at = attentionTask{c: c, layer: l, scale: float32(1 / math.Sqrt(float64(hd)))}
		c.pool.parallel(&s.at, T*m.NHead, 1)

		c.matmul(s.xb2, T, E, mmOut{&L.Wo, s.xb})
		kernels.Add(s.x[:T*E], s.x[:T*E], s.xb[:T*E])

		for t := 0; t < T; t++ {
			kernels.RMSNorm(s.xb[t*E:(t+1)*E], s.x[t*E:(t+1)*E], L.FFNNorm, m.RMSEps)
		}
		c.matmul(s.xb, T, E, mmOut{&L.FFNGate, s.hb}, mmOut{&L.FFNUp, s.hb2})
		kernels.SiLUMul(s.hb[:T*m.NFF], s.hb2[:T*m.NFF])
		c.matmul(s.hb, T, m.NFF, mmOut{&L.FFNDown, s.xb})
		kernels.Add(s.x[:T*E], s.x[:T*E], s.xb[:T*E])
	}

	if len(s.outRows) == 0 {
		return
	}
	// Final norm of the rows that need logits, gathered into xb.
	for i, t := range s.outRows {
		kernels.RMSNorm(s.xb[i*E:(i+1)*E], s.x[int(t)*E:int(t+1)*E], m.OutputNorm, m.RMSEps)
	}
	nr := len(s.outRows)
	out := c.logits[c.nOut*m.NVocab : (c.nOut+nr)*m.NVocab]
	c.matmul(s.xb, nr, E, mmOut{&m.Output, out})
	c.nOut += nr
}

// mmOut pairs a weight with the buffer receiving its [T][Rows] products.
type mmOut struct {
	w   *Weight
	out []float32
}

// matmul multiplies T activation rows of length n in x by up to three
// weights that share that input (Q, K and V; gate and up) in one parallel
// pass. Activations are quantized once per vec-dot type, as ggml does.
func (c *Context) matmul(x []float32, T, n int, outs ...mmOut) {
	s := &c.scratch
	task := &s.mm
	*task = matmulTask{n: n, nb: T}
	total := 0
	var types [3]kernels.Type
	for i, o := range outs {
		vt := kernels.VecDotType(o.w.Type)
		types[i] = vt
		slot := -1
		for j := 0; j < i; j++ {
			if types[j] == vt {
				slot = j
				break
			}
		}
		rb, _ := vt.RowBytes(n)
		if slot < 0 {
			slot = i
			for t := 0; t < T; t++ {
				kernels.Quantize(vt, x[t*n:(t+1)*n], s.qa[i][t*rb:(t+1)*rb])
			}
		}
		task.w[i] = o.w
		task.a[i] = s.qa[slot][:T*rb]
		task.out[i] = o.out
		task.first[i] = total
		total += o.w.Rows
	}
	task.count = len(outs)
	task.first[len(outs)] = total
	c.pool.parallel(task, total, c.pool.chunk(total, 16))
}

// matmulTask computes rows of up to three weights; its units are the
// weights' rows laid end to end.
type matmulTask struct {
	n, nb int
	count int
	w     [3]*Weight
	a     [3][]byte
	out   [3][]float32
	first [4]int
}

func (t *matmulTask) run(_, lo, hi int) {
	for i := 0; i < t.count; i++ {
		r0, r1 := max(lo, t.first[i]), min(hi, t.first[i+1])
		if r0 >= r1 {
			continue
		}
		w := t.w[i]
		kernels.MatMul(w.Type, t.n, w.Data, r0-t.first[i], r1-t.first[i], t.a[i], t.nb, t.out[i], w.Rows)
	}
}

// ropeTask rotates the query and key heads of each token.
type ropeTask struct {
	c *Context
	T int
}

func (r *ropeTask) run(_, lo, hi int) {
	m := r.c.m
	s := &r.c.scratch
	hd, half := m.HeadDim, m.RopeDims/2
	for t := lo; t < hi; t++ {
		cos, sin := s.ropeCos[t*half:(t+1)*half], s.ropeSin[t*half:(t+1)*half]
		for h := 0; h < m.NHead; h++ {
			kernels.RopeNorm(s.q[(t*m.NHead+h)*hd:(t*m.NHead+h)*hd+m.RopeDims], cos, sin)
		}
		for h := 0; h < m.NHeadKV; h++ {
			kernels.RopeNorm(s.k[(t*m.NHeadKV+h)*hd:(t*m.NHeadKV+h)*hd+m.RopeDims], cos, sin)
		}
	}
}

// attentionTask computes one (token, head) pair per unit: causal attention
// of the query head over its sequence's cached keys and values, with
// grouped-query heads sharing a KV head.
type attentionTask struct {
	c     *Context
	layer int
	scale float32
}

func (a *attentionTask) run(w, lo, hi int) {
	c := a.c
	m := c.m
	s := &c.scratch
	hd := m.HeadDim
	group := m.NHead / m.NHeadKV
	K, V := c.kv.k[a.layer], c.kv.v[a.layer]
	qh := s.qh[w]
	for u := lo; u < hi; u++ {
		t, h := u/m.NHead, u%m.NHead
		g := h / group
		sq := &c.seqs[s.seq[t]]
		npos := int(s.pos[t]) + 1
		// Like llama.cpp, the query is rounded to F16 for the dot with the
		// F16 keys.
		kernels.F32ToF16Row(qh, s.q[(t*m.NHead+h)*hd:(t*m.NHead+h+1)*hd])
		att := s.att[w][:npos]
		for j := 0; j < npos; j++ {
			off := c.kv.row(sq.pages[j/pageSize], j%pageSize) + g*hd
			att[j] = kernels.DotF16(K[off:off+hd], qh) * a.scale
		}
		kernels.Softmax(att)
		// llama.cpp multiplies V by the probabilities as F16 (the vec-dot
		// type of its F16 cache); rounding them the same way brings the
		// logits from ~1e-3 relative error to ~1e-7 on the goldens.
		for j := range att {
			att[j] = kernels.F16ToF32(kernels.F32ToF16(att[j]))
		}
		out := s.xb2[(t*m.NHead+h)*hd : (t*m.NHead+h+1)*hd]
		clear(out)
		for j := 0; j < npos; j++ {
			off := c.kv.row(sq.pages[j/pageSize], j%pageSize) + g*hd
			kernels.AxpyF16(out, att[j], V[off:off+hd])
		}
	}
}
