//go:build linux && (amd64 || arm64)

package vulkan

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/baylingd/baylingd/internal/acceltest"
	"github.com/baylingd/baylingd/kernels"
)

// openTest opens a backend with the validation layer on when it is
// installed, and fails the test on any validation or driver message of
// warning or error severity. Without a loader or device it skips, or fails
// under CI=true.
func openTest(t testing.TB, cfg Config) *Backend {
	t.Helper()
	cfg.Validation = true
	var mu sync.Mutex
	cfg.OnMessage = func(sev, msg string) {
		mu.Lock()
		defer mu.Unlock()
		t.Errorf("vulkan %s message: %s", sev, msg)
	}
	b, err := Open(cfg)
	if err != nil {
		if IsUnavailable(err) {
			acceltest.Unavailable(t, "Vulkan", err)
		}
		t.Fatal(err)
	}
	if !b.ValidationEnabled() {
		if acceltest.CI() {
			t.Errorf("validation layer %s not installed under CI=true (apt: vulkan-validationlayers)", validationLayer)
		} else {
			t.Logf("validation layer not installed; running without it")
		}
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// checkMatMul uploads random weights, multiplies random batches and
// compares with the float64 reference.
func checkMatMul(t *testing.T, b *Backend, typ kernels.Type, rows, cols int, batches []int, rng *rand.Rand) float64 {
	t.Helper()
	data, err := acceltest.RandomWeights(typ, rows, cols, rng)
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.Upload("w", typ, rows, cols, data)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	worst := 0.0
	for _, batch := range batches {
		x := acceltest.RandomActivations(batch*cols, rng)
		ref, err := acceltest.Reference(typ, rows, cols, data, x, batch)
		if err != nil {
			t.Fatal(err)
		}
		// Guard values past the end must stay untouched.
		out := make([]float32, batch*rows+7)
		for i := range out {
			out[i] = 12345
		}
		if err := m.MatMul(x, batch, out); err != nil {
			t.Fatalf("%v %dx%d batch %d: %v", typ, rows, cols, batch, err)
		}
		for i := batch * rows; i < len(out); i++ {
			if out[i] != 12345 {
				t.Fatalf("%v %dx%d batch %d: wrote past the output at %d", typ, rows, cols, batch, i)
			}
		}
		e := acceltest.NMSE(out, ref)
		if e > 1e-6 {
			t.Errorf("%v %dx%d batch %d: NMSE %.3g > 1e-6", typ, rows, cols, batch, e)
		}
		worst = max(worst, e)
	}
	return worst
}

func TestMatMulMatchesReference(t *testing.T) {
	b := openTest(t, Config{})
	t.Logf("device: %s (%s, Vulkan %s)", b.Device().Name, b.Device().Type, b.Device().APIVersion)
	rng := rand.New(rand.NewPCG(1, 2))
	// Rows that are not multiples of the 32-row tile, K that is an odd
	// number of blocks (so Q4_0, Q8_0 and Q6_K rows start 2-aligned but
	// not 4-aligned), batches below, at and above the 32-wide tile.
	cases := []struct {
		t          kernels.Type
		rows, cols int
	}{
		{kernels.Q4_0, 67, 32 * 5},
		{kernels.Q4_0, 1, 32},
		{kernels.Q8_0, 45, 32 * 7},
		{kernels.Q4_K, 37, 256 * 3},
		{kernels.Q6_K, 33, 256 * 3},
		{kernels.F16, 41, 77},
		{kernels.F16, 3, 1},
	}
	batches := []int{1, 3, 17, 33}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v_%dx%d", c.t, c.rows, c.cols), func(t *testing.T) {
			e := checkMatMul(t, b, c.t, c.rows, c.cols, batches, rng)
			t.Logf("worst NMSE %.3g", e)
		})
	}
}

// TestStagingAndSplitting covers the paths lavapipe does not take by
// default: uploads through the staging buffer in several pieces, weights
// split over several buffers, and batches split over several submissions.
func TestStagingAndSplitting(t *testing.T) {
	b := openTest(t, Config{ForceStaging: true, StagingBytes: 1000, MaxBufferBytes: 4096})
	rng := rand.New(rand.NewPCG(3, 4))
	data, err := acceltest.RandomWeights(kernels.Q8_0, 150, 32*9, rng)
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.Upload("split", kernels.Q8_0, 150, 32*9, data)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	if m.Chunks() < 2 {
		t.Fatalf("expected the weights split over several buffers, got %d", m.Chunks())
	}
	for _, batch := range []int{1, 5, 9} { // 9 rows of 288 floats exceed 4096 bytes
		x := acceltest.RandomActivations(batch*m.Cols(), rng)
		ref, _ := acceltest.Reference(kernels.Q8_0, 150, 32*9, data, x, batch)
		out := make([]float32, batch*150)
		if err := m.MatMul(x, batch, out); err != nil {
			t.Fatal(err)
		}
		if e := acceltest.NMSE(out, ref); e > 1e-6 {
			t.Errorf("batch %d: NMSE %.3g", batch, e)
		}
	}
	for _, typ := range []kernels.Type{kernels.Q4_0, kernels.Q6_K, kernels.F16} {
		checkMatMul(t, b, typ, 70, 256, []int{2}, rng)
	}
}

