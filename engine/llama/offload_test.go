package llama

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/baylingd/baylingd/accel"
	"github.com/baylingd/baylingd/internal/acceltest"
	"github.com/baylingd/baylingd/internal/fixtures"
	"github.com/baylingd/baylingd/kernels"
)

// openBackend opens an offload backend for a test: Vulkan with the
// validation layer on where installed (any message fails the test), the
// NPU backend on the ABI double of librknnrt.so built from
// accel/rknpu/testdata. A missing driver skips, or fails under CI=true.
func openBackend(t *testing.T, kind string) accel.Backend {
	t.Helper()
	var opts accel.Options
	switch kind {
	case "vulkan":
		var mu sync.Mutex
		opts.Validation = true
		opts.OnMessage = func(sev, msg string) {
			mu.Lock()
			defer mu.Unlock()
			t.Errorf("vulkan %s message: %s", sev, msg)
		}
	case "rknpu":
		opts.RKNNLibrary = acceltest.BuildFakeRKNN(t)
		// Eight activation rows per NPU call instead of 64: the double
		// computes on the CPU, so a decode step padded to 64 rows would
		// cost the test 64 times its work, and the tiling is exercised
		// all the same (a 70-token prompt is nine tiles, one partial).
		opts.BatchTile = 8
	}
	b, err := accel.Open(kind, opts)
	if err != nil {
		if errors.Is(err, accel.ErrUnavailable) {
			acceltest.Unavailable(t, kind, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// npuLimits are the parity limits of the NPU path. It quantizes weights
// and activations to int8 with one scale per row (accel/rknpu), where the
// CPU, as llama.cpp, keeps the weights as stored and rounds activations to
// Q8 blocks of 32 or 256 values. For random normal rows of n values the
// largest is about 3 standard deviations, so a per-row int8 step costs an
// NMSE of (3/127)^2/12, about 5e-5, per operand and per matmul, against
// about 2.3e-5 for a Q8_0 block: roughly twice the rounding of storing the
// weights Q8_0, which the fixtures README puts at 1.3e-4 on the logits.
// Measured on the goldens over the ABI double (which computes the int8
// products exactly, as the NPU does), the last-position NMSE is 2e-5 to
// 2.4e-4 (printed by TestOffloadParity), so the README's 1e-4 cannot hold
// on the tiny-llama models. The bound asserted is 1e-3: four times the
// worst measured, and still 14 times below Q4_0's 1.4e-2, so a wrong
// layout, scale or chunking (NMSE about 1) cannot pass.
//
// The same error moves a logit by about sqrt(NMSE) x rms(logits), 0.05 at
// 2.4e-4, so top-1/top-2 gaps of 0.05 to 0.15 can flip (they do, on the
// Q4 goldens). The top-1 and greedy checks therefore treat as near-ties the
// gaps within 4 standard deviations of the difference of two logit errors
// (about 0.25 at the worst measured NMSE), instead of the README's 0.05,
// which assumes llama.cpp's own rounding.
var npuLimits = parityLimits{maxNMSE: 1e-3, tieSigmas: 4}

// TestOffloadParity runs the fixture parity test with offload forced on
// for every pass (MinBatch 1: prompt and decode steps) on each backend:
// Vulkan (Mesa's lavapipe here) against the fixtures README's metrics as
// they stand, the NPU backend on its ABI double against npuLimits. The
// NMSE with offload is printed next to the CPU's.
func TestOffloadParity(t *testing.T) {
	goldens := fixtures.Goldens(t)
	cpu := map[string]parityResult{}
	for _, kind := range accel.Kinds {
		t.Run(kind, func(t *testing.T) {
			b := openBackend(t, kind)
			lim := readmeLimits
			if kind == "rknpu" {
				lim = npuLimits
			}
			for _, g := range goldens {
				t.Run(g.Name, func(t *testing.T) {
					o := Options{Threads: 2, ContextSize: 256, MaxBatch: 64}
					c, ok := cpu[g.Name]
					if !ok {
						c = parity(t, g, o, readmeLimits)
						cpu[g.Name] = c
					}
					o.Accel = Offload{Backend: b, MinBatch: 1}
					dev := parity(t, g, o, lim)
					t.Logf("%s on %s: NMSE %.3g offloaded (limit %.0e), %.3g on the CPU; offloaded: %s",
						g.Name, b.Name(), dev.nmse, lim.maxNMSE, c.nmse, dev)
				})
			}
		})
	}
}

// hostBackend is an offload backend that computes on the CPU (through
// accel.CPUMatMul), counting calls; with failAfter > 0 its calls fail from
// that many on. It tests the engine's side of offload without a driver.
type hostBackend struct {
	supports  func(kernels.Type) bool
	calls     atomic.Int64
	rows      atomic.Int64
	failAfter int64
	uploaded  atomic.Int64
	freed     atomic.Int64
}

func (h *hostBackend) Name() string { return "host" }
func (h *hostBackend) Supports(t kernels.Type) bool {
	return h.supports == nil || h.supports(t)
}
func (h *hostBackend) Close() error { return nil }
func (h *hostBackend) Upload(name string, t kernels.Type, rows, cols int, data []byte) (accel.Matrix, error) {
	f, err := accel.CPUMatMul(accel.Weight{Name: name, Type: t, Rows: rows, Cols: cols, Data: data}, 1)
	if err != nil {
		return nil, err
	}
	h.uploaded.Add(1)
	return &hostMatrix{h: h, f: f}, nil
}

type hostMatrix struct {
	h *hostBackend
	f accel.CPUFunc
}

func (m *hostMatrix) Free() { m.h.freed.Add(1) }
func (m *hostMatrix) MatMul(x []float32, batch int, out []float32) error {
	n := m.h.calls.Add(1)
	if m.h.failAfter > 0 && n >= m.h.failAfter {
		return fmt.Errorf("device lost")
	}
	m.h.rows.Add(int64(batch))
	return m.f(x, batch, out)
}

// TestOffloadDecision checks which passes go to the backend: passes of at
// least MinBatch tokens, every layer matrix of a supported type, never the
// output projection; and that the uploads are freed with the context.
func TestOffloadDecision(t *testing.T) {
	m := synthModel(t, "q4_k_m")
	types := map[kernels.Type]int{}
	for _, l := range m.Layers {
		for _, w := range []Weight{l.Wq, l.Wk, l.Wv, l.Wo, l.FFNGate, l.FFNUp, l.FFNDown} {
			types[w.Type]++
		}
	}
	if len(types) < 2 {
		t.Fatalf("the q4_k_m mix has layer types %v; the test needs two", types)
	}
	// The backend supports only Q4_K: the others stay on the CPU in the
	// same pass (attn_v and ffn_down are Q6_K in this mix).
	h := &hostBackend{supports: func(t kernels.Type) bool { return t == kernels.Q4_K }}
	c, err := m.NewContext(Options{Threads: 2, ContextSize: 128, MaxBatch: 32, Accel: Offload{Backend: h, MinBatch: 8}})
	if err != nil {
		t.Fatal(err)
	}
	up := int(h.uploaded.Load())
	if up != types[kernels.Q4_K] {
		t.Errorf("uploaded %d matrices, want the %d Q4_K ones", up, types[kernels.Q4_K])
	}
	seq, _ := c.NewSeq()
	prompt := make([]int32, 20)
	seqs := make([]int32, len(prompt))
	for i := range prompt {
		prompt[i] = int32(i*31%500 + 3)
		seqs[i] = int32(seq)
	}
	// Logits for every token, so that the last block too runs on all 20
	// (with the last token's only, it runs on that one, on the CPU).
	all := slices.Repeat([]bool{true}, len(prompt))
	if err := c.Decode(Batch{Tokens: prompt, Seqs: seqs, Logits: all}); err != nil {
		t.Fatal(err)
	}
	if got := h.calls.Load(); got != int64(up) {
		t.Errorf("a 20-token prompt made %d device calls, want one per uploaded matrix (%d)", got, up)
	}
	if got := h.rows.Load(); got != int64(20*up) {
		t.Errorf("%d rows sent, want %d", got, 20*up)
	}
	if err := c.Decode(Batch{Tokens: []int32{5}, Seqs: []int32{int32(seq)}}); err != nil {
		t.Fatal(err)
	}
	if got := h.calls.Load(); got != int64(up) {
		t.Errorf("a decode step went to the device (%d calls)", got-int64(up))
	}
	st := c.OffloadStats()
	if st.Backend != "host" || st.MinBatch != 8 || st.Matrices != up || st.Calls != int64(up) || st.Rows != int64(20*up) || st.Err != nil {
		t.Errorf("stats %+v", st)
	}
	c.Close()
	if h.freed.Load() != int64(up) {
		t.Errorf("%d of %d uploads freed by Close", h.freed.Load(), up)
	}

	// Without offload the same model computes the same logits (the host
	// backend multiplies float activations, so not bit for bit).
	ref := offloadLogits(t, m, Offload{})
	got := offloadLogits(t, m, Offload{Backend: &hostBackend{}, MinBatch: 1})
	if e := fixtures.NMSE(got, ref); e > 1e-4 {
		t.Errorf("logits with offload differ from the CPU's by NMSE %.3g", e)
	}
}

// TestOffloadFailure: a device error mid-pass costs nothing but speed:
// the pass completes on the CPU with the same logits, offload stops, and
// the error is reported.
func TestOffloadFailure(t *testing.T) {
	m := synthModel(t, "q8_0")
	ref := offloadLogits(t, m, Offload{})
	// Fail on the fifth call: the middle of the first layer.
	h := &hostBackend{failAfter: 5}
	c, err := m.NewContext(Options{Threads: 2, ContextSize: 128, MaxBatch: 32, Accel: Offload{Backend: h, MinBatch: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := decodeLast(t, c)
	// The products before the failure came from the host backend (float
	// activations), the rest from the CPU kernels: close, not equal.
	if e := fixtures.NMSE(got, ref); e > 1e-4 {
		t.Errorf("logits after a device failure differ from the CPU's by NMSE %.3g", e)
	}
	st := c.OffloadStats()
	if st.Err == nil || st.Calls != 4 {
		t.Errorf("stats after the failure: %+v", st)
	}
	t.Logf("reported: %v", st.Err)
	calls := h.calls.Load()
	s2, err := c.NewSeq()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Decode(Batch{Tokens: []int32{1, 2, 3}, Seqs: []int32{int32(s2), int32(s2), int32(s2)}}); err != nil {
		t.Fatal(err)
	}
	if h.calls.Load() != calls {
		t.Error("the backend was called again after it failed")
	}
}

// decodeLast runs a fixed prompt on a fresh sequence of c and returns the
// last position's logits.
func decodeLast(t *testing.T, c *Context) []float32 {
	t.Helper()
	seq, err := c.NewSeq()
	if err != nil {
		t.Fatal(err)
	}
	prompt := make([]int32, 24)
	seqs := make([]int32, len(prompt))
	for i := range prompt {
		prompt[i] = int32(i*37%500 + 3)
		seqs[i] = int32(seq)
	}
	if err := c.Decode(Batch{Tokens: prompt, Seqs: seqs}); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), c.Logits(0)...)
}

func offloadLogits(t *testing.T, m *Model, o Offload) []float32 {
	t.Helper()
	c, err := m.NewContext(Options{Threads: 2, ContextSize: 128, MaxBatch: 32, Accel: o})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return decodeLast(t, c)
}

// TestCPUMatMul: the context's CPU path, as accel.Measure sees it, is the
// product of the weights and the activations.
func TestCPUMatMul(t *testing.T) {
	m := synthModel(t, "q4_0")
	c, err := m.NewContext(Options{Threads: 2, ContextSize: 64, MaxBatch: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := &m.Layers[0].FFNUp
	f := c.CPUMatMul(w)
	x := make([]float32, 16*w.Cols)
	for i := range x {
		x[i] = float32(i%13) - 6
	}
	out := make([]float32, 16*w.Rows)
	if err := f(x, 16, out); err != nil {
		t.Fatal(err)
	}
	ref, err := acceltest.Reference(w.Type, w.Rows, w.Cols, w.Data[:w.Rows*w.RowBytes], x, 16)
	if err != nil {
		t.Fatal(err)
	}
	// Q8_0 activations against the float64 product.
	if e := acceltest.NMSE(out, ref); e > 1e-3 {
		t.Errorf("NMSE %.3g", e)
	}
	if err := f(x, 17, out); err == nil {
		t.Error("a batch above MaxBatch was accepted")
	}
}
