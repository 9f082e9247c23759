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

	c.planAttention(T)
	scale := float32(1 / math.Sqrt(float64(hd)))
	// The residual add of each block is deferred into the next step that
	// reads the residual stream (the norm of the next block), so that it
	// runs in the same per-token pass: pendingAdd, when set, is added to x
	// first.
	var pendingAdd []float32
	for l := range m.Layers {
		L := &m.Layers[l]
		c.linear(prep{add: pendingAdd, norm: L.AttnNorm, in: s.xb}, T, E, mmOut{&L.Wq, s.q}, mmOut{&L.Wk, s.k}, mmOut{&L.Wv, s.v})

		// Rotate Q and K and store K and V in the cache as F16.
		s.rope = ropeTask{c: c, layer: l}
		c.pool.parallel(&s.rope, T, c.rowGrain(T, E+2*kvd))

		s.at = attentionTask{c: c, layer: l, scale: scale}
		c.pool.parallel(&s.at, len(s.runs)*m.NHeadKV, 1)

		if l == len(m.Layers)-1 {
			// The keys and values of every token are in the cache now;
			// only the rows that need logits go on through the last
			// block (as llama.cpp does), which spares a prompt's other
			// tokens a layer's output projection and FFN.
			if T = c.keepOutRows(T); T == 0 {
				return
			}
		}
		c.linear(prep{in: s.xb2}, T, E, mmOut{&L.Wo, s.xb})
		c.linear(prep{add: s.xb, norm: L.FFNNorm, in: s.xb}, T, E, mmOut{&L.FFNGate, s.hb}, mmOut{&L.FFNUp, s.hb2})
		c.linear(prep{up: s.hb2, in: s.hb}, T, m.NFF, mmOut{&L.FFNDown, s.xb})
		pendingAdd = s.xb
	}

	if len(s.outRows) == 0 {
		return
	}
	// Final residual add and norm of the rows that need logits, gathered
	// into xb (row i <= t, so no row is overwritten before it is read).
	for _, t := range s.outRows {
		kernels.Add(s.x[int(t)*E:int(t+1)*E], s.x[int(t)*E:int(t+1)*E], pendingAdd[int(t)*E:int(t+1)*E])
	}
	for i, t := range s.outRows {
		kernels.RMSNorm(s.xb[i*E:(i+1)*E], s.x[int(t)*E:int(t+1)*E], m.OutputNorm, m.RMSEps)
	}
	nr := len(s.outRows)
	out := c.logits[c.nOut*m.NVocab : (c.nOut+nr)*m.NVocab]
	c.linear(prep{in: s.xb}, nr, E, mmOut{&m.Output, out})
	c.nOut += nr
}

// keepOutRows moves the rows of the residual stream x and the attention
// output xb2 that need logits to the front (row i from row outRows[i] >=
// i, so nothing is overwritten before it is read), renumbers outRows to
// 0..n-1 and returns n. It runs after the last block's attention, when x
// already holds that block's input.
func (c *Context) keepOutRows(T int) int {
	s := &c.scratch
	if len(s.outRows) == T {
		return T
	}
	E := c.m.NEmbd
	for i, t := range s.outRows {
		if int(t) != i {
			copy(s.x[i*E:(i+1)*E], s.x[int(t)*E:int(t+1)*E])
			copy(s.xb2[i*E:(i+1)*E], s.xb2[int(t)*E:int(t+1)*E])
		}
		s.outRows[i] = int32(i)
	}
	return len(s.outRows)
}

// rowGrain is the chunk of tokens a per-token parallel loop hands out:
// a loop over less than about 16k elements in all runs on the caller
// alone (the decode step: waking workers would cost more than the loop),
// a longer one in chunks of a few tokens.
func (c *Context) rowGrain(T, perToken int) int {
	if T*perToken < 16<<10 {
		return T
	}
	return max(1, T/(4*c.pool.n))
}

// mmOut pairs a weight with the buffer receiving its [T][Rows] products.
type mmOut struct {
	w   *Weight
	out []float32
}

// prep is the per-token work before a matmul, done in one parallel pass
// over the tokens: in = rmsnorm(x += add) * norm when norm is set (the
// residual add first when add is set), in = silu(in) * up when up is set,
// then in is quantized to each vec-dot type the weights need.
type prep struct {
	add  []float32 // [T][NEmbd] added into the residual stream x
	norm []float32 // RMSNorm weight: in is the normalized residual
	up   []float32 // [T][n]: in = silu(in) * up
	in   []float32 // [T][n] the matmul input
}