func TestTiming(t *testing.T) {
	b := openTest(t, Config{})
	rng := rand.New(rand.NewPCG(5, 6))
	data, _ := acceltest.RandomWeights(kernels.Q4_0, 64, 256, rng)
	m, err := b.Upload("t", kernels.Q4_0, 64, 256, data)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	x := acceltest.RandomActivations(8*256, rng)
	out := make([]float32, 8*64)
	if err := m.MatMul(x, 8, out); err != nil {
		t.Fatal(err)
	}
	tm := m.LastTiming()
	if tm.Total <= 0 {
		t.Errorf("no wall time recorded: %+v", tm)
	}
	if b.queryPool != 0 && tm.Kernel <= 0 {
		t.Errorf("timestamps available but no kernel time: %+v", tm)
	}
	t.Logf("8x64x256 Q4_0: %+v", tm)
}

// TestLifecycle creates and destroys backends and matrices repeatedly;
// with the validation layer on, any Vulkan object left alive at
// vkDestroyDevice or vkDestroyInstance is reported and fails the test.
func TestLifecycle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	data, _ := acceltest.RandomWeights(kernels.Q8_0, 40, 64, rng)
	x := acceltest.RandomActivations(2*64, rng)
	out := make([]float32, 2*40)
	for i := 0; i < 4; i++ {
		b := openTest(t, Config{})
		m1, err := b.Upload("a", kernels.Q8_0, 40, 64, data)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := b.Upload("b", kernels.Q8_0, 40, 64, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := m1.MatMul(x, 2, out); err != nil {
			t.Fatal(err)
		}
		m1.Free()
		m1.Free() // idempotent
		if err := m1.MatMul(x, 2, out); !errors.Is(err, ErrClosed) {
			t.Errorf("MatMul after Free: %v, want ErrClosed", err)
		}
		// m2 is left for Close to free.
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if err := m2.MatMul(x, 2, out); !errors.Is(err, ErrClosed) {
			t.Errorf("MatMul after Close: %v, want ErrClosed", err)
		}
		m2.Free()
		if _, err := b.Upload("c", kernels.Q8_0, 40, 64, data); !errors.Is(err, ErrClosed) {
			t.Errorf("Upload after Close: %v, want ErrClosed", err)
		}
	}
}

func TestBadInput(t *testing.T) {
	b := openTest(t, Config{})
	rng := rand.New(rand.NewPCG(9, 10))
	data, _ := acceltest.RandomWeights(kernels.Q4_0, 10, 64, rng)
	for _, c := range []struct {
		name       string
		t          kernels.Type
		rows, cols int
		data       []byte
	}{
		{"unsupported type", kernels.Q5_K, 10, 256, make([]byte, 10*176)},
		{"unknown type", kernels.Type(99), 10, 64, data},
		{"zero rows", kernels.Q4_0, 0, 64, nil},
		{"negative cols", kernels.Q4_0, 10, -64, data},
		{"partial block", kernels.Q4_0, 10, 60, data},
		{"short data", kernels.Q4_0, 10, 64, data[:len(data)-1]},
		{"long data", kernels.Q4_0, 10, 64, append(data[:len(data):len(data)], 0)},
		{"nil data", kernels.Q4_0, 10, 64, nil},
	} {
		if m, err := b.Upload(c.name, c.t, c.rows, c.cols, c.data); err == nil {
			m.Free()
			t.Errorf("%s: Upload succeeded", c.name)
		}
	}
	m, err := b.Upload("ok", kernels.Q4_0, 10, 64, data)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	x := make([]float32, 3*64)
	out := make([]float32, 3*10)
	for _, c := range []struct {
		name  string
		x     []float32
		batch int
		out   []float32
	}{
		{"zero batch", x, 0, out},
		{"negative batch", x, -1, out},
		{"short x", x[:3*64-1], 3, out},
		{"short out", x, 3, out[:29]},
		{"nil", nil, 1, nil},
	} {
		if err := m.MatMul(c.x, c.batch, c.out); err == nil {
			t.Errorf("%s: MatMul succeeded", c.name)
		}
	}
	if err := m.MatMul(x, 3, out); err != nil {
		t.Errorf("valid call after bad ones: %v", err)
	}
}

