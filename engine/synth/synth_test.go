package synth

import (
	"crypto/sha256"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/engine/llama"
	"github.com/baylingd/baylingd/engine/quantize"
	"github.com/baylingd/baylingd/internal/fixtures"
	"github.com/baylingd/baylingd/kernels"
)

// tiny is a small shape with the real structure: GQA, 256-multiple rows
// (so the k-quant mix applies as on the real shapes).
var tiny = Shape{Name: "tiny", Title: "Tiny", NVocab: 512, NEmbd: 256, NLayer: 3, NHead: 4, NHeadKV: 2, NFF: 512,
	NCtx: 128, RopeBase: 10000, RMSEps: 1e-5, Tokenizer: "llama", VocabFile: "no-such-vocab.gguf"}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var s [32]byte
	h.Sum(s[:0])
	return s
}

func TestShapes(t *testing.T) {
	for _, s := range Shapes {
		if err := s.check(); err != nil {
			t.Error(err)
		}
		got, err := ShapeByName(s.Name)
		if err != nil || got.Name != s.Name {
			t.Errorf("ShapeByName(%q) = %v, %v", s.Name, got.Name, err)
		}
	}
	if _, err := ShapeByName("gpt-5"); err == nil {
		t.Error("unknown shape accepted")
	}
	// The 1.1B shape has TinyLlama's parameter count.
	s, _ := ShapeByName("tinyllama-1.1b")
	var n int64
	for _, ts := range tensors(s) {
		n += int64(ts.cols) * int64(ts.rows)
	}
	if n < 1.09e9 || n > 1.11e9 {
		t.Errorf("tinyllama-1.1b has %d parameters", n)
	}
}

func TestWriteLoadsAndRuns(t *testing.T) {
	dir := t.TempDir()
	for _, typ := range []string{"q4_0", "q4_k_m", "q8_0"} {
		t.Run(typ, func(t *testing.T) {
			ft, err := quantize.ParseFileType(typ)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, typ+".gguf")
			info, err := Write(path, Options{Shape: tiny, Type: ft, Seed: 7, Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !info.Generated {
				t.Error("a generated vocabulary was not reported")
			}
			// A different thread count writes the same bytes.
			path2 := filepath.Join(dir, typ+"-3.gguf")
			if _, err := Write(path2, Options{Shape: tiny, Type: ft, Seed: 7, Threads: 3}); err != nil {
				t.Fatal(err)
			}
			if sum(t, path) != sum(t, path2) {
				t.Error("output depends on the thread count")
			}

			m, err := engine.Load(path, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if m.Name != info.Name {
				t.Errorf("general.name %q, want %q", m.Name, info.Name)
			}
			f := m.LLM.File
			out, _ := f.Tensor("output.weight")
			v, _ := f.Tensor("blk.2.attn_v.weight") // the last layer: more bits in q4_k_m
			q, _ := f.Tensor("blk.1.attn_q.weight")
			want := map[string][3]kernels.Type{
				"q4_0":   {kernels.Q6_K, kernels.Q4_0, kernels.Q4_0},
				"q4_k_m": {kernels.Q6_K, kernels.Q6_K, kernels.Q4_K},
				"q8_0":   {kernels.Q8_0, kernels.Q8_0, kernels.Q8_0},
			}[typ]
			if out.Type != want[0] || v.Type != want[1] || q.Type != want[2] {
				t.Errorf("types output %v, attn_v.2 %v, attn_q.1 %v, want %v", out.Type, v.Type, q.Type, want)
			}

			toks := m.Tok.Encode("hello world, synthetic", true, false)
			if len(toks) < 3 {
				t.Fatalf("tokenized to %v", toks)
			}
			c, err := m.LLM.NewContext(llama.Options{Threads: 2, ContextSize: 64})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			seq, _ := c.NewSeq()
			b := llama.Batch{Tokens: toks, Seqs: make([]int32, len(toks))}
			for i := range b.Seqs {
				b.Seqs[i] = int32(seq)
			}
			if err := c.Decode(b); err != nil {
				t.Fatal(err)
			}
			var ss float64
			for _, x := range c.Logits(0) {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("logit %v", x)
				}
				ss += float64(x) * float64(x)
			}
			// Random weights of std 0.02 over 256 inputs of unit RMS give
			// logits of std about 0.02*sqrt(256) = 0.32.
			rms := math.Sqrt(ss / float64(tiny.NVocab))
			if rms < 0.05 || rms > 3 {
				t.Errorf("logit RMS %.3g, want about 0.3", rms)
			}
			t.Logf("%s: %d bytes, types %v, logit RMS %.3f", typ, info.Bytes, info.Types, rms)
		})
	}
}

func TestVocabFromFixture(t *testing.T) {
	p := fixtures.Path(t, "vocab-llama2-spm.gguf")
	s := tiny
	s.NVocab = 32000
	path := filepath.Join(t.TempDir(), "m.gguf")
	info, err := Write(path, Options{Shape: s, Type: quantize.MostlyQ4_0, Vocab: p, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if info.Generated || info.Vocab != p {
		t.Errorf("vocabulary %q generated=%v", info.Vocab, info.Generated)
	}
	m, err := engine.Load(path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.Tok.Encode("Hello", false, false); len(got) != 1 || got[0] != 15043 {
		t.Errorf("Hello -> %v, want [15043] (the Llama-2 vocabulary)", got)
	}
	// A vocabulary of the wrong size is refused.
	s.NVocab = 1000
	if _, err := Write(filepath.Join(t.TempDir(), "x.gguf"), Options{Shape: s, Type: quantize.MostlyQ4_0, Vocab: p}); err == nil {
		t.Error("vocabulary size mismatch accepted")
	}
}

func TestGenerateVocab(t *testing.T) {
	for _, n := range []int{260, 32000, 128256} {
		kv := GenerateVocab(n)
		a, _ := kv[2].Value.Array()
		toks := a.Values.([]string)
		if len(toks) != n {
			t.Fatalf("%d tokens, want %d", len(toks), n)
		}
		seen := map[string]bool{}
		for _, s := range toks {
			if seen[s] {
				t.Fatalf("duplicate token %q", s)
			}
			seen[s] = true
		}
	}
}

// TestLlamaCppLoadsSynthetic: llama.cpp loads and runs what bayling synth
// writes, in each of the types make bench uses (on the tiny shape, with
// the real vocabulary; the big shapes differ only in their dimensions).
func TestLlamaCppLoadsSynthetic(t *testing.T) {
	tool := fixtures.LlamaCppTool(t)
	s, err := ShapeByName("tiny")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"q4_0", "q4_k_m", "q8_0"} {
		ft, err := quantize.ParseFileType(name)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), name+".gguf")
		if _, err := Write(path, Options{Shape: s, Type: ft, Vocab: fixtures.Path(t, s.VocabFile), Threads: 2}); err != nil {
			t.Fatal(err)
		}
		res := fixtures.RunLlamaCpp(t, tool, path)
		t.Logf("llama.cpp ran synthetic %s: prefill %.0f tok/s, decode %.0f tok/s", name, res["prefill_tps"], res["decode_tps"])
	}
}
