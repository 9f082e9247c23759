package tokenizer

import (
	"sync"
	"testing"

	"github.com/baylingd/baylingd/internal/fixtures"
)

// fixture returns the path of a shared fixture (see internal/fixtures).
func fixture(tb testing.TB, name string) string { return fixtures.Path(tb, name) }

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Tokenizer{}
)

// loadFixture builds (once per test binary) the tokenizer of a fixture.
func loadFixture(tb testing.TB, name string) *Tokenizer {
	tb.Helper()
	p := fixture(tb, name)
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if t, ok := loaded[p]; ok {
		return t
	}
	t, err := Load(p)
	if err != nil {
		tb.Fatalf("Load(%s): %v", p, err)
	}
	loaded[p] = t
	return t
}

const (
	spmVocab = "vocab-llama2-spm.gguf"
	bpeVocab = "vocab-llama3-bpe.gguf"
)
