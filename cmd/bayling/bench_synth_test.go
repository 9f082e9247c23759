package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/engine/synth"
)

// withTinyShape adds a small shape to the synth command for the test.
func withTinyShape(t *testing.T) {
	old := synth.Shapes
	synth.Shapes = append(append([]synth.Shape(nil), old...), synth.Shape{Name: "test-tiny", Title: "Test", NVocab: 700,
		NEmbd: 256, NLayer: 2, NHead: 4, NHeadKV: 2, NFF: 512, NCtx: 256, RopeBase: 1e4, RMSEps: 1e-5,
		Tokenizer: "llama", VocabFile: "none.gguf"})
	t.Cleanup(func() { synth.Shapes = old })
}

func TestSynthAndBenchCommands(t *testing.T) {
	withTinyShape(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "m.gguf")
	code, out, errs := runCLI(t, "", "synth", "--shape", "test-tiny", "--type", "q4_k_m", "--seed", "5", "-q", model)
	if code != 0 {
		t.Fatalf("synth: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "random weights") || !strings.Contains(out, "generated vocabulary") {
		t.Errorf("synth output %q", out)
	}
	f, err := gguf.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	if ft, _ := f.Uint("general.file_type"); ft != 15 {
		t.Errorf("file type %d, want 15 (Q4_K_M)", ft)
	}
	f.Close()

	code, out, errs = runCLI(t, "", "bench", "--model", model, "--threads", "2", "--prompt", "8", "--gen", "4",
		"--reps", "1", "--probe-mib", "16", "--json")
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, errs)
	}
	var r benchResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench JSON %q: %v", out, err)
	}
	if r.Engine != "baylingd" || r.Threads != 2 || r.NPrompt != 8 || r.NGen != 4 || r.PrefillTPS <= 0 || r.DecodeTPS <= 0 ||
		r.BandwidthGBs <= 0 || r.BytesPerToken <= 0 || r.DecodeRoofline <= 0 {
		t.Errorf("bench result %+v", r)
	}
	code, out, _ = runCLI(t, "", "bench", "--model", model, "--prompt", "4", "--gen", "2", "--reps", "1", "--probe-mib", "0")
	if code != 0 || !strings.Contains(out, "prefill") || !strings.Contains(out, "decode") {
		t.Errorf("bench text output: exit %d, %q", code, out)
	}

	// The side-by-side table pairs ours with llama.cpp's by model file.
	ours := filepath.Join(dir, "ours.json")
	b, _ := json.Marshal(map[string]any{"engine": "baylingd", "model": model, "threads": 2, "prefill_tps": 150.0, "decode_tps": 20.0,
		"bytes_per_token": 600e6, "bandwidth_gbs": 15.0, "roofline_tps": 25.0, "decode_roofline": 0.8})
	os.WriteFile(ours, b, 0o666)
	ref := filepath.Join(dir, "ref.json")
	os.WriteFile(ref, []byte("npm noise\n"+`{"engine":"llama.cpp via node-llama-cpp 3.21.1","model":"`+model+`","threads":2,"prefill_tps":100,"decode_tps":25}`+"\n"), 0o666)
	tableFile := filepath.Join(dir, "table.md")
	code, out, errs = runCLI(t, "", "bench", "--table", "--out", tableFile, ours, ref)
	if code != 0 {
		t.Fatalf("table: exit %d: %s", code, errs)
	}
	for _, want := range []string{"| m.gguf | 2 | 150.0 | 100.0 | 1.50x | 20.00 | 25.00 | 0.80x | 600.0 | 15.0 | 25.00 | 80% | 100% |"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if saved, _ := os.ReadFile(tableFile); string(saved) != out {
		t.Errorf("saved table differs from the printed one")
	}
}

func TestSynthBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"synth", "out.gguf"},
		{"synth", "--shape", "gpt-9", "out.gguf"},
		{"synth", "--shape", "tinyllama-1.1b", "--type", "q3_xs", "out.gguf"},
		{"synth", "--shape", "tinyllama-1.1b"},
		{"bench"},
		{"bench", "--model", "x.gguf", "--accel", "tpu"},
		{"bench", "--model", "x.gguf", "--gen", "0"},
		{"bench", "--table"},
	} {
		if code, _, _ := runCLI(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	code, out, _ := runCLI(t, "", "bench", "--print-threads")
	if code != 0 || strings.TrimSpace(out) == "" || strings.TrimSpace(out) == "0" {
		t.Errorf("--print-threads: exit %d, %q", code, out)
	}
}
