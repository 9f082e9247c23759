package gguf

import (
	"os"
	"testing"

	"github.com/baylingd/baylingd/internal/fixtures"
)

// FuzzParse feeds arbitrary bytes to the reader: it must return a File or
// an error, never panic, and a File it returns must be internally
// consistent (every tensor's data inside the input).
func FuzzParse(f *testing.F) {
	good, _, _ := sample(f, 0)
	f.Add(good)
	for _, n := range []int{4, 8, 24, 60, len(good) / 2, len(good) - 1} {
		f.Add(good[:n])
	}
	// Real files: the header of a real model cut at several points (the
	// whole file is too big to mutate usefully).
	if d := fixtures.Dir(); d != "" {
		if b, err := os.ReadFile(d + "/hf/hf-llama3.gguf"); err == nil {
			for _, n := range []int{32, 300, 4096} {
				f.Add(b[:n])
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for i := range file.Tensors {
			ti := &file.Tensors[i]
			d := file.TensorData(ti)
			if uint64(len(d)) != ti.Size {
				t.Fatalf("tensor %q: %d bytes, size %d", ti.Name, len(d), ti.Size)
			}
		}
	})
}
