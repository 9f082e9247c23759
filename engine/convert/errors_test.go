package convert

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/internal/fixtures"
	"github.com/baylingd/baylingd/internal/llamatest"
	"github.com/baylingd/baylingd/kernels"
)

// stSpec is a tensor to write into a test safetensors file.
type stSpec struct {
	name  string
	dtype string
	shape []int64
	data  []byte
}

// writeSafetensors writes a safetensors file.
func writeSafetensors(t *testing.T, path string, ts []stSpec) {
	t.Helper()
	hdr := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	var data bytes.Buffer
	for _, s := range ts {
		hdr[s.name] = map[string]any{"dtype": s.dtype, "shape": s.shape, "data_offsets": []int64{off, off + int64(len(s.data))}}
		data.Write(s.data)
		off += int64(len(s.data))
	}
	j, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, uint64(len(j)))
	buf.Write(j)
	buf.Write(data.Bytes())
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixtureTensors reads the tensors of a fixture checkpoint.
func fixtureTensors(t *testing.T, dir string) []stSpec {
	t.Helper()
	f, err := openSafetensors(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []stSpec
	for _, x := range f.Tensors {
		out = append(out, stSpec{x.Name, x.DType, slices.Clone(x.Shape), bytes.Clone(x.Data())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// checkpointCopy makes a scratch checkpoint folder with links to the
// fixture's files, except those named in skip.
func checkpointCopy(t *testing.T, fixture string, skip ...string) string {
	t.Helper()
	src := fixtures.Path(t, fixture)
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if slices.Contains(skip, e.Name()) {
			continue
		}
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// editJSON rewrites a JSON file of dir (replacing the link).
func editJSON(t *testing.T, dir, name string, edit func(map[string]any)) {
	t.Helper()
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.MarshalIndent(m, "", "  ")
	os.Remove(p)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sameTensors checks that two GGUF files hold the same tensors.
func sameTensors(t *testing.T, got, want string) {
	t.Helper()
	a, err := gguf.Open(got)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := gguf.Open(want)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(a.Tensors) != len(b.Tensors) {
		t.Fatalf("%d tensors, want %d", len(a.Tensors), len(b.Tensors))
	}
	for i := range b.Tensors {
		at, bt := &a.Tensors[i], &b.Tensors[i]
		if at.Name != bt.Name || at.Type != bt.Type || !slices.Equal(at.Dims, bt.Dims) || !bytes.Equal(a.TensorData(at), b.TensorData(bt)) {
			t.Errorf("tensor %s differs from %s's %s", at.Name, filepath.Base(want), bt.Name)
		}
	}
}

// TestConvertSharded splits the checkpoint into two shards with an index,
// as large checkpoints come, and expects the same conversion.
func TestConvertSharded(t *testing.T) {
	dir := checkpointCopy(t, "hf/hf-llama2", "model.safetensors")
	ts := fixtureTensors(t, fixtures.Path(t, "hf/hf-llama2"))
	half := len(ts) / 2
	shards := []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}
	writeSafetensors(t, filepath.Join(dir, shards[0]), ts[:half])
	writeSafetensors(t, filepath.Join(dir, shards[1]), ts[half:])
	wm := map[string]string{}
	for i, s := range ts {
		wm[s.name] = shards[min(1, i/half)]
	}
	idx, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 0}, "weight_map": wm})
	os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), idx, 0o644)
	out := filepath.Join(t.TempDir(), "out.gguf")
	if err := Convert(dir, out, Options{}); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, out, fixtures.Path(t, "hf/hf-llama2.gguf"))
}

