package accel_test

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/baylingd/baylingd/accel"
	"github.com/baylingd/baylingd/internal/acceltest"
	"github.com/baylingd/baylingd/kernels"
)

func TestOpenErrors(t *testing.T) {
	if _, err := accel.Open("tpu", accel.Options{}); err == nil || errors.Is(err, accel.ErrUnavailable) {
		t.Errorf("unknown kind: %v", err)
	}
	for _, c := range []struct {
		kind string
		opts accel.Options
	}{
		{"vulkan", accel.Options{VulkanLibrary: "libvulkan-missing.so.1"}},
		{"rknpu", accel.Options{RKNNLibrary: "librknnrt-missing.so"}},
	} {
		_, err := accel.Open(c.kind, c.opts)
		if !errors.Is(err, accel.ErrUnavailable) {
			t.Errorf("%s with a missing library: %v, want ErrUnavailable", c.kind, err)
			continue
		}
		var u *accel.UnavailableError
		if !errors.As(err, &u) || u.Kind != c.kind || u.Reason == "" || strings.Contains(u.Reason, "unavailable: ") {
			t.Errorf("%s: %#v", c.kind, err)
		}
		t.Logf("%v", err)
	}
	bs, unavail, failed := accel.OpenAvailable(accel.Options{VulkanLibrary: "libvulkan-missing.so.1", RKNNLibrary: "librknnrt-missing.so"})
	if len(bs) != 0 || len(unavail) != 2 || len(failed) != 0 {
		t.Errorf("OpenAvailable with nothing installed: %d backends, %v, %v", len(bs), unavail, failed)
	}
}

// sleepy is a backend whose MatMul costs a fixed time whatever the batch,
// like a device with a large launch overhead, and computes the right
// answer (through the CPU function) unless wrong is set.
type sleepy struct {
	cost  time.Duration
	cpu   accel.CPUFunc
	wrong bool
}

func (s *sleepy) Name() string               { return "sleepy" }
func (s *sleepy) Supports(kernels.Type) bool { return true }
func (s *sleepy) Close() error               { return nil }
func (s *sleepy) Upload(string, kernels.Type, int, int, []byte) (accel.Matrix, error) {
	return sleepyMatrix{s}, nil
}

type sleepyMatrix struct{ s *sleepy }

func (m sleepyMatrix) Free() {}
func (m sleepyMatrix) MatMul(x []float32, batch int, out []float32) error {
	time.Sleep(m.s.cost)
	if err := m.s.cpu(x, batch, out); err != nil {
		return err
	}
	if m.s.wrong {
		out[0] += 1000
	}
	return nil
}

func testWeight(t testing.TB, typ kernels.Type, rows, cols int) accel.Weight {
	data, err := acceltest.RandomWeights(typ, rows, cols, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return accel.Weight{Name: "w", Type: typ, Rows: rows, Cols: cols, Data: data}
}

func TestMeasureFindsCrossover(t *testing.T) {
	w := testWeight(t, kernels.Q8_0, 16, 64)
	exact, err := accel.CPUMatMul(w, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The CPU costs 1ms per activation row, the backend 20ms per call:
	// the backend wins from batch 64 (64ms) on and loses at 8 (8ms), with
	// margins wide enough for sleep jitter on a loaded machine.
	cpu := func(x []float32, batch int, out []float32) error {
		time.Sleep(time.Duration(batch) * time.Millisecond)
		return exact(x, batch, out)
	}
	b := &sleepy{cost: 20 * time.Millisecond, cpu: exact}
	opts := accel.MeasureOptions{Batches: []int{128, 1, 8, 64}, MinTime: time.Millisecond, MaxRuns: 3}
	rep, err := accel.Measure(b, w, cpu, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.MinBatch != 64 || !rep.Offload(64) || !rep.Offload(500) || rep.Offload(8) {
		t.Errorf("MinBatch %d, want 64", rep.MinBatch)
	}
	if len(rep.Samples) != 4 || rep.Samples[0].Batch != 1 || rep.Samples[0].NMSE != 0 {
		t.Errorf("samples %+v", rep.Samples)
	}
	if got := accel.Best([]accel.Report{{Backend: "never"}, rep}, 100); got != 1 {
		t.Errorf("Best at 100: %d", got)
	}
	if got := accel.Best([]accel.Report{rep}, 4); got != -1 {
		t.Errorf("Best at 4: %d", got)
	}

	b.wrong = true
	if _, err := accel.Measure(b, w, exact, accel.MeasureOptions{Batches: []int{1}, MaxRuns: 1}); !errors.Is(err, accel.ErrWrongResult) {
		t.Errorf("wrong backend: %v, want ErrWrongResult", err)
	}
	if _, err := accel.Measure(b, w, cpu, accel.MeasureOptions{Batches: []int{0}}); err == nil {
		t.Error("batch 0 accepted")
	}
}

// TestBackendsThroughInterface runs each real backend through accel.Open
// and Measure on a small weight: Vulkan on whatever driver is installed
// (lavapipe in CI), the NPU backend on its ABI double.
func TestBackendsThroughInterface(t *testing.T) {
	for _, kind := range accel.Kinds {
		t.Run(kind, func(t *testing.T) {
			opts := accel.Options{}
			if kind == "rknpu" {
				opts.RKNNLibrary = acceltest.BuildFakeRKNN(t)
			}
			b, err := accel.Open(kind, opts)
			if err != nil {
				if errors.Is(err, accel.ErrUnavailable) {
					acceltest.Unavailable(t, kind, err)
				}
				t.Fatal(err)
			}
			defer b.Close()
			for _, typ := range []kernels.Type{kernels.Q4_0, kernels.Q8_0, kernels.Q4_K, kernels.Q6_K, kernels.F16} {
				if !b.Supports(typ) {
					t.Errorf("%s does not support %v", b.Name(), typ)
				}
			}
			w := testWeight(t, kernels.Q4_0, 96, 256)
			cpu, err := accel.CPUMatMul(w, runtime.GOMAXPROCS(0))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := accel.Measure(b, w, cpu, accel.MeasureOptions{Batches: []int{1, 8, 40}, MinTime: time.Millisecond, MaxRuns: 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(rep)
			for _, s := range rep.Samples {
				t.Logf("batch %d: NMSE vs the CPU's quantized path %.3g", s.Batch, s.NMSE)
			}
		})
	}
}