// linear runs prep p over T rows of length n, then multiplies the rows by
// up to three weights that share that input (Q, K and V; gate and up).
// A pass of at least Offload.MinBatch tokens goes to the offload backend
// (linearOffload); the rest, decode steps always, take the CPU path
// unchanged.
func (c *Context) linear(p prep, T, n int, outs ...mmOut) {
	if c.off != nil && T >= c.off.MinBatch && !c.off.failed.Load() {
		c.linearOffload(p, T, n, outs)
		return
	}
	c.linearCPU(p, T, n, outs...)
}

// linearCPU is linear on the CPU: the prep and the matmuls each in one
// parallel pass. Activations are quantized once per vec-dot type, as ggml
// does. With no outs it runs only the prep.
func (c *Context) linearCPU(p prep, T, n int, outs ...mmOut) {
	c.prepAndMatMul(p, T, n, outs, len(outs))
}

// prepAndMatMul runs prep p, quantizing the rows for the vec-dot type of
// every weight in outs, and multiplies on the CPU by the first nCPU of
// them; the quantized rows of the others are left in s.prep for the
// offload path.
func (c *Context) prepAndMatMul(p prep, T, n int, outs []mmOut, nCPU int) {
	s := &c.scratch
	task := &s.mm
	*task = matmulTask{n: n, nb: T}
	pt := &s.prep
	*pt = prepTask{c: c, p: p, n: n}
	total := 0
	for i, o := range outs {
		vt := kernels.VecDotType(o.w.Type)
		slot := -1
		for j := 0; j < pt.count; j++ {
			if pt.types[j] == vt {
				slot = j
				break
			}
		}
		rb, _ := vt.RowBytes(n)
		if slot < 0 {
			slot = pt.count
			pt.types[slot] = vt
			pt.qa[slot] = s.qa[slot]
			pt.rb[slot] = rb
			pt.count++
		}
		if i >= nCPU {
			continue
		}
		task.w[i] = o.w
		task.a[i] = s.qa[slot][:T*rb]
		task.out[i] = o.out
		task.first[i] = total
		total += o.w.Rows
	}
	cost := n * (1 + pt.count)
	if p.up != nil {
		cost += 8 * n // the exp of SiLU
	}
	c.pool.parallel(pt, T, c.rowGrain(T, cost))
	task.count = nCPU
	task.first[nCPU] = total
	// Chunks are whole groups of packed rows.
	grain := (c.pool.chunk(total, 16) + kernels.PackRows - 1) / kernels.PackRows * kernels.PackRows
	c.pool.parallel(task, total, grain)
}

// prepTask runs a prep over tokens.
type prepTask struct {
	c     *Context
	p     prep
	n     int
	count int
	types [3]kernels.Type
	qa    [3][]byte
	rb    [3]int
}

func (pt *prepTask) run(_, lo, hi int) {
	m := pt.c.m
	x := pt.c.scratch.x
	E, n := m.NEmbd, pt.n
	for t := lo; t < hi; t++ {
		in := pt.p.in[t*n : (t+1)*n]
		if pt.p.norm != nil {
			xr := x[t*E : (t+1)*E]
			if pt.p.add != nil {
				kernels.Add(xr, xr, pt.p.add[t*E:(t+1)*E])
			}
			kernels.RMSNorm(in, xr, pt.p.norm, m.RMSEps)
		}
		if pt.p.up != nil {
			kernels.SiLUMul(in, pt.p.up[t*n:(t+1)*n])
		}
		for i := 0; i < pt.count; i++ {
			rb := pt.rb[i]
			kernels.Quantize(pt.types[i], in, pt.qa[i][t*rb:(t+1)*rb])
		}
	}
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
		lo, hi := r0-t.first[i], r1-t.first[i]
		if w.packed != nil && lo%kernels.PackRows == 0 && (hi%kernels.PackRows == 0 || hi == w.Rows) {
			kernels.MatMulPacked(w.packed, lo, hi, t.a[i], t.nb, t.out[i], w.Rows)
			continue
		}
		kernels.MatMul(w.Type, t.n, w.Data, lo, hi, t.a[i], t.nb, t.out[i], w.Rows)
	}
}

// ropeTask rotates the query and key heads of each token and stores the
// token's K and V in the cache as F16.
type ropeTask struct {
	c     *Context
	layer int
}