func TestDeviceSelection(t *testing.T) {
	devs, err := Devices(Config{})
	if err != nil {
		if IsUnavailable(err) {
			acceltest.Unavailable(t, "Vulkan", err)
		}
		t.Fatal(err)
	}
	if len(devs) == 0 {
		acceltest.Unavailable(t, "a Vulkan device", errors.New("none listed"))
	}
	for _, d := range devs {
		t.Logf("device %d: %s (%s, %s) usable=%v %s", d.Index, d.Name, d.Type, d.APIVersion, d.Usable, d.Reason)
	}
	first := devs[0]
	b := openTest(t, Config{Device: "0"})
	if b.Device().Name != first.Name {
		t.Errorf("device 0 is %q, opened %q", first.Name, b.Device().Name)
	}
	word := strings.Fields(first.Name)[0]
	b2 := openTest(t, Config{Device: strings.ToUpper(word)})
	if !strings.Contains(b2.Name(), word) {
		t.Errorf("device %q opened %q", word, b2.Name())
	}
	t.Setenv(EnvDevice, "0")
	b3 := openTest(t, Config{})
	if b3.Device().Index != 0 {
		t.Errorf("%s=0 opened device %d", EnvDevice, b3.Device().Index)
	}
	for _, bad := range []string{"99", "-1", "no such device"} {
		if _, err := Open(Config{Device: bad}); !IsUnavailable(err) {
			t.Errorf("Device %q: got %v, want an unavailable error", bad, err)
		}
	}
	if _, err := Open(Config{Library: "libvulkan-does-not-exist.so.9"}); !IsUnavailable(err) {
		t.Errorf("missing library: got %v, want an unavailable error", err)
	}
}

// TestScratchRegrowth makes one matrix grow the shared activation and
// result buffers while another matrix's descriptor sets still point at the
// old ones; the second must rebind before its next run.
func TestScratchRegrowth(t *testing.T) {
	b := openTest(t, Config{})
	rng := rand.New(rand.NewPCG(19, 20))
	small, _ := acceltest.RandomWeights(kernels.Q8_0, 8, 64, rng)
	big, _ := acceltest.RandomWeights(kernels.F16, 40, 2048, rng)
	ms, err := b.Upload("small", kernels.Q8_0, 8, 64, small)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := b.Upload("big", kernels.F16, 40, 2048, big)
	if err != nil {
		t.Fatal(err)
	}
	run := func(m *Matrix, typ kernels.Type, data []byte, batch int) {
		t.Helper()
		x := acceltest.RandomActivations(batch*m.Cols(), rng)
		ref, _ := acceltest.Reference(typ, m.Rows(), m.Cols(), data, x, batch)
		out := make([]float32, batch*m.Rows())
		if err := m.MatMul(x, batch, out); err != nil {
			t.Fatal(err)
		}
		if e := acceltest.NMSE(out, ref); e > 1e-6 {
			t.Errorf("%dx%d batch %d: NMSE %.3g", m.Rows(), m.Cols(), batch, e)
		}
	}
	run(ms, kernels.Q8_0, small, 2)
	gen := b.scratchGen
	run(mb, kernels.F16, big, 200) // 200 x 2048 floats: 1.6 MB, past the first 1 MiB
	if b.scratchGen == gen {
		t.Fatalf("scratch buffers did not grow")
	}
	run(ms, kernels.Q8_0, small, 3)
	run(mb, kernels.F16, big, 1)
}

// TestConcurrentUse calls MatMul on two matrices of one backend from
// several goroutines; the backend serializes them.
func TestConcurrentUse(t *testing.T) {
	b := openTest(t, Config{})
	rng := rand.New(rand.NewPCG(21, 22))
	type job struct {
		m    *Matrix
		x    []float32
		ref  []float64
		rows int
	}
	var jobs []job
	for i, typ := range []kernels.Type{kernels.Q4_0, kernels.Q6_K} {
		data, _ := acceltest.RandomWeights(typ, 50+i, 256, rng)
		m, err := b.Upload("m", typ, 50+i, 256, data)
		if err != nil {
			t.Fatal(err)
		}
		x := acceltest.RandomActivations(5*256, rng)
		ref, _ := acceltest.Reference(typ, 50+i, 256, data, x, 5)
		jobs = append(jobs, job{m, x, ref, 50 + i})
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				j := jobs[(g+i)%len(jobs)]
				out := make([]float32, 5*j.rows)
				if err := j.m.MatMul(j.x, 5, out); err != nil {
					t.Error(err)
					return
				}
				if e := acceltest.NMSE(out, j.ref); e > 1e-6 {
					t.Errorf("NMSE %.3g", e)
				}
			}
		}()
	}
	wg.Wait()
}
