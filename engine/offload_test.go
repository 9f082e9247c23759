package engine

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baylingd/baylingd/accel"
	"github.com/baylingd/baylingd/internal/acceltest"
	"github.com/baylingd/baylingd/kernels"
)

// syncBuffer collects a logger's output from any goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func bufLogger() (*slog.Logger, *syncBuffer) {
	b := &syncBuffer{}
	return slog.New(slog.NewTextHandler(b, nil)), b
}

// quickMeasure keeps start-up measurements short on the test machine.
var quickMeasure = accel.MeasureOptions{MinTime: time.Millisecond, MaxRuns: 2}

// fakeBackend computes on the CPU (accel.CPUMatMul). With memo set it is
// "fast": it answers a repeated input from the previous call's result, so
// accel.Measure, which repeats the same activations, times a copy (its
// untimed first call computes). Without it, it sleeps before computing,
// so it always loses.
type fakeBackend struct {
	name   string
	memo   bool
	closed atomic.Bool
}

func (f *fakeBackend) Name() string               { return f.name }
func (f *fakeBackend) Supports(kernels.Type) bool { return true }
func (f *fakeBackend) Close() error               { f.closed.Store(true); return nil }
func (f *fakeBackend) Upload(name string, t kernels.Type, rows, cols int, data []byte) (accel.Matrix, error) {
	cpu, err := accel.CPUMatMul(accel.Weight{Name: name, Type: t, Rows: rows, Cols: cols, Data: data}, 1)
	if err != nil {
		return nil, err
	}
	return &fakeMatrix{f: f, cpu: cpu}, nil
}

type fakeMatrix struct {
	f     *fakeBackend
	cpu   accel.CPUFunc
	lastX []float32
	lastY []float32
}

func (m *fakeMatrix) Free() {}
func (m *fakeMatrix) MatMul(x []float32, batch int, out []float32) error {
	if m.f.memo && len(m.lastX) > 0 && len(m.lastX) == len(x) && &m.lastX[0] == &x[0] {
		copy(out, m.lastY)
		return nil
	}
	if !m.f.memo {
		time.Sleep(20 * time.Millisecond)
	}
	if err := m.cpu(x, batch, out); err != nil {
		return err
	}
	m.lastX, m.lastY = x, append(m.lastY[:0], out...)
	return nil
}

func withOpeners(t *testing.T, all func(accel.Options) ([]accel.Backend, []error, []error), one func(string, accel.Options) (accel.Backend, error)) {
	oa, o := openAvailable, openBackend
	t.Cleanup(func() { openAvailable, openBackend = oa, o })
	if all != nil {
		openAvailable = all
	}
	if one != nil {
		openBackend = one
	}
}