func (r *ropeTask) run(_, lo, hi int) {
	c := r.c
	m := c.m
	s := &c.scratch
	hd, half, kvd := m.HeadDim, m.RopeDims/2, m.KVDim()
	K, V := c.kv.k[r.layer], c.kv.v[r.layer]
	for t := lo; t < hi; t++ {
		cos, sin := s.ropeCos[t*half:(t+1)*half], s.ropeSin[t*half:(t+1)*half]
		for h := 0; h < m.NHead; h++ {
			kernels.RopeNorm(s.q[(t*m.NHead+h)*hd:(t*m.NHead+h)*hd+m.RopeDims], cos, sin)
		}
		for h := 0; h < m.NHeadKV; h++ {
			kernels.RopeNorm(s.k[(t*m.NHeadKV+h)*hd:(t*m.NHeadKV+h)*hd+m.RopeDims], cos, sin)
		}
		sq := &c.seqs[s.seq[t]]
		p := int(s.pos[t])
		off := c.kv.row(sq.pages[p/pageSize], p%pageSize)
		kernels.F32ToF16Row(K[off:off+kvd], s.k[t*kvd:(t+1)*kvd])
		kernels.F32ToF16Row(V[off:off+kvd], s.v[t*kvd:(t+1)*kvd])
	}
}

// attnBlock is the most tokens of one sequence an attention unit takes:
// in prefill, each cached K and V row is widened once per block of tokens
// and dotted with all their query heads while it is in L1.
const attnBlock = 16

// attnRun is a run of consecutive tokens of one sequence at consecutive
// positions, at most attnBlock long.
type attnRun struct{ t0, t1 int32 }

// planAttention splits the T tokens of the chunk into attention runs:
// consecutive tokens of one sequence at consecutive positions (a prompt),
// at most attnBlock each; a decode step of several sequences is one run
// per token.
func (c *Context) planAttention(T int) {
	s := &c.scratch
	s.runs = s.runs[:0]
	for t := 0; t < T; t++ {
		if n := len(s.runs); n > 0 {
			r := &s.runs[n-1]
			if int(r.t1) == t && s.seq[t] == s.seq[t-1] && s.pos[t] == s.pos[t-1]+1 && r.t1-r.t0 < attnBlock {
				r.t1++
				continue
			}
		}
		s.runs = append(s.runs, attnRun{int32(t), int32(t + 1)})
	}
}

