package llama

import (
	"path/filepath"
	"testing"

	"github.com/baylingd/baylingd/engine/quantize"
	"github.com/baylingd/baylingd/engine/synth"
)

// synthModel writes and opens a small random model of the given recipe.
func synthModel(t testing.TB, ftype string) *Model {
	t.Helper()
	ft, err := quantize.ParseFileType(ftype)
	if err != nil {
		t.Fatal(err)
	}
	s := synth.Shape{Name: "t", Title: "T", NVocab: 600, NEmbd: 256, NLayer: 2, NHead: 8, NHeadKV: 2, NFF: 512,
		NCtx: 512, RopeBase: 1e4, RMSEps: 1e-5}
	path := filepath.Join(t.TempDir(), ftype+".gguf")
	if _, err := synth.Write(path, synth.Options{Shape: s, Type: ft, Seed: 3, Vocab: synth.GeneratedVocab, Threads: 2}); err != nil {
		t.Fatal(err)
	}
	m, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestDecodeAllocs checks that a decode step allocates nothing, with one
// thread and with several, for each weight family.
func TestDecodeAllocs(t *testing.T) {
	for _, ft := range []string{"q4_0", "q4_k_m", "q8_0"} {
		m := synthModel(t, ft)
		for _, threads := range []int{1, 3} {
			c, err := m.NewContext(Options{Threads: threads, ContextSize: 256, MaxBatch: 32})
			if err != nil {
				t.Fatal(err)
			}
			seq, _ := c.NewSeq()
			prompt := []int32{1, 50, 60, 70, 80, 90, 100, 110, 120}
			seqs := make([]int32, len(prompt))
			for i := range seqs {
				seqs[i] = int32(seq)
			}
			if err := c.Decode(Batch{Tokens: prompt, Seqs: seqs}); err != nil {
				t.Fatal(err)
			}
			b := Batch{Tokens: []int32{5}, Seqs: []int32{int32(seq)}}
			allocs := testing.AllocsPerRun(50, func() {
				if err := c.Decode(b); err != nil {
					t.Fatal(err)
				}
				b.Tokens[0] = int32(c.Logits(0)[0]*1000)&255 + 3
			})
			if allocs != 0 {
				t.Errorf("%s, %d threads: a decode step allocates %v times", ft, threads, allocs)
			}
			// A prompt (more than one attention block) and a decode step
			// of two sequences allocate nothing either.
			long := make([]int32, 24)
			longSeqs := make([]int32, len(long))
			for i := range long {
				long[i] = int32(i*37%500 + 3)
			}
			b2 := Batch{Tokens: []int32{7, 8}, Seqs: []int32{int32(seq), 0}}
			allocs = testing.AllocsPerRun(10, func() {
				s2, err := c.NewSeq()
				if err != nil {
					t.Fatal(err)
				}
				for i := range longSeqs {
					longSeqs[i] = int32(s2)
				}
				if err := c.Decode(Batch{Tokens: long, Seqs: longSeqs}); err != nil {
					t.Fatal(err)
				}
				b2.Seqs[1] = int32(s2)
				if err := c.Decode(b2); err != nil {
					t.Fatal(err)
				}
				c.FreeSeq(s2)
				if err := c.TruncateSeq(seq, len(prompt)); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s, %d threads: a prompt and a two-sequence step allocate %v times", ft, threads, allocs)
			}
			c.Close()
		}
	}
}
