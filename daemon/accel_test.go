package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/baylingd/baylingd/daemon/client"
	"github.com/baylingd/baylingd/daemon/config"
	"github.com/baylingd/baylingd/daemon/metrics"
	"github.com/baylingd/baylingd/internal/acceltest"
)

// accelSample returns the one baylingd_accel_info sample.
func accelSample(t *testing.T, ss metrics.Samples) metrics.Sample {
	t.Helper()
	for _, s := range ss {
		if s.Name == "baylingd_accel_info" {
			return s
		}
	}
	t.Fatal("no baylingd_accel_info in /metrics")
	return metrics.Sample{}
}

// TestAccelAuto: with accel = "auto" the daemon opens what this machine
// has, measures it against the CPU kernels, logs the facts and the
// decision, exports them in /metrics, and serves. The NPU here is the ABI
// double (slow C loops), so auto keeps the CPU; Vulkan is used by auto only
// with a GPU render node, which this machine lacks (lavapipe, a CPU
// driver, is left to accel = "vulkan"), and that is logged as a fact.
func TestAccelAuto(t *testing.T) {
	t.Setenv("BAYLING_RKNN_LIBRARY", acceltest.BuildFakeRKNN(t))
	cfg := testConfig(t)
	cfg.Model.Accel = "auto"
	cfg.Engine.MaxBatch = 64 // keeps the start-up measurement short
	td := startDaemon(t, cfg, options{})
	log := td.logs.String()
	wants := []string{`msg="accelerator measured" backend=rknpu`, `msg="accelerator offload" accel=auto`}
	if _, err := os.Stat("/dev/dri"); err != nil {
		wants = append(wants, `msg="accelerator not available; not an error"`, "no GPU render node")
	}
	for _, want := range wants {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	ss := td.metrics()
	info := accelSample(t, ss)
	t.Logf("%v", info.Labels)
	if info.Labels["mode"] != "auto" || info.Value != 1 || info.Labels["backend"] != "cpu" {
		t.Errorf("baylingd_accel_info %v: auto should keep the CPU over the NPU double", info.Labels)
	}
	measured := false
	for _, s := range ss {
		if s.Name == "baylingd_accel_measured_tokens_per_second" && s.Labels["backend"] == "rknpu" {
			measured = true
			t.Logf("measured: %v %.0f tok/s", s.Labels, s.Value)
			if s.Value <= 0 {
				t.Errorf("measured %v: %v", s.Labels, s.Value)
			}
		}
	}
	if !measured {
		t.Fatal("no measured tok/s of the NPU in /metrics")
	}
	if v, ok := ss.Get("baylingd_accel_measured_min_batch", "backend", "rknpu"); !ok || v < 0 {
		t.Errorf("baylingd_accel_measured_min_batch of rknpu: %v %v", v, ok)
	}
	res, err := td.c.Translate(context.Background(), client.TranslateRequest{Text: "Good morning.", Target: "de", MaxTokens: 4}, nil)
	if err != nil || res.Tokens == 0 {
		t.Errorf("translate: %+v, %v", res, err)
	}
}

// TestAccelDemanded: accel = "vulkan" runs the prompts on the Vulkan
// device (lavapipe) and translates as on the CPU; accel = "rknpu" runs on
// the NPU binding over its ABI double, pointed at by BAYLING_RKNN_LIBRARY.
func TestAccelDemanded(t *testing.T) {
	for _, kind := range []string{"vulkan", "rknpu"} {
		t.Run(kind, func(t *testing.T) {
			if kind == "rknpu" {
				t.Setenv("BAYLING_RKNN_LIBRARY", acceltest.BuildFakeRKNN(t))
			}
			ctx := context.Background()
			req := client.TranslateRequest{Text: "Hello, world. How are you today?", Source: "en", Target: "German", MaxTokens: 6}
			ref := startDaemon(t, testConfig(t), options{})
			want, err := ref.c.Translate(ctx, req, nil)
			if err != nil {
				t.Fatal(err)
			}
			ref.stop()

			cfg := testConfig(t)
			cfg.Model.Accel = kind
			cfg.Engine.MaxBatch = 64
			td := startDaemon(t, cfg, options{})
			info := accelSample(t, td.metrics())
			minBatch := fmt.Sprint(cfg.Engine.MaxSequences + 1)
			if info.Labels["mode"] != kind || !strings.HasPrefix(info.Labels["backend"], kind) || info.Labels["min_batch"] != minBatch {
				t.Errorf("baylingd_accel_info %v, want the %s backend from batch %s", info.Labels, kind, minBatch)
			}
			got, err := td.c.Translate(ctx, req, nil)
			if err != nil {
				t.Fatal(err)
			}
			calls := td.metric("baylingd_accel_matmuls_total")
			rows := td.metric("baylingd_accel_rows_total")
			t.Logf("%s: %q (CPU: %q); %v device matmuls, %v rows", info.Labels["backend"], got.Translation, want.Translation, calls, rows)
			if calls == 0 || rows < calls*float64(cfg.Engine.MaxSequences+1) {
				t.Errorf("the prompt did not go to the device: %v matmuls, %v rows", calls, rows)
			}
			if td.metric("baylingd_accel_failed") != 0 {
				t.Error("baylingd_accel_failed is set")
			}
			// Greedy decoding of random weights: Vulkan matches the CPU's
			// text (it computes the same products to float rounding); the
			// int8 NPU path may pick another token at a near-tie.
			if kind == "vulkan" && got.Translation != want.Translation {
				t.Errorf("translation with the prompt on %s: %q, on the CPU %q", info.Labels["backend"], got.Translation, want.Translation)
			}
		})
	}
}

// TestAccelMissing: a demanded backend that this machine lacks fails the
// start with an error that names the key, the backend and what is
// missing; cmd/baylingd turns it into exit status 1.
func TestAccelMissing(t *testing.T) {
	t.Setenv("BAYLING_RKNN_LIBRARY", "/nonexistent/librknnrt.so")
	cfg := testConfig(t)
	cfg.Model.Accel = "rknpu"
	log, _ := newTestLogger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, cfg, log, options{})
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Key != "model.accel" || !strings.Contains(err.Error(), "rknpu") || !strings.Contains(err.Error(), "librknnrt.so") {
		t.Fatalf("start with accel = rknpu and no runtime: %v", err)
	}
	t.Logf("the error: %v", err)
}
