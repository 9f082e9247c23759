package main

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/baylingd/baylingd/engine/bench"
	"github.com/baylingd/baylingd/internal/acceltest"
	"github.com/baylingd/baylingd/internal/fixtures"
)

// TestBenchAccel: `bayling bench --accel vulkan|rknpu` measures the prompt
// on the backend next to the CPU (Vulkan on lavapipe, the NPU binding on
// its ABI double); a backend that is missing is an error, not a fallback.
func TestBenchAccel(t *testing.T) {
	model := fixtures.Path(t, "tiny-llama2-q4_0.gguf")
	for _, kind := range []string{"vulkan", "rknpu"} {
		t.Run(kind, func(t *testing.T) {
			if kind == "rknpu" {
				t.Setenv("BAYLING_RKNN_LIBRARY", acceltest.BuildFakeRKNN(t))
			}
			args := []string{"bench", "--model", model, "--threads", "2", "--prompt", "32", "--gen", "2", "--reps", "1", "--probe-mib", "0", "--accel", kind}
			code, out, errs := runCLI(t, "", append(args, "--json")...)
			if code == 1 && strings.Contains(errs, "unavailable") {
				acceltest.Unavailable(t, kind, errors.New(errs))
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var r bench.Result
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%q: %v", out, err)
			}
			if !strings.HasPrefix(r.Accel, kind) || r.AccelPrefillTPS <= 0 || len(r.AccelRuns) != 1 || r.PrefillTPS <= 0 || r.DecodeTPS <= 0 {
				t.Errorf("result %+v", r)
			}
			t.Logf("32-token prompt: CPU %.0f tok/s, %s %.0f tok/s", r.PrefillTPS, r.Accel, r.AccelPrefillTPS)
			code, out, _ = runCLI(t, "", args...)
			if code != 0 || !strings.Contains(out, "offloaded") || !strings.Contains(out, r.Accel) {
				t.Errorf("text output: exit %d\n%s", code, out)
			}
		})
	}
	t.Setenv("BAYLING_RKNN_LIBRARY", "/nonexistent/librknnrt.so")
	code, _, errs := runCLI(t, "", "bench", "--model", model, "--prompt", "8", "--gen", "2", "--reps", "1", "--probe-mib", "0", "--accel", "rknpu")
	if code != 1 || !strings.Contains(errs, "--accel rknpu") || !strings.Contains(errs, "/nonexistent/librknnrt.so") {
		t.Errorf("--accel rknpu without the runtime: exit %d: %s", code, errs)
	}
}

// TestInfoAccel: `bayling info --accel` lists the Vulkan devices and the
// NPU's state, and with a model measures what auto would choose.
func TestInfoAccel(t *testing.T) {
	t.Setenv("BAYLING_RKNN_LIBRARY", acceltest.BuildFakeRKNN(t))
	code, out, errs := runCLI(t, "", "info", "--accel", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var ai accelInfo
	if err := json.Unmarshal([]byte(out), &ai); err != nil {
		t.Fatal(err)
	}
	if ai.VulkanProblem != "" {
		acceltest.Unavailable(t, "vulkan", errors.New(ai.VulkanProblem))
	}
	if len(ai.VulkanDevices) == 0 || ai.VulkanDevices[0].Name == "" || ai.RKNPU != "available" || ai.Auto != nil {
		t.Errorf("info --accel: %+v", ai)
	}

	model := fixtures.Path(t, "tiny-llama2-q4_0.gguf")
	code, out, errs = runCLI(t, "", "info", "--accel", "--threads", "2", "--max-batch", "32", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	t.Log("\n" + out)
	// Vulkan is measured by auto only on a machine with a GPU render node.
	wants := []string{"template:      llama2", "vulkan:        ", "rknpu:         available", "measured:      rknpu on blk.0.attn_q.weight", "auto chooses:  "}
	if _, err := os.Stat("/dev/dri"); err == nil {
		wants = append(wants, "measured:      vulkan:")
	}
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
}
