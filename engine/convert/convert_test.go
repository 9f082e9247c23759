package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/engine/quantize"
	"github.com/baylingd/baylingd/engine/tokenizer"
	"github.com/baylingd/baylingd/internal/fixtures"
	"github.com/baylingd/baylingd/internal/llamatest"
)

// hfCase is one of the fixture checkpoints with what it must convert to.
type hfCase struct {
	dir    string // fixture folder of the checkpoint
	ref    string // llama.cpp's conversion of it
	vocab  string // vocabulary fixture whose .inp/.out tests its tokenizer
	golden string
}

var hfCases = []hfCase{
	{"hf/hf-llama2", "hf/hf-llama2.gguf", "vocab-llama2-spm.gguf", "hf-llama2.hf2"},
	{"hf/hf-llama3", "hf/hf-llama3.gguf", "vocab-llama3-bpe.gguf", "hf-llama3.hf3"},
}

var (
	convertedMu sync.Mutex
	converted   = map[string]string{}
	convertDir  string
)

// convertFixture converts a fixture checkpoint to F16 once per test
// binary and returns the GGUF path.
func convertFixture(t *testing.T, c hfCase) string {
	t.Helper()
	dir := fixtures.Path(t, c.dir)
	convertedMu.Lock()
	defer convertedMu.Unlock()
	if p, ok := converted[dir]; ok {
		return p
	}
	if convertDir == "" {
		d, err := os.MkdirTemp("", "convert-test-")
		if err != nil {
			t.Fatal(err)
		}
		convertDir = d
	}
	out := filepath.Join(convertDir, filepath.Base(dir)+".gguf")
	if err := Convert(dir, out, Options{Threads: 2}); err != nil {
		t.Fatal(err)
	}
	converted[dir] = out
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if convertDir != "" {
		os.RemoveAll(convertDir)
	}
	os.Exit(code)
}

// TestConvertTensors: the F16 conversion holds llama.cpp's tensors, in
// its order, with the same names, types, dims and bytes.
func TestConvertTensors(t *testing.T) {
	for _, c := range hfCases {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			got := convertFixture(t, c)
			a, err := gguf.Open(got)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := gguf.Open(fixtures.Path(t, c.ref))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if len(a.Tensors) != len(b.Tensors) {
				t.Fatalf("%d tensors, llama.cpp's file has %d", len(a.Tensors), len(b.Tensors))
			}
			same := 0
			for i := range b.Tensors {
				at, bt := &a.Tensors[i], &b.Tensors[i]
				switch {
				case at.Name != bt.Name:
					t.Errorf("tensor %d is %s, llama.cpp's is %s", i, at.Name, bt.Name)
				case at.Type != bt.Type || !slices.Equal(at.Dims, bt.Dims):
					t.Errorf("%s: %v %v, llama.cpp's %v %v", at.Name, at.Type, at.Dims, bt.Type, bt.Dims)
				case !bytes.Equal(a.TensorData(at), b.TensorData(bt)):
					t.Errorf("%s: data differs from llama.cpp's", at.Name)
				default:
					same++
				}
			}
			t.Logf("%s: %d/%d tensors byte-identical to %s", filepath.Base(got), same, len(b.Tensors), c.ref)
		})
	}
}

// TestConvertMetadata: every tokenizer.* and llama.* key of llama.cpp's
// conversion is in ours with the same type and value (tokens, scores,
// token types, merges, special ids, add_bos/add_eos, hyperparameters).
func TestConvertMetadata(t *testing.T) {
	for _, c := range hfCases {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			a, err := gguf.Open(convertFixture(t, c))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := gguf.Open(fixtures.Path(t, c.ref))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			checked := 0
			for _, kv := range b.KV {
				if !strings.HasPrefix(kv.Key, "tokenizer.") && !strings.HasPrefix(kv.Key, "llama.") && kv.Key != "general.architecture" && kv.Key != "general.file_type" {
					continue
				}
				v, ok := a.Get(kv.Key)
				if !ok {
					t.Errorf("%s missing", kv.Key)
					continue
				}
				if v.Type != kv.Value.Type || !sameValue(v, kv.Value) {
					t.Errorf("%s = %.80s (%s), llama.cpp's %.80s (%s)", kv.Key, v.String(), v.Type, kv.Value.String(), kv.Value.Type)
					continue
				}
				checked++
			}
			var extra []string
			for _, kv := range a.KV {
				if _, ok := b.Get(kv.Key); !ok {
					extra = append(extra, kv.Key)
				}
			}
			toks, _ := a.Strings("tokenizer.ggml.tokens")
			merges, _ := a.Strings("tokenizer.ggml.merges")
			t.Logf("%d keys equal to llama.cpp's (%d tokens, %d merges); ours also has %v", checked, len(toks), len(merges), extra)
			if tmpl, _ := a.String("tokenizer.chat_template"); !strings.Contains(tmpl, "NLP Group of ICT/CAS") {
				t.Errorf("chat template is not BayLing's: %.100q", tmpl)
			}
		})
	}
}

// sameValue compares two metadata values element by element.
func sameValue(a, b gguf.Value) bool {
	aa, okA := a.Array()
	ba, okB := b.Array()
	if okA != okB {
		return false
	}
	if !okA {
		return a.String() == b.String()
	}
	if aa.Elem != ba.Elem || aa.Len() != ba.Len() {
		return false
	}
	switch x := aa.Values.(type) {
	case []string:
		return slices.Equal(x, ba.Values.([]string))
	case []float32:
		y := ba.Values.([]float32)
		for i := range x {
			if x[i] != y[i] && !(x[i] != x[i] && y[i] != y[i]) {
				return false
			}
		}
		return true
	case []int32:
		return slices.Equal(x, ba.Values.([]int32))
	}
	return a.String() == b.String()
}

