//go:build linux && (amd64 || arm64)

package rknpu

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ebitengine/purego"

	"github.com/baylingd/baylingd/internal/acceltest"
	"github.com/baylingd/baylingd/kernels"
)

// fake is the control surface of the ABI double (testdata/fake_rknnrt.c),
// loaded from the same path as the backend so that both see one instance.
type fake struct {
	path          string
	log           func() string
	violations    func() int32
	runs          func() int64
	live          func() int64
	reset         func()
	setNativeSubN func(int32)
	setCreateErr  func(int32)
}

func loadFake(t *testing.T) *fake {
	t.Helper()
	path := acceltest.BuildFakeRKNN(t)
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{path: path}
	purego.RegisterLibFunc(&f.log, h, "fake_rknn_log")
	purego.RegisterLibFunc(&f.violations, h, "fake_rknn_violations")
	purego.RegisterLibFunc(&f.runs, h, "fake_rknn_runs")
	purego.RegisterLibFunc(&f.live, h, "fake_rknn_live")
	purego.RegisterLibFunc(&f.reset, h, "fake_rknn_reset")
	purego.RegisterLibFunc(&f.setNativeSubN, h, "fake_rknn_set_native_subn")
	purego.RegisterLibFunc(&f.setCreateErr, h, "fake_rknn_set_create_error")
	return f
}

// check fails the test on any rule the double saw broken.
func (f *fake) check(t *testing.T) {
	t.Helper()
	if n := f.violations(); n != 0 {
		var bad []string
		for _, l := range strings.Split(f.log(), "\n") {
			if strings.HasPrefix(l, "VIOLATION") {
				bad = append(bad, l)
			}
		}
		t.Errorf("the ABI double saw %d violations:\n%s", n, strings.Join(bad, "\n"))
	}
}

func open(t *testing.T, f *fake, cfg Config) *Backend {
	t.Helper()
	cfg.Library = f.path
	b, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// emulate is the backend's arithmetic done in Go: the same per-row int8
// quantization of weights and activations, exact integer dot products, the
// same scaling. The NPU path must match it exactly, which proves the
// packing, chunking and tiling; the comparison with the float reference
// then only measures the int8 quantization error.
func emulate(t *testing.T, typ kernels.Type, rows, cols int, data []byte, x []float32, batch int) []float32 {
	w, err := acceltest.Dequantize(typ, rows, cols, data)
	if err != nil {
		t.Fatal(err)
	}
	wq := make([]int8, rows*cols)
	ws := make([]float32, rows)
	for r := 0; r < rows; r++ {
		ws[r] = quantizeRow(w[r*cols:(r+1)*cols], wq[r*cols:(r+1)*cols])
	}
	out := make([]float32, batch*rows)
	xq := make([]int8, cols)
	for j := 0; j < batch; j++ {
		xs := quantizeRow(x[j*cols:(j+1)*cols], xq)
		for r := 0; r < rows; r++ {
			var s int64
			for c := 0; c < cols; c++ {
				s += int64(wq[r*cols+c]) * int64(xq[c])
			}
			out[j*rows+r] = float32(float64(s) * float64(xs) * float64(ws[r]))
		}
	}
	return out
}

func TestMatMulOnABIDouble(t *testing.T) {
	f := loadFake(t)
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		t          kernels.Type
		rows, cols int
		cfg        Config
		subN       int32
	}{
		{kernels.Q4_0, 45, 32 * 5, Config{}, 32},
		{kernels.Q8_0, 70, 32 * 7, Config{BatchTile: 8}, 32},      // batches over several tiles
		{kernels.Q4_K, 37, 256 * 3, Config{MaxK: 256}, 32},        // three K chunks
		{kernels.Q6_K, 33, 256 * 2, Config{MaxK: 160}, 16},        // uneven chunks, RK3566-style N tile
		{kernels.F16, 41, 77, Config{MaxK: 64, BatchTile: 5}, 32}, // K padding inside the last chunk
		{kernels.F32, 1, 1, Config{}, 32},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v_%dx%d", c.t, c.rows, c.cols), func(t *testing.T) {
			f.reset()
			f.setNativeSubN(c.subN)
			defer f.setNativeSubN(32)
			b := open(t, f, c.cfg)
			defer b.Close()
			data, err := acceltest.RandomWeights(c.t, c.rows, c.cols, rng)
			if err != nil {
				t.Fatal(err)
			}
			m, err := b.Upload("w", c.t, c.rows, c.cols, data)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for _, batch := range []int{1, 3, 17} {
				x := acceltest.RandomActivations(batch*c.cols, rng)
				out := make([]float32, batch*c.rows+5)
				for i := range out {
					out[i] = 12345
				}
				if err := m.MatMul(x, batch, out); err != nil {
					t.Fatal(err)
				}
				for i := batch * c.rows; i < len(out); i++ {
					if out[i] != 12345 {
						t.Fatalf("wrote past the output at %d", i)
					}
				}
				want := emulate(t, c.t, c.rows, c.cols, data, x, batch)
				for i, v := range want {
					if out[i] != v {
						t.Fatalf("batch %d: out[%d] = %g, the int8 emulation gives %g", batch, i, out[i], v)
					}
				}
				ref, _ := acceltest.Reference(c.t, c.rows, c.cols, data, x, batch)
				e := acceltest.NMSE(out[:batch*c.rows], ref)
				worst = max(worst, e)
				if e > 1e-3 {
					t.Errorf("batch %d: NMSE %.3g against the float reference exceeds the int8 budget 1e-3", batch, e)
				}
			}
			t.Logf("NMSE vs float64 reference (int8 weights and activations): worst %.3g", worst)
			m.Free()
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			f.check(t)
			if n := f.live(); n != 0 {
				t.Errorf("%d contexts or buffers left alive", n)
			}
		})
	}
}

