package convert

import (
	"path/filepath"
	"testing"

	"github.com/baylingd/baylingd/internal/fixtures"
)

// TestLlamaCppLoadsConverted loads our conversions of the fixture
// checkpoints, F16 and Q4_K_M, in llama.cpp
// (../shared/tools/llamacpp-bench, which installs node-llama-cpp on first
// use) and generates a few tokens. Without node and npm it is skipped,
// except under CI=true, where it fails.
func TestLlamaCppLoadsConverted(t *testing.T) {
	tool := fixtures.LlamaCppTool(t)
	dir := t.TempDir()
	for _, c := range hfCases {
		for _, typ := range []string{"f16", "q4_k_m"} {
			out := filepath.Join(dir, filepath.Base(c.dir)+"-"+typ+".gguf")
			if err := Convert(fixtures.Path(t, c.dir), out, Options{Type: typ, Threads: 2}); err != nil {
				t.Fatal(err)
			}
			res := fixtures.RunLlamaCpp(t, tool, out)
			t.Logf("llama.cpp loaded %s: prefill %.0f tok/s, decode %.0f tok/s", filepath.Base(out), res["prefill_tps"], res["decode_tps"])
		}
	}
}