// readVocabCases reads llama.cpp's tokenizer test strings and expected ids.
func readVocabCases(t *testing.T, vocab string) (texts []string, want [][]int32) {
	t.Helper()
	inp, err := os.ReadFile(fixtures.Path(t, vocab+".inp"))
	if err != nil {
		t.Fatal(err)
	}
	outp, err := os.ReadFile(fixtures.Path(t, vocab+".out"))
	if err != nil {
		t.Fatal(err)
	}
	texts = strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if n := len(texts); n > 0 && strings.TrimSpace(texts[n-1]) == "" {
		texts = texts[:n-1]
	}
	lines := strings.Split(strings.TrimRight(string(outp), "\n"), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("%s: %d strings, %d lines of ids", vocab, len(texts), len(lines))
	}
	for _, l := range lines {
		var ids []int32
		for _, f := range strings.Fields(l) {
			v, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, int32(v))
		}
		want = append(want, ids)
	}
	return texts, want
}

// TestConvertVocabTests tokenizes llama.cpp's tokenizer test strings of
// each family with the tokenizer built from our converted file.
func TestConvertVocabTests(t *testing.T) {
	for _, c := range hfCases {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			tok, err := tokenizer.Load(convertFixture(t, c))
			if err != nil {
				t.Fatal(err)
			}
			texts, want := readVocabCases(t, c.vocab)
			pass := 0
			for i, s := range texts {
				got := tok.Encode(s, false, false)
				if slices.Equal(got, want[i]) {
					pass++
				} else {
					t.Errorf("%q:\n got  %v\n want %v", s, got, want[i])
				}
			}
			t.Logf("%s tests: %d/%d strings tokenized as Hugging Face does", c.vocab, pass, len(texts))
		})
	}
}

// TestConvertLogits: the converted model's prompt tokens (from its own
// tokenizer) and last-position logits match llama.cpp's goldens.
func TestConvertLogits(t *testing.T) {
	for _, c := range hfCases {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			path := convertFixture(t, c)
			g := fixtures.GoldenNamed(t, c.golden)
			tok, err := tokenizer.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := tok.Encode(g.Prompt, true, true); !slices.Equal(got, g.Tokens) {
				t.Errorf("prompt tokens differ from llama.cpp's:\n got  %v\n want %v", got, g.Tokens)
			}
			nmse := fixtures.NMSE(llamatest.LastLogits(t, path, g.Tokens), g.LastLogits)
			t.Logf("%s: last-position NMSE %.3g vs llama.cpp's golden (limit 1e-4)", c.golden, nmse)
			if !(nmse <= 1e-4) {
				t.Errorf("NMSE %.3g > 1e-4", nmse)
			}
		})
	}
}

// TestConvertQuantized converts straight to quantized recipes and checks
// the result against requantizing llama.cpp's F16 conversion: the same
// tensors, bytes and all (the fixtures' rows of 32 and 64 take the
// fallback types), and a model the engine runs.
func TestConvertQuantized(t *testing.T) {
	dir := t.TempDir()
	for _, c := range hfCases {
		for _, r := range []struct {
			ft    string
			limit float64
		}{{"q8_0", 5e-4}, {"q4_0", 3e-2}, {"q4_k_m", 2e-2}, {"q5_k_m", 1e-2}, {"q6_k", 5e-4}} {
			ft, limit := r.ft, r.limit
			t.Run(filepath.Base(c.dir)+"/"+ft, func(t *testing.T) {
				src := fixtures.Path(t, c.dir)
				direct := filepath.Join(dir, filepath.Base(c.dir)+"-"+ft+".gguf")
				if err := Convert(src, direct, Options{Type: ft, Threads: 2}); err != nil {
					t.Fatal(err)
				}
				requant := filepath.Join(dir, filepath.Base(c.dir)+"-"+ft+"-requant.gguf")
				if err := quantize.QuantizeFile(fixtures.Path(t, c.ref), requant, ft, 2, nil); err != nil {
					t.Fatal(err)
				}
				a, _ := gguf.Open(direct)
				b, _ := gguf.Open(requant)
				defer a.Close()
				defer b.Close()
				types := map[string]int{}
				for i := range b.Tensors {
					bt := &b.Tensors[i]
					at, ok := a.Tensor(bt.Name)
					if !ok || at.Type != bt.Type || !bytes.Equal(a.TensorData(at), b.TensorData(bt)) {
						t.Errorf("%s differs from the requantized F16 conversion", bt.Name)
					}
					types[bt.Type.String()]++
				}
				if v, _ := a.Uint("general.file_type"); v != func() uint64 { f, _ := quantize.ParseFileType(ft); return uint64(f) }() {
					t.Errorf("general.file_type %d", v)
				}
				g := fixtures.GoldenNamed(t, c.golden)
				nmse := fixtures.NMSE(llamatest.LastLogits(t, direct, g.Tokens), g.LastLogits)
				t.Logf("%s: tensor types %v; last-position NMSE vs the F16 golden %.3g (limit %.0e)", ft, types, nmse, limit)
				if !(nmse <= limit) {
					t.Errorf("NMSE %.3g > %.0e", nmse, limit)
				}
			})
		}
	}
}

// TestSrcRowPermutation checks the rotary permutation on a hand example:
// per head, rows (0, hd/2), (1, hd/2+1), ... become adjacent.
func TestSrcRowPermutation(t *testing.T) {
	o := &outTensor{rows: 16, heads: 2}
	want := []int{0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15}
	for r, w := range want {
		if got := o.srcRow(r); got != w {
			t.Errorf("row %d from %d, want %d", r, got, w)
		}
	}
	o.heads = 0
	if o.srcRow(5) != 5 {
		t.Error("unpermuted tensor permuted")
	}
}