// TestCallSequence reads the double's log and checks the protocol: each
// context is created, given a core mask, gets exactly three buffers bound
// (A, B, C) before any run, and is destroyed after its buffers.
func TestCallSequence(t *testing.T) {
	f := loadFake(t)
	f.reset()
	b := open(t, f, Config{MaxK: 96, CoreMask: 7})
	rng := rand.New(rand.NewPCG(13, 14))
	data, _ := acceltest.RandomWeights(kernels.Q8_0, 40, 32*8, rng) // K 256 -> 3 chunks of 96, 96, 64
	m, err := b.Upload("w", kernels.Q8_0, 40, 32*8, data)
	if err != nil {
		t.Fatal(err)
	}
	x := acceltest.RandomActivations(3*256, rng)
	if err := m.MatMul(x, 3, make([]float32, 3*40)); err != nil {
		t.Fatal(err)
	}
	if got := f.runs(); got != 3 {
		t.Errorf("%d NPU runs for one tile over 3 chunks, want 3", got)
	}
	b.Close()
	f.check(t)

	createRe := regexp.MustCompile(`^create M=(\d+) K=(\d+) N=(\d+) type=(\d+) B_layout=(\d+) AC_layout=(\d+)$`)
	type state struct{ mask, mems, bound, destroyedMems int }
	ctxs := map[string]*state{}
	var order []string
	var ks []int
	var pending bool
	for _, l := range strings.Split(strings.TrimSpace(f.log()), "\n") {
		switch {
		case createRe.MatchString(l):
			g := createRe.FindStringSubmatch(l)
			k, _ := strconv.Atoi(g[2])
			n, _ := strconv.Atoi(g[3])
			if k > 10240 || k%32 != 0 || n%32 != 0 || g[4] != "2" || g[5] != "1" || g[6] != "0" {
				t.Errorf("bad create: %s", l)
			}
			ks = append(ks, k)
			pending = true
		case strings.HasPrefix(l, "  -> ctx "):
			if !pending {
				t.Errorf("context id without create: %s", l)
			}
			id := strings.TrimPrefix(l, "  -> ctx ")
			ctxs[id] = &state{}
			order = append(order, id)
			pending = false
		case strings.HasPrefix(l, "set_core_mask ctx="):
			id, mask, _ := strings.Cut(strings.TrimPrefix(l, "set_core_mask ctx="), " mask=")
			if mask != "7" {
				t.Errorf("core mask %s, want 7", mask)
			}
			ctxs[id].mask++
		case strings.HasPrefix(l, "create_mem ctx="):
			id, _, _ := strings.Cut(strings.TrimPrefix(l, "create_mem ctx="), " ")
			ctxs[id].mems++
		case strings.HasPrefix(l, "set_io_mem ctx="):
			id, _, _ := strings.Cut(strings.TrimPrefix(l, "set_io_mem ctx="), " ")
			if ctxs[id].mask == 0 {
				t.Errorf("set_io_mem before set_core_mask on ctx %s", id)
			}
			ctxs[id].bound++
		case strings.HasPrefix(l, "destroy_mem ctx="):
			ctxs[strings.TrimPrefix(l, "destroy_mem ctx=")].destroyedMems++
		case strings.HasPrefix(l, "destroy ctx="):
			s := ctxs[strings.TrimPrefix(l, "destroy ctx=")]
			if s.destroyedMems != s.mems {
				t.Errorf("context destroyed with %d of %d buffers alive", s.mems-s.destroyedMems, s.mems)
			}
		}
	}
	// The probe context of Open, then one per chunk.
	if len(order) != 4 {
		t.Fatalf("%d contexts created, want 4 (probe + 3 chunks); log:\n%s", len(order), f.log())
	}
	if fmt.Sprint(ks[1:]) != "[96 96 64]" {
		t.Errorf("chunk K %v, want [96 96 64]", ks[1:])
	}
	for _, id := range order {
		s := ctxs[id]
		if s.mask != 1 || s.mems != 3 || s.bound != 3 || s.destroyedMems != 3 {
			t.Errorf("ctx %s: %+v, want one mask, three buffers bound and destroyed", id, *s)
		}
	}
}