// attentionTask computes one (run of tokens, KV head) pair per unit:
// causal attention over the sequence's cached keys and values for each
// token of the run and each of the query heads that share the KV head
// (grouped-query attention). Each cached K and V row is widened from F16
// once per unit and used by every (token, query head) of it, instead of
// once per token and query head.
//
// The numbers are those of ggml's F16 path, bit for bit: the query is
// rounded to F16 (the vec-dot type of an F16 cache) and widened back,
// which is exact, as is widening the cache rows, so DotF32 of widened rows
// sums the same float32 products in the same order as DotF16 would, and
// Axpy over a widened V row is AxpyF16; the V rows are added in position
// order into each output as before (TestAttentionExact). The scores of
// four positions against all the query heads of a KV head come from one
// kernels.DotF32Heads call (DotF32's bits, the heads in vector lanes).
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
	qf, rows, half := s.qf[w], s.kvRow[w], s.half[w]
	qT, sc := s.qT[w], s.scores[w]
	r0, r1, r2, r3 := rows[:hd], rows[hd:2*hd], rows[2*hd:3*hd], rows[3*hd:4*hd]
	for u := lo; u < hi; u++ {
		run, g := s.runs[u/m.NHeadKV], u%m.NHeadKV
		t0, nt := int(run.t0), int(run.t1-run.t0)
		sq := &c.seqs[s.seq[t0]]
		span := int(s.pos[t0+nt-1]) + 1 // positions the last token sees
		// Queries: row (ti*group + i) of qf is query head g*group+i of
		// token t0+ti; scores of that pair are att[row*span : ...+npos].
		for ti := 0; ti < nt; ti++ {
			h0 := (t0+ti)*m.NHead + g*group
			for i := 0; i < group; i++ {
				roundF16(qf[(ti*group+i)*hd:(ti*group+i+1)*hd], s.q[(h0+i)*hd:(h0+i+1)*hd], half)
			}
			// The token's heads transposed for DotF32Heads.
			qt := qT[ti*group*hd : (ti+1)*group*hd]
			for i := 0; i < group; i++ {
				for k, v := range qf[(ti*group+i)*hd : (ti*group+i+1)*hd] {
					qt[k*group+i] = v
				}
			}
		}
		att := s.att[w][:nt*group*span]
		widen := func(src []uint16, j int, dst []float32) {
			off := c.kv.row(sq.pages[j/pageSize], j%pageSize) + g*hd
			kernels.F16ToF32Row(dst, src[off:off+hd])
		}

		// Scores, four positions at a time.
		j := 0
		for ; j+4 <= span; j += 4 {
			widen(K, j, r0)
			widen(K, j+1, r1)
			widen(K, j+2, r2)
			widen(K, j+3, r3)
			for ti := 0; ti < nt; ti++ {
				npos := int(s.pos[t0+ti]) + 1
				if npos <= j {
					continue
				}
				if npos >= j+4 {
					// Four positions x the group's heads in one call.
					kernels.DotF32Heads(sc, rows, qT[ti*group*hd:(ti+1)*group*hd], group)
					for i := 0; i < group; i++ {
						p := att[(ti*group+i)*span+j : (ti*group+i)*span+j+4]
						p[0], p[1], p[2], p[3] = sc[i]*a.scale, sc[group+i]*a.scale, sc[2*group+i]*a.scale, sc[3*group+i]*a.scale
					}
					continue
				}
				for i := 0; i < group; i++ {
					row := ti*group + i
					q := qf[row*hd : (row+1)*hd]
					p := att[row*span+j : row*span+j+4]
					for jj := j; jj < npos; jj++ {
						p[jj-j] = kernels.DotF32(rows[(jj-j)*hd:(jj-j+1)*hd], q) * a.scale
					}
				}
			}
		}
		for ; j < span; j++ {
			widen(K, j, r0)
			for ti := 0; ti < nt; ti++ {
				if int(s.pos[t0+ti]) < j {
					continue
				}
				for i := 0; i < group; i++ {
					row := ti*group + i
					att[row*span+j] = kernels.DotF32(r0, qf[row*hd:(row+1)*hd]) * a.scale
				}
			}
		}

		for ti := 0; ti < nt; ti++ {
			npos := int(s.pos[t0+ti]) + 1
			h0 := (t0+ti)*m.NHead + g*group
			for i := 0; i < group; i++ {
				row := ti*group + i
				p := att[row*span : row*span+npos]
				kernels.Softmax(p)
				// llama.cpp multiplies V by the probabilities as F16 (the
				// vec-dot type of its F16 cache); rounding them the same
				// way brings the logits from ~1e-3 relative error to ~1e-7
				// on the goldens.
				roundF16(p, p, half)
				clear(s.xb2[(h0+i)*hd : (h0+i+1)*hd])
			}
		}

		// Weighted sum of V, four positions at a time, in position order.
		j = 0
		for ; j+4 <= span; j += 4 {
			widen(V, j, r0)
			widen(V, j+1, r1)
			widen(V, j+2, r2)
			widen(V, j+3, r3)
			for ti := 0; ti < nt; ti++ {
				npos := int(s.pos[t0+ti]) + 1
				if npos <= j {
					continue
				}
				h0 := (t0+ti)*m.NHead + g*group
				for i := 0; i < group; i++ {
					row := ti*group + i
					out := s.xb2[(h0+i)*hd : (h0+i+1)*hd]
					p := att[row*span+j : row*span+j+4]
					if npos >= j+4 {
						axpy4(out, p[0], p[1], p[2], p[3], r0, r1, r2, r3)
						continue
					}
					for jj := j; jj < npos; jj++ {
						kernels.Axpy(out, p[jj-j], rows[(jj-j)*hd:(jj-j+1)*hd])
					}
				}
			}
		}
		for ; j < span; j++ {
			widen(V, j, r0)
			for ti := 0; ti < nt; ti++ {
				if int(s.pos[t0+ti]) < j {
					continue
				}
				h0 := (t0+ti)*m.NHead + g*group
				for i := 0; i < group; i++ {
					row := ti*group + i
					kernels.Axpy(s.xb2[(h0+i)*hd:(h0+i+1)*hd], att[row*span+j], r0)
				}
			}
		}
	}
}

// roundF16 sets dst to src rounded to F16 and widened back (dst may be
// src), through the row conversions (vectorized; the same bits as
// F32ToF16 then F16ToF32 per element), with scratch holding len(src).
func roundF16(dst, src []float32, scratch []uint16) {
	h := scratch[:len(src)]
	kernels.F32ToF16Row(h, src)
	kernels.F16ToF32Row(dst[:len(src)], h)
}

// axpy4 adds p0*v0 + p1*v1 + p2*v2 + p3*v3 into out, each product rounded
// and added in that order per element. Four vectorized kernels.Axpy
// passes over a 64-element head row (in L1) took 39-57 ns against 134-151
// ns for one scalar pass that loads and stores out once (go test -bench,
// AMD EPYC Zen 4).
func axpy4(out []float32, p0, p1, p2, p3 float32, v0, v1, v2, v3 []float32) {
	kernels.Axpy(out, p0, v0)
	kernels.Axpy(out, p1, v1)
	kernels.Axpy(out, p2, v2)
	kernels.Axpy(out, p3, v3)
}
