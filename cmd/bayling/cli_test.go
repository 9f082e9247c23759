package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/internal/fixtures"
	"github.com/baylingd/baylingd/kernels"
)

// runCLI runs a command in-process and returns its exit status and output.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(&env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestTokenizeMatchesGoldens(t *testing.T) {
	for _, g := range fixtures.Goldens(t) {
		p := filepath.Join(t.TempDir(), "prompt.txt")
		os.WriteFile(p, []byte(g.Prompt), 0o644)
		code, out, errs := runCLI(t, "", "tokenize", "--model", g.ModelPath, "--special", "--json", "--file", p)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", g.Name, code, errs)
		}
		var ids []int32
		if err := json.Unmarshal([]byte(out), &ids); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids) != fmt.Sprint(g.Tokens) {
			t.Errorf("%s: tokens differ:\n got %v\nwant %v", g.Name, ids, g.Tokens)
		}
	}
}

// TestLogitsCommand: `bayling logits` reproduces a golden's fields.
func TestLogitsCommand(t *testing.T) {
	for _, g := range fixtures.Goldens(t) {
		if !strings.HasPrefix(g.Name, "tiny-llama3") && !strings.HasPrefix(g.Name, "tiny-llama2-q4_0") {
			continue
		}
		p := filepath.Join(t.TempDir(), "prompt.txt")
		os.WriteFile(p, []byte(g.Prompt), 0o644)
		code, out, errs := runCLI(t, "", "logits", "--model", g.ModelPath, "--prompt-file", p, "--greedy", "8", "--threads", "2")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", g.Name, code, errs)
		}
		var rep logitsReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		nmse := fixtures.NMSE(rep.LastLogits, g.LastLogits)
		t.Logf("%s: bayling logits: last-position NMSE %.3g, greedy %v", g.Name, nmse, rep.Greedy)
		if fmt.Sprint(rep.Tokens) != fmt.Sprint(g.Tokens) || nmse > 1e-4 || len(rep.Top5) != len(g.Tokens) {
			t.Errorf("%s: tokens equal %v, NMSE %.3g", g.Name, fmt.Sprint(rep.Tokens) == fmt.Sprint(g.Tokens), nmse)
		}
		for i := 0; i < min(8, g.GreedyPrefix()); i++ {
			if rep.Greedy[i] != g.Greedy[i] {
				t.Errorf("%s: greedy step %d: %d, llama.cpp %d", g.Name, i, rep.Greedy[i], g.Greedy[i])
			}
		}
		if !strings.HasPrefix(g.GreedyTextHex, rep.GreedyTextHex[:len(rep.GreedyTextHex)/2]) {
			t.Errorf("%s: greedy text %s is not llama.cpp's %s", g.Name, rep.GreedyTextHex, g.GreedyTextHex)
		}
	}
}

func TestTranslateInProcess(t *testing.T) {
	model := fixtures.Path(t, "tiny-llama2-q4_0.gguf")
	code, out, errs := runCLI(t, "", "translate", "--model", model, "--from", "en", "--to", "German", "--max-tokens", "8", "--threads", "2", "The weather is lovely today.")
	if code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("exit %d, output %q, stderr %s", code, out, errs)
	}
	if !strings.Contains(errs, "loaded") {
		t.Errorf("no load progress on stderr: %q", errs)
	}
	// The same from stdin, non-streaming: the same greedy text.
	code, out2, _ := runCLI(t, "The weather is lovely today.\n", "translate", "--model", model, "--to", "de", "--max-tokens", "8", "-q")
	if code != 0 || out2 != out {
		t.Errorf("stdin translation %q (exit %d), arguments gave %q", out2, code, out)
	}
	// Bad input fails before the model loads, with a useful message.
	code, _, errs = runCLI(t, "", "translate", "--model", model, "--to", "Germn", "hello")
	if code != 1 || !strings.Contains(errs, "German (de)") || strings.Contains(errs, "loaded") {
		t.Errorf("unknown language: exit %d, %q", code, errs)
	}
	if code, _, _ := runCLI(t, "", "translate", "hello"); code != 2 {
		t.Errorf("missing --to: exit %d, want 2", code)
	}
}

func TestInfo(t *testing.T) {
	code, out, errs := runCLI(t, "", "info", "--json", fixtures.Path(t, "tiny-llama3-q4_k_m.gguf"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var in modelInfo
	if err := json.Unmarshal([]byte(out), &in); err != nil {
		t.Fatal(err)
	}
	if in.Template != "llama3" || in.Shape == nil || in.Shape.NHeadKV != 2 || in.TensorTypes["Q6_K"] != 3 || in.FileType != "Q4_K_M" {
		t.Errorf("info: %+v", in)
	}
	p := filepath.Join(t.TempDir(), "bad.gguf")
	os.WriteFile(p, []byte("GGUF\x09\x00\x00\x00"), 0o644)
	if code, _, errs := runCLI(t, "", "info", p); code != 1 || !strings.Contains(errs, "unsupported version 9") {
		t.Errorf("bad file: exit %d, %q", code, errs)
	}
}

// TestInfoPeakRSS: `bayling info` on a 600 MB model reads only its header:
// the process's peak RSS stays under 64 MB. The model is a sparse file with
// a real 128k-token vocabulary and BayLing-sized tensors.
func TestInfoPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bayling")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	vocab, err := gguf.Open(fixtures.Path(t, "vocab-llama3-bpe.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer vocab.Close()
	model := filepath.Join(dir, "big.gguf")
	f, err := os.Create(model)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := gguf.NewWriter(f, 0)
	for _, kv := range vocab.KV {
		w.AddKV(kv.Key, kv.Value)
	}
	const embd, ffn = 2048, 5632
	layers := 0
	var size uint64
	for size < 600<<20 {
		p := fmt.Sprintf("blk.%d.", layers)
		w.AddTensor(p+"attn_q.weight", kernels.Q4_0, embd, embd)
		w.AddTensor(p+"ffn_up.weight", kernels.Q4_0, embd, ffn)
		w.AddTensor(p+"ffn_down.weight", kernels.Q4_0, ffn, embd)
		size += uint64(embd*embd+2*embd*ffn) / 32 * 18
		layers++
	}
	if err := w.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	// Tensor data is left as a hole: the file has its full size without
	// costing the disk.
	hdr := int64(w.DataOffset())
	ts := w.Tensors()
	last := ts[len(ts)-1]
	if err := f.Truncate(hdr + int64(last.Offset+last.Size)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// The peak is VmHWM as bayling reports it: the rusage of a child would
	// include this test process's own peak, which Linux carries over to a
	// child started with vfork and exec.
	cmd := exec.Command(bin, "info", model)
	cmd.Env = append(os.Environ(), "BAYLING_REPORT_PEAK_RSS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("info: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`peak RSS: (\d+) kB`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no peak RSS in the output:\n%s", out)
	}
	kb, _ := strconv.Atoi(string(m[1]))
	rss := kb << 10
	t.Logf("bayling info on a %d MiB model (%d tensors, 128k vocab): peak RSS %.1f MiB\n%s", (hdr+int64(size))>>20, 3*layers, float64(rss)/(1<<20), out)
	if rss >= 64<<20 {
		t.Errorf("peak RSS %d bytes >= 64 MiB", rss)
	}
}
