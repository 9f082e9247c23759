package llama

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/internal/fixtures"
)

// rewrite copies a GGUF file, letting edit replace or drop tensors (a nil
// return drops the tensor).
func rewrite(t *testing.T, src, dst string, edit func(name string, f *gguf.File) *gguf.TensorInfo) {
	t.Helper()
	f, err := gguf.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, _ := gguf.NewWriter(out, f.Alignment)
	for _, kv := range f.KV {
		if kv.Key != "general.alignment" {
			w.AddKV(kv.Key, kv.Value)
		}
	}
	var srcs []*gguf.TensorInfo
	var names []string
	for i := range f.Tensors {
		ti := edit(f.Tensors[i].Name, f)
		if ti == nil {
			continue
		}
		if err := w.AddTensor(f.Tensors[i].Name, ti.Type, ti.Dims...); err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, ti)
		names = append(names, f.Tensors[i].Name)
	}
	w.WriteHeader()
	for i, ti := range srcs {
		if err := w.WriteTensor(names[i], f.TensorData(ti)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func lastLogits(t *testing.T, path string, toks []int32) []float32 {
	t.Helper()
	m, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, _ := m.NewContext(Options{Threads: 2, ContextSize: 128})
	defer c.Close()
	seq, _ := c.NewSeq()
	if err := c.Decode(Batch{Tokens: toks, Seqs: make([]int32, len(toks))}); err != nil {
		t.Fatal(err)
	}
	_ = seq
	return append([]float32(nil), c.Logits(0)...)
}

// TestTiedEmbeddings: a model without output.weight uses token_embd as the
// output projection, exactly as if it were stored twice.
func TestTiedEmbeddings(t *testing.T) {
	src := fixtures.Path(t, "hf/hf-llama2.gguf")
	dir := t.TempDir()
	tied, twice := filepath.Join(dir, "tied.gguf"), filepath.Join(dir, "twice.gguf")
	rewrite(t, src, tied, func(name string, f *gguf.File) *gguf.TensorInfo {
		if name == "output.weight" {
			return nil
		}
		ti, _ := f.Tensor(name)
		return ti
	})
	rewrite(t, src, twice, func(name string, f *gguf.File) *gguf.TensorInfo {
		if name == "output.weight" {
			name = "token_embd.weight"
		}
		ti, _ := f.Tensor(name)
		return ti
	})
	toks := []int32{1, 450, 14089, 338, 22024}
	a, b := lastLogits(t, tied, toks), lastLogits(t, twice, toks)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("logit %d: tied %g, stored twice %g", i, a[i], b[i])
		}
	}
	if c := lastLogits(t, src, toks); fixtures.NMSE(a, c) < 1e-6 {
		t.Errorf("the tied model gives the untied model's logits: the output projection was not replaced")
	}
}

func TestContextLengthAndErrors(t *testing.T) {
	m, err := Open(fixtures.Path(t, "tiny-llama2-q4_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, _ := m.NewContext(Options{Threads: 1, ContextSize: 64, MaxBatch: 16})
	defer c.Close()
	seq, _ := c.NewSeq()
	toks := make([]int32, 65)
	seqs := make([]int32, 65)
	for i := range seqs {
		seqs[i] = int32(seq)
		toks[i] = int32(i + 1)
	}
	if err := c.Decode(Batch{Tokens: toks, Seqs: seqs}); !errors.Is(err, ErrContextLength) {
		t.Errorf("65 tokens in a 64-position context: %v", err)
	}
	if c.SeqLen(seq) != 0 {
		t.Errorf("a failed Decode changed the sequence (%d positions)", c.SeqLen(seq))
	}
	if err := c.Decode(Batch{Tokens: toks[:64], Seqs: seqs[:64]}); err != nil {
		t.Fatal(err)
	}
	other, _ := c.NewSeq()
	if err := c.Decode(Batch{Tokens: toks[:1], Seqs: []int32{int32(other)}}); !errors.Is(err, ErrKVFull) {
		t.Errorf("a second sequence in a full cache: %v", err)
	}
	bad := []Batch{
		{Tokens: []int32{40000}, Seqs: []int32{int32(other)}},
		{Tokens: []int32{1}, Seqs: []int32{9}},
		{Tokens: []int32{1, 2}, Seqs: []int32{int32(other)}},
		{Tokens: []int32{1}, Seqs: []int32{int32(other)}, Pos: []int32{5}},
		{},
	}
	for i, b := range bad {
		if err := c.Decode(b); err == nil {
			t.Errorf("bad batch %d accepted", i)
		}
	}
	// Freed pages are reused.
	c.FreeSeq(seq)
	if err := c.Decode(Batch{Tokens: toks[:40], Seqs: make([]int32, 40)}); err == nil {
		t.Errorf("sequence 0 was freed but Decode still used it")
	}
	s2, _ := c.NewSeq()
	b := Batch{Tokens: toks[:40], Seqs: make([]int32, 40)}
	for i := range b.Seqs {
		b.Seqs[i] = int32(s2)
	}
	if err := c.Decode(b); err != nil {
		t.Errorf("after freeing: %v", err)
	}
}
