package llamatest

import (
	"slices"
	"testing"

	"github.com/baylingd/baylingd/engine/llama"
)

// LastLogits runs the engine on tokens (one sequence, one batch) with the
// model at path and returns the last position's logits.
func LastLogits(tb testing.TB, path string, tokens []int32) []float32 {
	tb.Helper()
	m, err := llama.Open(path)
	if err != nil {
		tb.Fatalf("the engine cannot load %s: %v", path, err)
	}
	defer m.Close()
	c, err := m.NewContext(llama.Options{Threads: 2, ContextSize: 256, MaxBatch: 64})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	seq, err := c.NewSeq()
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Decode(llama.Batch{Tokens: tokens, Seqs: slices.Repeat([]int32{int32(seq)}, len(tokens))}); err != nil {
		tb.Fatal(err)
	}
	return slices.Clone(c.Logits(c.NumLogits() - 1))
}
