package convert

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baylingd/baylingd/internal/fixtures"
)

// TestLlamaCppLoadsConverted loads our conversions of the fixture
// checkpoints, F16 and Q4_K_M, in llama.cpp
// (../shared/tools/llamacpp-bench, which installs node-llama-cpp on first
// use) and generates a few tokens. Without node and npm it is skipped,
// except under CI=true, where it fails.
func TestLlamaCppLoadsConverted(t *testing.T) {
	tool := llamaCppTool(t)
	dir := t.TempDir()
	for _, c := range hfCases {
		for _, typ := range []string{"f16", "q4_k_m"} {
			out := filepath.Join(dir, filepath.Base(c.dir)+"-"+typ+".gguf")
			if err := Convert(fixtures.Path(t, c.dir), out, Options{Type: typ, Threads: 2}); err != nil {
				t.Fatal(err)
			}
			res := runLlamaCpp(t, tool, out)
			t.Logf("llama.cpp loaded %s: prefill %.0f tok/s, decode %.0f tok/s", filepath.Base(out), res["prefill_tps"], res["decode_tps"])
		}
	}
}

// llamaCppTool returns the llamacpp-bench runner, or skips (fails under
// CI=true) when it or node/npm is missing.
func llamaCppTool(t *testing.T) string {
	t.Helper()
	fail := func(msg string) {
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	d := fixtures.Dir()
	if d == "" {
		fail("shared folder not found; set BAYLING_FIXTURES")
	}
	tool := filepath.Join(d, "..", "tools", "llamacpp-bench", "run")
	if _, err := os.Stat(tool); err != nil {
		fail("llama.cpp runner not found at " + tool)
	}
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			fail(bin + " not found: the llama.cpp runner needs node and npm")
		}
	}
	return tool
}

// runLlamaCpp evaluates 8 prompt tokens and generates 4 with llama.cpp
// (1 thread, 1 repetition) and returns its JSON report.
func runLlamaCpp(t *testing.T, tool, path string) map[string]any {
	t.Helper()
	cmd := exec.Command(tool, path, "8", "4", "1", "1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("llama.cpp could not run %s: %v\n%s", path, err, stderr.String())
	}
	line := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		t.Fatalf("llama.cpp on %s: unexpected output %q", path, out)
	}
	if v, ok := res["decode_tps"].(float64); !ok || !(v > 0) {
		t.Errorf("llama.cpp on %s generated nothing: %v", path, res)
	}
	return res
}
