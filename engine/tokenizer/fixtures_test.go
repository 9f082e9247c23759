package tokenizer

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// fixturesEnv overrides where the shared test fixtures are.
const fixturesEnv = "BAYLING_FIXTURES"

// fixturesDir finds shared/fixtures: $BAYLING_FIXTURES, else the first
// shared/fixtures (or ../shared/fixtures, the layout beside the repository)
// found walking up from the package directory.
func fixturesDir() string {
	if d := os.Getenv(fixturesEnv); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		for _, c := range []string{
			filepath.Join(dir, "shared", "fixtures"),
			filepath.Join(dir, "..", "shared", "fixtures"),
		} {
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return filepath.Clean(c)
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// fixture returns the path of a fixture file. A missing fixture fails the
// test under CI=true and skips it elsewhere, saying how to point at them.
func fixture(tb testing.TB, name string) string {
	tb.Helper()
	dir := fixturesDir()
	p := filepath.Join(dir, name)
	if dir != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "fixture " + name + " not found (looked in " + dir + "); set " + fixturesEnv +
		"=/path/to/shared/fixtures or check out shared/ beside the repository"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

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