// TestChooseAccelAuto: auto picks the backend that wins, from the batch
// where it wins, closes the others, and logs what it measured and why.
func TestChooseAccelAuto(t *testing.T) {
	m, _ := loadGolden(t, "tiny-llama2-q4_0.l2-en-de")
	fast, slow := &fakeBackend{name: "fast", memo: true}, &fakeBackend{name: "slow"}
	missing := &accel.UnavailableError{Kind: "rknpu", Reason: "librknnrt.so: not found"}
	withOpeners(t, func(accel.Options) ([]accel.Backend, []error, []error) {
		return []accel.Backend{slow, fast}, []error{missing}, nil
	}, nil)
	log, buf := bufLogger()
	ch, err := ChooseAccel(m, AccelOptions{Mode: "auto", Threads: 2, MaxBatch: 64, MaxDecode: 4, Measure: quickMeasure, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	t.Log(buf.String())
	if ch.Backend != accel.Backend(fast) || ch.MinBatch != 1 || ch.Name() != "fast" {
		t.Errorf("chose %s from batch %d, want fast from 1", ch.Name(), ch.MinBatch)
	}
	if !slow.closed.Load() || fast.closed.Load() {
		t.Errorf("closed: slow %v, fast %v", slow.closed.Load(), fast.closed.Load())
	}
	if len(ch.Measured) != 2 || ch.Measured[0].MinBatch != 0 || len(ch.Measured[0].Reports) != 1 || len(ch.Measured[1].Reports) != 2 {
		t.Errorf("measured %+v", ch.Measured)
	}
	// The slow one was dropped after the probe at the largest batch.
	if s := ch.Measured[0].Reports[0].Samples; len(s) != 1 || s[0].Batch != 64 {
		t.Errorf("slow backend samples %+v", s)
	}
	if got := ch.Measured[1].Reports[1].Samples; len(got) != 4 || got[len(got)-1].Batch != 64 {
		t.Errorf("batches measured %+v, want 1, 8, 32 and the MaxBatch 64", got)
	}
	for _, want := range []string{"librknnrt.so: not found", "accelerator measured", "backend=fast", "min_batch=1"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if o := ch.Offload(); o.Backend != ch.Backend || o.MinBatch != 1 {
		t.Errorf("Offload() = %+v", o)
	}
}

// TestChooseAccelDemanded: a demanded backend is used for every pass
// above a decode step even when it measures slower, and its absence is an
// error that says which backend and why.
func TestChooseAccelDemanded(t *testing.T) {
	m, _ := loadGolden(t, "tiny-llama2-q4_0.l2-en-de")
	slow := &fakeBackend{name: "slow"}
	withOpeners(t, nil, func(kind string, o accel.Options) (accel.Backend, error) {
		if kind == "vulkan" {
			return slow, nil
		}
		return accel.Open(kind, o)
	})
	log, buf := bufLogger()
	ch, err := ChooseAccel(m, AccelOptions{Mode: "vulkan", Threads: 2, MaxBatch: 64, MaxDecode: 4, Measure: quickMeasure, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Backend != accel.Backend(slow) || ch.MinBatch != 5 || len(ch.Measured) != 1 || ch.Measured[0].MinBatch != 0 {
		t.Errorf("demanded: %s from %d, measured %+v", ch.Name(), ch.MinBatch, ch.Measured)
	}
	if !strings.Contains(buf.String(), "slower than the CPU") {
		t.Errorf("no warning about the slower device in %s", buf.String())
	}
	ch.Close()
	if !slow.closed.Load() {
		t.Error("Close did not close the backend")
	}

	_, err = ChooseAccel(m, AccelOptions{Mode: "rknpu", Open: accel.Options{RKNNLibrary: "/nonexistent/librknnrt.so"}, Threads: 2, MaxBatch: 64})
	if !errors.Is(err, accel.ErrUnavailable) || !strings.Contains(err.Error(), `"rknpu" is demanded`) {
		t.Errorf("rknpu without its library: %v", err)
	}
	t.Logf("rknpu without its library: %v", err)

	ch, err = ChooseAccel(m, AccelOptions{Mode: "cpu"})
	if err != nil || ch.Backend != nil || ch.Name() != "cpu" || ch.Offload().Backend != nil {
		t.Errorf("cpu: %+v, %v", ch, err)
	}
	if _, err := ChooseAccel(m, AccelOptions{Mode: "gpu"}); err == nil {
		t.Error("mode gpu accepted")
	}
}

// TestChooseAccelReal runs the decision on the real backends of this
// machine: the NPU binding over its ABI double computes on the CPU, so
// auto must keep the CPU after measuring it; Vulkan joins auto only with a
// GPU render node (without one, lavapipe — a CPU driver — is reported
// unavailable to auto); demanding Vulkan uses lavapipe anyway.
func TestChooseAccelReal(t *testing.T) {
	m, _ := loadGolden(t, "tiny-llama2-q4_0.l2-en-de")
	opts := accel.Options{RKNNLibrary: acceltest.BuildFakeRKNN(t), BatchTile: 8}
	log, buf := bufLogger()
	ch, err := ChooseAccel(m, AccelOptions{Mode: "auto", Open: opts, Threads: 2, MaxBatch: 64, MaxDecode: 4, Measure: quickMeasure, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	t.Log(buf.String())
	wantMeasured := 2
	if _, err := os.Stat("/dev/dri"); err != nil {
		wantMeasured = 1 // no GPU: auto leaves Vulkan alone
		found := false
		for _, err := range ch.Unavailable {
			found = found || strings.Contains(err.Error(), "no GPU render node")
		}
		if !found {
			t.Errorf("without a render node, auto did not report Vulkan unavailable: %v", ch.Unavailable)
		}
	}
	if len(ch.Measured) != wantMeasured {
		t.Fatalf("measured %d backends, want %d: %+v", len(ch.Measured), wantMeasured, ch.Measured)
	}
	for _, me := range ch.Measured {
		if me.Err != nil {
			t.Errorf("%s: %v", me.Backend, me.Err)
		}
	}
	if ch.Backend != nil {
		// Not impossible on a machine with a real GPU; here it would mean
		// the measurement is broken.
		t.Logf("auto chose %s from batch %d", ch.Name(), ch.MinBatch)
		if strings.Contains(ch.Name(), "llvmpipe") {
			t.Errorf("auto chose lavapipe over the CPU kernels")
		}
	}

	// Demanded, on the machine's real Vulkan device, through a runner:
	// the prompt goes to the device, the text is llama.cpp's.
	ch2, err := ChooseAccel(m, AccelOptions{Mode: "vulkan", Threads: 2, MaxBatch: 64, MaxDecode: 4, Measure: quickMeasure})
	if err != nil {
		if errors.Is(err, accel.ErrUnavailable) {
			acceltest.Unavailable(t, "vulkan", err)
		}
		t.Fatal(err)
	}
	defer ch2.Close()
	_, g := loadGolden(t, "tiny-llama2-q4_0.l2-en-de")
	r, err := NewRunner(m, RunnerOptions{Threads: 2, ContextSize: 256, MaxBatch: 64, MaxActive: 4, Offload: ch2.Offload()})
	if err != nil {
		t.Fatal(err)
	}
	n := g.GreedyPrefix()
	s, err := r.Submit(context.Background(), Request{Tokens: g.Tokens, MaxTokens: n})
	if err != nil {
		t.Fatal(err)
	}
	text, _, err := s.Wait(context.Background())
	st := r.OffloadStats()
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString(g.GreedyTextHex)
	if text = strings.TrimSuffix(text, "\uFFFD"); !strings.HasPrefix(string(want), text) || len(text) == 0 {
		t.Errorf("with the prompt on %s: %q, want a prefix of %q", ch2.Name(), text, want)
	}
	// Each prompt chunk (PrefillChunk, 64 tokens) of at least MinBatch
	// tokens is one pass on the device of the first layer's 7 matrices and
	// the last (second) layer's Q, K and V; the rest of the last layer runs
	// only on the token that needs logits (none, or the prompt's last), on
	// the CPU, as do decode steps.
	var calls, rows int64
	for left := len(g.Tokens); left > 0; left -= 64 {
		if c := min(left, 64); c >= 5 {
			calls += 7 + 3
			rows += int64((7 + 3) * c)
		}
	}
	if st.Calls != calls || st.Rows != rows || st.Err != nil || st.MinBatch != 5 {
		t.Errorf("offload stats %+v, want %d calls of %d rows in all", st, calls, rows)
	}
	t.Logf("prompt of %d tokens on %s: %+v", len(g.Tokens), ch2.Name(), st)
}
