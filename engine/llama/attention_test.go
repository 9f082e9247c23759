package llama

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/baylingd/baylingd/kernels"
)

// attentionSetup fills the KV cache of layer 0 of one sequence with npos
// random positions, and q with T random query rows at the last T
// positions, as a forward pass would leave them before attention.
func attentionSetup(tb testing.TB, c *Context, T, npos int) {
	tb.Helper()
	m := c.m
	s := &c.scratch
	rng := rand.New(rand.NewPCG(1, 2))
	seq, err := c.NewSeq()
	if err != nil {
		tb.Fatal(err)
	}
	sq := &c.seqs[seq]
	for sq.n < npos {
		if sq.n%pageSize == 0 {
			sq.pages = append(sq.pages, c.kv.alloc())
		}
		off := c.kv.row(sq.pages[sq.n/pageSize], sq.n%pageSize)
		for i := 0; i < m.KVDim(); i++ {
			c.kv.k[0][off+i] = kernels.F32ToF16(float32(rng.NormFloat64()))
			c.kv.v[0][off+i] = kernels.F32ToF16(float32(rng.NormFloat64()))
		}
		sq.n++
	}
	s.pos, s.seq = s.pos[:0], s.seq[:0]
	for t := 0; t < T; t++ {
		s.pos = append(s.pos, int32(npos-T+t))
		s.seq = append(s.seq, int32(seq))
	}
	for i := range s.q[:T*m.NEmbd] {
		s.q[i] = float32(rng.NormFloat64())
	}
}

// referenceAttention is attention per query head with the F16 kernels, as
// the engine computed it before query heads shared widened K/V rows.
func referenceAttention(c *Context, T int, scale float32) []float32 {
	m := c.m
	s := &c.scratch
	hd := m.HeadDim
	group := m.NHead / m.NHeadKV
	out := make([]float32, T*m.NEmbd)
	qh := make([]uint16, hd)
	for t := 0; t < T; t++ {
		sq := &c.seqs[s.seq[t]]
		npos := int(s.pos[t]) + 1
		for h := 0; h < m.NHead; h++ {
			g := h / group
			kernels.F32ToF16Row(qh, s.q[(t*m.NHead+h)*hd:(t*m.NHead+h+1)*hd])
			att := make([]float32, npos)
			for j := range att {
				off := c.kv.row(sq.pages[j/pageSize], j%pageSize) + g*hd
				att[j] = kernels.DotF16(c.kv.k[0][off:off+hd], qh) * scale
			}
			kernels.Softmax(att)
			for j := range att {
				att[j] = kernels.F16ToF32(kernels.F32ToF16(att[j]))
			}
			o := out[(t*m.NHead+h)*hd : (t*m.NHead+h+1)*hd]
			for j := range att {
				off := c.kv.row(sq.pages[j/pageSize], j%pageSize) + g*hd
				kernels.AxpyF16(o, att[j], c.kv.v[0][off:off+hd])
			}
		}
	}
	return out
}

// TestAttentionExact checks the grouped attention against the per-head
// F16 reference: the same bits, for a decode step and a prefill chunk.
func TestAttentionExact(t *testing.T) {
	m := synthModel(t, "q4_0") // 8 heads, 2 KV heads
	for _, tc := range []struct{ T, npos, threads int }{{1, 1, 1}, {1, 77, 2}, {5, 40, 3}, {32, 70, 2}, {3, 3, 1}, {17, 17, 2}, {32, 32, 3}} {
		c, err := m.NewContext(Options{Threads: tc.threads, ContextSize: 256, MaxBatch: 32})
		if err != nil {
			t.Fatal(err)
		}
		attentionSetup(t, c, tc.T, tc.npos)
		scale := float32(1 / math.Sqrt(float64(m.HeadDim)))
		want := referenceAttention(c, tc.T, scale)
		c.scratch.at = attentionTask{c: c, layer: 0, scale: scale}
		c.planAttention(tc.T)
		c.pool.parallel(&c.scratch.at, len(c.scratch.runs)*m.NHeadKV, 1)
		for i, w := range want {
			if g := c.scratch.xb2[i]; math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("T=%d npos=%d: output %d is %v, reference %v", tc.T, tc.npos, i, g, w)
			}
		}
		c.Close()
	}
}

// BenchmarkAttentionDecode is one layer's attention for one token at
// position 160 in TinyLlama's shape (32 heads sharing 4 KV heads of 64).
func BenchmarkAttentionDecode(b *testing.B) {
	cfg := Config{NVocab: 32, NEmbd: 2048, NLayer: 1, NHead: 32, NHeadKV: 4, NFF: 64, HeadDim: 64, RopeDims: 64,
		NCtxTrain: 2048, RopeBase: 1e4, RopeScale: 1, RMSEps: 1e-5}
	m := &Model{Config: cfg, Layers: make([]Layer, 1)}
	c, err := m.NewContext(Options{Threads: 1, ContextSize: 512, MaxBatch: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	attentionSetup(b, c, 1, 160)
	scale := float32(0.125)
	b.Run("per-head-f16", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			referenceAttention(c, 1, scale)
		}
	})
	b.Run("grouped", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c.scratch.at = attentionTask{c: c, layer: 0, scale: scale}
			c.planAttention(1)
			c.scratch.at.run(0, 0, m.NHeadKV)
		}
	})
}

// BenchmarkAttentionPrefill is one layer's attention for a 128-token
// prompt in TinyLlama's shape.
func BenchmarkAttentionPrefill(b *testing.B) {
	cfg := Config{NVocab: 32, NEmbd: 2048, NLayer: 1, NHead: 32, NHeadKV: 4, NFF: 64, HeadDim: 64, RopeDims: 64,
		NCtxTrain: 2048, RopeBase: 1e4, RopeScale: 1, RMSEps: 1e-5}
	m := &Model{Config: cfg, Layers: make([]Layer, 1)}
	c, err := m.NewContext(Options{Threads: 1, ContextSize: 512, MaxBatch: 128})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	attentionSetup(b, c, 128, 128)
	scale := float32(0.125)
	b.Run("per-head-f16", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			referenceAttention(c, 128, scale)
		}
	})
	b.Run("grouped", func(b *testing.B) {
		c.planAttention(128)
		for i := 0; i < b.N; i++ {
			c.scratch.at = attentionTask{c: c, layer: 0, scale: scale}
			c.scratch.at.run(0, 0, len(c.scratch.runs)*m.NHeadKV)
		}
	})
}