// TestConvertF32AndBF16 converts checkpoints stored in F32 and BF16.
// F32 holding the F16 values gives the F16 conversion exactly; BF16
// gives each value rounded to BF16, then to F16 (both steps rounding to
// nearest even, as torch and numpy do).
func TestConvertF32AndBF16(t *testing.T) {
	src := fixtureTensors(t, fixtures.Path(t, "hf/hf-llama2"))
	recast := func(dtype string) string {
		dir := checkpointCopy(t, "hf/hf-llama2", "model.safetensors")
		var ts []stSpec
		for _, s := range src {
			n := len(s.data) / 2
			var b []byte
			for i := 0; i < n; i++ {
				f := kernels.F16ToF32(binary.LittleEndian.Uint16(s.data[2*i:]))
				if dtype == "F32" {
					b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
				} else {
					b = binary.LittleEndian.AppendUint16(b, kernels.F32ToBF16(f))
				}
			}
			ts = append(ts, stSpec{s.name, dtype, s.shape, b})
		}
		writeSafetensors(t, filepath.Join(dir, "model.safetensors"), ts)
		return dir
	}
	ref := fixtures.Path(t, "hf/hf-llama2.gguf")
	out := filepath.Join(t.TempDir(), "f32.gguf")
	if err := Convert(recast("F32"), out, Options{}); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, out, ref)

	out = filepath.Join(t.TempDir(), "bf16.gguf")
	if err := Convert(recast("BF16"), out, Options{}); err != nil {
		t.Fatal(err)
	}
	a, _ := gguf.Open(out)
	b, _ := gguf.Open(ref)
	defer a.Close()
	defer b.Close()
	for i := range b.Tensors {
		at, bt := &a.Tensors[i], &b.Tensors[i]
		got, want := a.TensorData(at), b.TensorData(bt)
		for k := 0; k < len(want); k += bt.Type.BlockBytes() {
			var w uint32
			var g uint32
			if bt.Type == kernels.F16 {
				x := kernels.F16ToF32(binary.LittleEndian.Uint16(want[k:]))
				w = uint32(kernels.F32ToF16(kernels.BF16ToF32(kernels.F32ToBF16(x))))
				g = uint32(binary.LittleEndian.Uint16(got[k:]))
			} else {
				x := math.Float32frombits(binary.LittleEndian.Uint32(want[k:]))
				w = math.Float32bits(kernels.BF16ToF32(kernels.F32ToBF16(x)))
				g = binary.LittleEndian.Uint32(got[k:])
			}
			if w != g {
				t.Fatalf("%s element %d: %#x, want %#x", bt.Name, k/bt.Type.BlockBytes(), g, w)
			}
		}
	}
	g := fixtures.GoldenNamed(t, "hf-llama2.hf2")
	t.Logf("BF16 checkpoint: last-position NMSE vs the F16 golden %.3g", fixtures.NMSE(llamatest.LastLogits(t, out, g.Tokens), g.LastLogits))
}

// TestConvertMergePairs: merges in the [["a", "b"], ...] form of recent
// transformers give the same GGUF merges as the string form.
func TestConvertMergePairs(t *testing.T) {
	dir := checkpointCopy(t, "hf/hf-llama3")
	editJSON(t, dir, "tokenizer.json", func(m map[string]any) {
		model := m["model"].(map[string]any)
		var pairs [][]string
		for _, s := range model["merges"].([]any) {
			a, b, _ := strings.Cut(s.(string), " ")
			pairs = append(pairs, []string{a, b})
		}
		model["merges"] = pairs
	})
	out := filepath.Join(t.TempDir(), "out.gguf")
	if err := Convert(dir, out, Options{}); err != nil {
		t.Fatal(err)
	}
	a, _ := gguf.Open(out)
	b, _ := gguf.Open(fixtures.Path(t, "hf/hf-llama3.gguf"))
	defer a.Close()
	defer b.Close()
	ma, _ := a.Strings("tokenizer.ggml.merges")
	mb, _ := b.Strings("tokenizer.ggml.merges")
	if !slices.Equal(ma, mb) {
		t.Errorf("merges differ (%d vs %d)", len(ma), len(mb))
	}
	// A space inside a part is written as U+0120, as gguf-py does.
	got, err := bpeMerges(json.RawMessage(`[["a b", "c"], ["d", "e"]]`))
	if err != nil || !slices.Equal(got, []string{"a\u0120b c", "d e"}) {
		t.Errorf("bpeMerges: %q, %v", got, err)
	}
}

