package engine

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/baylingd/baylingd/engine/llama"
	"github.com/baylingd/baylingd/engine/tokenizer"
)

// Model is a loaded model with its tokenizer.
type Model struct {
	Path  string
	LLM   *llama.Model
	Tok   *tokenizer.Tokenizer
	Name  string // general.name, or the file name
	Bytes int64  // size of the file
}

// Progress reports loading: a stage ("mapping", "warming") and the fraction
// done.
type Progress func(stage string, done float64)

// Load maps a GGUF model and builds its tokenizer. With warm set, it reads
// every weight page once, reporting progress, so the first request does not
// pay for page faults (and a daemon reports ready only when it can serve at
// full speed).
func Load(path string, warm bool, progress Progress) (*Model, error) {
	if progress == nil {
		progress = func(string, float64) {}
	}
	progress("mapping", 0)
	lm, err := llama.Open(path)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromGGUF(lm.File)
	if err != nil {
		lm.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if tok.NumTokens() != lm.NVocab {
		lm.Close()
		return nil, fmt.Errorf("%s: the tokenizer has %d tokens but the model %d", path, tok.NumTokens(), lm.NVocab)
	}
	m := &Model{Path: path, LLM: lm, Tok: tok, Bytes: lm.File.Size()}
	m.Name, _ = lm.File.String("general.name")
	progress("mapping", 1)
	if warm {
		m.warm(progress)
	}
	return m, nil
}

// warm touches each page of every tensor in file order. It asks the kernel
// to read ahead first, then reads one byte per page so the pages are mapped
// into this process (the page cache alone would still cost a fault each).
func (m *Model) warm(progress Progress) {
	f := m.LLM.File
	f.Advise(unix.MADV_WILLNEED)
	var total, done uint64
	for i := range f.Tensors {
		total += f.Tensors[i].Size
	}
	page := uint64(unix.Getpagesize())
	var sink byte
	last := -1.0
	for i := range f.Tensors {
		d := f.TensorData(&f.Tensors[i])
		for off := uint64(0); off < uint64(len(d)); off += page {
			sink ^= d[off]
		}
		done += f.Tensors[i].Size
		if frac := float64(done) / float64(total); frac-last >= 0.01 || done == total {
			progress("warming", frac)
			last = frac
		}
	}
	runtime.KeepAlive(sink)
}

// Close unmaps the model. No Runner may use it afterwards.
func (m *Model) Close() error { return m.LLM.Close() }

// Family is the tokenizer family: "llama" (SentencePiece, BayLing-2-7B/13B)
// or "gpt2" (byte-level BPE, BayLing-2-llama-3-8B).
func (m *Model) Family() string { return m.Tok.Model() }