func TestUnavailable(t *testing.T) {
	if _, err := Open(Config{Library: "librknnrt-does-not-exist.so"}); !IsUnavailable(err) {
		t.Errorf("missing library: %v, want unavailable", err)
	}
	if _, err := Open(Config{Library: "libc.so.6"}); !IsUnavailable(err) {
		t.Errorf("library without the matmul API: %v, want unavailable", err)
	}
	f := loadFake(t)
	f.setCreateErr(rknnErrDeviceUnavailable)
	_, err := Open(Config{Library: f.path})
	if !IsUnavailable(err) {
		t.Errorf("runtime without an NPU: %v, want unavailable", err)
	}
	t.Logf("%v", err)
	f.setCreateErr(0)
	t.Setenv(EnvLibrary, f.path)
	if b, err := Open(Config{}); err != nil {
		t.Errorf("%s=%s: %v", EnvLibrary, f.path, err)
	} else {
		b.Close()
	}
	for _, cfg := range []Config{{MaxK: 4097}, {MaxK: 33}, {BatchTile: -1}, {CoreMask: 5}} {
		cfg.Library = f.path
		if b, err := Open(cfg); err == nil || IsUnavailable(err) {
			if b != nil {
				b.Close()
			}
			t.Errorf("config %+v: %v, want a configuration error", cfg, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	f := loadFake(t)
	f.reset()
	b := open(t, f, Config{})
	defer b.Close()
	rng := rand.New(rand.NewPCG(15, 16))
	data, _ := acceltest.RandomWeights(kernels.Q4_0, 10, 64, rng)
	for _, c := range []struct {
		name       string
		t          kernels.Type
		rows, cols int
		data       []byte
	}{
		{"activation type", kernels.Q8_K, 10, 256, make([]byte, 10*292)},
		{"unknown type", kernels.Type(99), 10, 64, data},
		{"zero rows", kernels.Q4_0, 0, 64, nil},
		{"negative cols", kernels.Q4_0, 10, -64, data},
		{"partial block", kernels.Q4_0, 10, 60, data},
		{"short data", kernels.Q4_0, 10, 64, data[:len(data)-1]},
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
	m.Free()
	m.Free()
	if err := m.MatMul(x, 3, out); !errors.Is(err, ErrClosed) {
		t.Errorf("MatMul after Free: %v", err)
	}
	f.check(t)
}

func TestLifecycle(t *testing.T) {
	f := loadFake(t)
	f.reset()
	rng := rand.New(rand.NewPCG(17, 18))
	data, _ := acceltest.RandomWeights(kernels.Q8_0, 33, 64, rng)
	x := acceltest.RandomActivations(2*64, rng)
	out := make([]float32, 2*33)
	for i := 0; i < 20; i++ {
		b := open(t, f, Config{BatchTile: 4})
		m1, err := b.Upload("a", kernels.Q8_0, 33, 64, data)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := b.Upload("b", kernels.Q8_0, 33, 64, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := m2.MatMul(x, 2, out); err != nil {
			t.Fatal(err)
		}
		m1.Free()
		b.Close() // frees m2
		b.Close()
		if err := m2.MatMul(x, 2, out); !errors.Is(err, ErrClosed) {
			t.Errorf("MatMul after Close: %v", err)
		}
		if _, err := b.Upload("c", kernels.Q8_0, 33, 64, data); !errors.Is(err, ErrClosed) {
			t.Errorf("Upload after Close: %v", err)
		}
		if n := f.live(); n != 0 {
			t.Fatalf("iteration %d: %d contexts or buffers alive after Close", i, n)
		}
	}
	f.check(t)
}