// TestConvertErrors: broken or unsupported checkpoints fail with an error
// naming the file at fault, and leave no output behind.
func TestConvertErrors(t *testing.T) {
	l2 := "hf/hf-llama2"
	st := func(t *testing.T, dir string, edit func([]stSpec) []stSpec) {
		ts := fixtureTensors(t, fixtures.Path(t, l2))
		os.Remove(filepath.Join(dir, "model.safetensors"))
		writeSafetensors(t, filepath.Join(dir, "model.safetensors"), edit(ts))
	}
	truncate := func(n func(size int64) int64) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, "model.safetensors")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(p)
			os.WriteFile(p, b[:n(int64(len(b)))], 0o644)
		}
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string
		unsup bool
	}{
		{"truncated data", truncate(func(n int64) int64 { return n * 6 / 10 }), []string{"model.safetensors", "truncated", "incomplete download"}, false},
		{"truncated header", truncate(func(int64) int64 { return 100 }), []string{"model.safetensors", "truncated"}, false},
		{"truncated length", truncate(func(int64) int64 { return 3 }), []string{"model.safetensors", "truncated"}, false},
		{"empty", truncate(func(int64) int64 { return 0 }), []string{"model.safetensors", "truncated"}, false},
		{"missing config", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "config.json")) }, []string{"config.json", "not found"}, false},
		{"mistral", func(t *testing.T, dir string) {
			editJSON(t, dir, "config.json", func(m map[string]any) {
				m["architectures"] = []string{"MistralForCausalLM"}
				m["model_type"] = "mistral"
				m["sliding_window"] = 4096
			})
		}, []string{"config.json", "MistralForCausalLM", "sliding-window"}, true},
		{"qwen2", func(t *testing.T, dir string) {
			editJSON(t, dir, "config.json", func(m map[string]any) { m["architectures"] = []string{"Qwen2ForCausalLM"} })
		}, []string{"config.json", "Qwen2ForCausalLM"}, true},
		{"llama with sliding window", func(t *testing.T, dir string) {
			editJSON(t, dir, "config.json", func(m map[string]any) { m["sliding_window"] = 512 })
		}, []string{"config.json", "sliding_window"}, true},
		{"yarn", func(t *testing.T, dir string) {
			editJSON(t, dir, "config.json", func(m map[string]any) {
				m["rope_scaling"] = map[string]any{"rope_type": "yarn", "factor": 4.0}
			})
		}, []string{"config.json", "rope_scaling", "yarn"}, true},
		{"missing key", func(t *testing.T, dir string) {
			editJSON(t, dir, "config.json", func(m map[string]any) { delete(m, "hidden_size") })
		}, []string{"config.json", "hidden_size"}, false},
		{"shape mismatch", func(t *testing.T, dir string) {
			editJSON(t, dir, "config.json", func(m map[string]any) { m["intermediate_size"] = 256 })
		}, []string{"model.safetensors", "gate_proj", "shape [128 64]", "[256 64]"}, false},
		{"vocab mismatch", func(t *testing.T, dir string) {
			editJSON(t, dir, "config.json", func(m map[string]any) { m["vocab_size"] = 32001 })
		}, []string{"model.safetensors", "embed_tokens", "32001"}, false},
		{"bad config json", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "config.json"))
			os.WriteFile(filepath.Join(dir, "config.json"), []byte("{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"hidden_size\": 64,,\n}"), 0o644)
		}, []string{"config.json", "line 3"}, false},
		{"bad tokenizer_config json", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "tokenizer_config.json"))
			os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"add_bos_token": true`), 0o644)
		}, []string{"tokenizer_config.json", "bad JSON"}, false},
		{"bad generation_config", func(t *testing.T, dir string) {
			editJSON(t, dir, "generation_config.json", func(m map[string]any) { m["eos_token_id"] = "two" })
		}, []string{"generation_config.json", "eos_token_id"}, false},
		{"no tokenizer", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "tokenizer.model")) }, []string{"no tokenizer.model or tokenizer.json"}, false},
		{"bad tokenizer.model", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "tokenizer.model"))
			os.WriteFile(filepath.Join(dir, "tokenizer.model"), []byte{0x0a, 0x80}, 0o644)
		}, []string{"tokenizer.model", "truncated"}, false},
		{"no weights", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "model.safetensors")) }, []string{"no model.safetensors"}, false},
		{"pytorch weights", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "model.safetensors"))
			os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), []byte("x"), 0o644)
		}, []string{"pytorch_model.bin", "safetensors"}, false},
		{"missing shard", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "model.safetensors"))
			os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"),
				[]byte(`{"weight_map": {"model.norm.weight": "model-00001-of-00002.safetensors"}}`), 0o644)
		}, []string{"model-00001-of-00002.safetensors", "not found"}, false},
		{"index escapes the folder", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"),
				[]byte(`{"weight_map": {"model.norm.weight": "../model.safetensors"}}`), 0o644)
		}, []string{"model.safetensors.index.json", "../model.safetensors"}, false},
		{"tensor not in its shard", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"),
				[]byte(`{"weight_map": {"model.nope.weight": "model.safetensors"}}`), 0o644)
		}, []string{"model.safetensors", "model.nope.weight"}, false},
		{"missing tensor", func(t *testing.T, dir string) {
			st(t, dir, func(ts []stSpec) []stSpec {
				return slices.DeleteFunc(ts, func(s stSpec) bool { return s.name == "lm_head.weight" })
			})
		}, []string{"model.safetensors", "missing tensors lm_head.weight"}, false},
		{"extra tensor", func(t *testing.T, dir string) {
			st(t, dir, func(ts []stSpec) []stSpec {
				return append(ts, stSpec{"model.layers.0.self_attn.q_proj.bias", "F16", []int64{64}, make([]byte, 128)})
			})
		}, []string{"model.safetensors", "q_proj.bias"}, true},
		{"int8 weights", func(t *testing.T, dir string) {
			st(t, dir, func(ts []stSpec) []stSpec {
				for i := range ts {
					if ts[i].name == "model.norm.weight" {
						ts[i] = stSpec{ts[i].name, "I8", []int64{64}, make([]byte, 64)}
					}
				}
				return ts
			})
		}, []string{"model.safetensors", "model.norm.weight", "I8"}, true},
		{"bad dtype", func(t *testing.T, dir string) {
			st(t, dir, func(ts []stSpec) []stSpec {
				ts[0].dtype = "F17"
				return ts
			})
		}, []string{"model.safetensors", "F17"}, false},
		{"inconsistent offsets", func(t *testing.T, dir string) {
			st(t, dir, func(ts []stSpec) []stSpec {
				ts[0].shape = []int64{ts[0].shape[0] * 2}
				return ts
			})
		}, []string{"model.safetensors", "takes"}, false},
		{"bad type", nil, []string{"q3_k_s", "q4_k_m"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := checkpointCopy(t, l2)
			if c.setup != nil {
				c.setup(t, dir)
			}
			outDir := t.TempDir()
			typ := "q8_0"
			if c.setup == nil {
				typ = "q3_k_s"
			}
			err := Convert(dir, filepath.Join(outDir, "out.gguf"), Options{Type: typ})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if c.unsup != errors.Is(err, ErrUnsupported) {
				t.Errorf("errors.Is(ErrUnsupported) = %v for %q", !c.unsup, err)
			}
			if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
				t.Errorf("left in the output folder: %v", ents)
			}
			t.Logf("%v", err)
		})
	}
}

// TestConvertUnsupportedBPE: a byte-level BPE tokenizer whose
// pre-tokenizer is not Llama 3's would tokenize differently in llama.cpp
// and in this engine; it is refused, naming tokenizer.json.
func TestConvertUnsupportedBPE(t *testing.T) {
	dir := checkpointCopy(t, "hf/hf-llama3")
	editJSON(t, dir, "tokenizer.json", func(m map[string]any) {
		m["pre_tokenizer"] = map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}
	})
	err := Convert(dir, filepath.Join(t.TempDir(), "out.gguf"), Options{})
	if err == nil || !strings.Contains(err.Error(), "tokenizer.json") || !strings.Contains(err.Error(), "pre_tokenizer") || !errors.Is(err, ErrUnsupported) {
		t.Errorf("err = %v", err)
	}
}

// TestTemplateAdds reads add_bos/add_eos from TemplateProcessing
// post-processors, alone or in a Sequence (Meta's Llama 3 tokenizer.json).
func TestTemplateAdds(t *testing.T) {
	meta := `{"type": "Sequence", "processors": [
		{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
		{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]}]}`
	llama2 := `{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}, {"SpecialToken": {"id": "</s>"}}]}`
	for _, c := range []struct {
		raw            string
		bos, eos       string
		wantBOS, wantE string
	}{
		{meta, "<|begin_of_text|>", "<|end_of_text|>", "true", "nil"},
		{llama2, "<s>", "</s>", "true", "true"},
		{llama2, "<s>", "<|eot|>", "true", "false"},
		{`{"type": "ByteLevel"}`, "<s>", "</s>", "nil", "nil"},
		{``, "<s>", "</s>", "nil", "nil"},
	} {
		b, e := templateAdds(json.RawMessage(c.raw), c.bos, c.eos)
		str := func(p *bool) string {
			if p == nil {
				return "nil"
			}
			return strconv.FormatBool(*p)
		}
		if str(b) != c.wantBOS || str(e) != c.wantE {
			t.Errorf("%.40s: add_bos %s add_eos %s, want %s %s", c.raw, str(b), str(e), c.wantBOS, c.wantE)
		}
	}
}
