//go:build linux && (amd64 || arm64)

package rknpu

import (
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/baylingd/baylingd/accel/internal/libcache"
	"github.com/baylingd/baylingd/kernels"
)

// library is librknnrt.so with the matmul API bound. Loaded once per path
// for the life of the process and never closed: the runtime keeps driver
// state and threads that do not survive being unloaded.
type library struct {
	create      func(ctx *uint64, info *rknnMatmulInfo, io *rknnMatmulIOAttr) int32
	setIOMem    func(ctx uint64, mem *rknnTensorMem, attr *rknnMatmulTensorAttr) int32
	setCoreMask func(ctx uint64, mask uint32) int32
	run         func(ctx uint64) int32
	destroy     func(ctx uint64) int32
	createMem   func(ctx uint64, size uint32) *rknnTensorMem
	destroyMem  func(ctx uint64, mem *rknnTensorMem) int32
}

// libraries opens each library path once per process.
var libraries = libcache.New(openLibrary)

func loadLibrary(path string) (*library, error) { return libraries.Load(path) }

func openLibrary(path string) (*library, error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, unavailable("cannot load the RKNN runtime %s: %v (install librknnrt.so from the RKNPU2 SDK)", path, err)
	}
	l := &library{}
	for _, f := range []struct {
		fptr any
		name string
	}{
		{&l.create, "rknn_matmul_create"},
		{&l.setIOMem, "rknn_matmul_set_io_mem"},
		{&l.setCoreMask, "rknn_matmul_set_core_mask"},
		{&l.run, "rknn_matmul_run"},
		{&l.destroy, "rknn_matmul_destroy"},
		{&l.createMem, "rknn_create_mem"},
		{&l.destroyMem, "rknn_destroy_mem"},
	} {
		sym, err := purego.Dlsym(h, f.name)
		if err != nil || sym == 0 {
			return nil, unavailable("%s has no %s (a runtime without the matmul API; RKNPU2 1.5 or later is needed)", path, f.name)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	return l, nil
}

// Backend is the RKNPU2 NPU driven through librknnrt's matmul API. Its
// methods and those of its matrices are safe for concurrent use and are
// serialized by one mutex: the NPU runs one matmul at a time, and the
// runtime's thread safety per context is not documented.
type Backend struct {
	mu       sync.Mutex
	cfg      Config
	lib      *library
	matrices map[*Matrix]struct{}
	closed   bool
}

// Open loads the runtime and checks, with a small matmul context, that an
// NPU answers. A missing library, a runtime without the matmul API or a
// missing NPU give an error for which IsUnavailable is true.
func Open(cfg Config) (*Backend, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	lib, err := loadLibrary(cfg.Library)
	if err != nil {
		return nil, err
	}
	b := &Backend{cfg: cfg, lib: lib, matrices: map[*Matrix]struct{}{}}
	// Probe: librknnrt loads on any arm64 Linux, but only a board with
	// the NPU driver can create a context.
	c, err := b.newContext(1, rknnAlign, rknnAlign)
	if err != nil {
		if e, ok := err.(*Error); ok && e.Op == "rknn_matmul_create" {
			switch e.Code {
			case rknnErrDeviceUnavailable, rknnErrDeviceUnmatch, rknnErrTargetPlatformMism, rknnErrFail:
				return nil, unavailable("no usable NPU: %v", err)
			}
		}
		return nil, err
	}
	b.freeContext(c)
	return b, nil
}

// Name is "rknpu".
func (b *Backend) Name() string { return "rknpu" }

// Supports reports whether Upload accepts weights of type t: every type
// kernels.Dequantize decodes, since weights are requantized to int8.
func (b *Backend) Supports(t kernels.Type) bool {
	switch t {
	case kernels.F32, kernels.F16, kernels.BF16, kernels.Q4_0, kernels.Q4_1, kernels.Q5_0, kernels.Q5_1,
		kernels.Q8_0, kernels.Q2_K, kernels.Q3_K, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K:
		return true
	}
	return false
}

// Close frees every matrix still alive. Idempotent.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	for m := range b.matrices {
		m.freeLocked()
	}
	return nil
}

// context is one rknn_matmul context: a fixed M x K x N int8 matmul with
// its three tensors bound.
type context struct {
	ctx     uint64
	io      rknnMatmulIOAttr
	a, w, c *rknnTensorMem
	// Layout of B as the runtime reported it: native (N/subN, K/subK,
	// subN, subK), or normal (K, N) when native is false.
	native     bool
	subN, subK int
	m, k, n    int
}

// newContext creates a context for an M x K by K x N int8 product with B
// in the native layout and A, C in the normal one, and binds fresh memory
// to all three tensors.
func (b *Backend) newContext(m, k, n int) (*context, error) {
	if k > rknnMaxK || k%rknnAlign != 0 || n%rknnAlign != 0 {
		return nil, fmt.Errorf("rknpu: internal error: context K=%d N=%d", k, n)
	}
	info := &rknnMatmulInfo{M: int32(m), K: int32(k), N: int32(n), type_: rknnInt8MMInt8ToInt32, B_layout: rknnMMLayoutNative, AC_layout: rknnMMLayoutNorm}
	c := &context{m: m, k: k, n: n}
	if r := b.lib.create(&c.ctx, info, &c.io); r != rknnSucc {
		return nil, &Error{"rknn_matmul_create", r}
	}
	if err := c.checkAttrs(); err != nil {
		b.freeContext(c)
		return nil, err
	}
	if r := b.lib.setCoreMask(c.ctx, b.cfg.CoreMask); r != rknnSucc {
		b.freeContext(c)
		return nil, &Error{"rknn_matmul_set_core_mask", r}
	}
	for _, t := range []struct {
		mem  **rknnTensorMem
		attr *rknnMatmulTensorAttr
	}{{&c.a, &c.io.A}, {&c.w, &c.io.B}, {&c.c, &c.io.C}} {
		mem := b.lib.createMem(c.ctx, t.attr.size)
		if mem == nil {
			b.freeContext(c)
			return nil, &Error{"rknn_create_mem", rknnErrMallocFail}
		}
		*t.mem = mem
		if mem.size < t.attr.size || mem.virt_addr == nil {
			b.freeContext(c)
			return nil, fmt.Errorf("rknpu: rknn_create_mem returned %d bytes at %p for a tensor of %d", mem.size, mem.virt_addr, t.attr.size)
		}
		if r := b.lib.setIOMem(c.ctx, mem, t.attr); r != rknnSucc {
			b.freeContext(c)
			return nil, &Error{"rknn_matmul_set_io_mem", r}
		}
	}
	return c, nil
}

// checkAttrs validates the tensor attributes the runtime returned against
// what the packing code assumes, so that a runtime with another layout
// fails loudly instead of computing garbage.
func (c *context) checkAttrs() error {
	a, bt, ct := &c.io.A, &c.io.B, &c.io.C
	if a.type_ != rknnTensorInt8 || bt.type_ != rknnTensorInt8 || ct.type_ != rknnTensorInt32 {
		return fmt.Errorf("rknpu: unexpected tensor types A=%d B=%d C=%d", a.type_, bt.type_, ct.type_)
	}
	if a.size < uint32(c.m*c.k) || bt.size < uint32(c.k*c.n) || ct.size < uint32(c.m*c.n*4) {
		return fmt.Errorf("rknpu: tensor sizes A=%d B=%d C=%d too small for M=%d K=%d N=%d", a.size, bt.size, ct.size, c.m, c.k, c.n)
	}
	switch bt.n_dims {
	case 4:
		nt, kt, sn, sk := int(bt.dims[0]), int(bt.dims[1]), int(bt.dims[2]), int(bt.dims[3])
		if sn <= 0 || sk <= 0 || nt*sn != c.n || kt*sk != c.k {
			return fmt.Errorf("rknpu: native B dims %v do not tile K=%d x N=%d", bt.dims[:4], c.k, c.n)
		}
		c.native, c.subN, c.subK = true, sn, sk
	case 2:
		if int(bt.dims[0]) != c.k || int(bt.dims[1]) != c.n {
			return fmt.Errorf("rknpu: normal B dims %v, want [%d %d]", bt.dims[:2], c.k, c.n)
		}
	default:
		return fmt.Errorf("rknpu: B has %d dims; expected the 4-dim native or 2-dim normal layout", bt.n_dims)
	}
	return nil
}

// freeContext destroys the memory, then the context, as the API wants.
func (b *Backend) freeContext(c *context) {
	for _, m := range []**rknnTensorMem{&c.a, &c.w, &c.c} {
		if *m != nil {
			b.lib.destroyMem(c.ctx, *m)
			*m = nil
		}
	}
	if c.ctx != 0 {
		b.lib.destroy(c.ctx)
		c.ctx = 0
	}
}

func (c *context) bytesA() []int8 { return unsafe.Slice((*int8)(c.a.virt_addr), c.m*c.k) }
func (c *context) bytesB() []int8 { return unsafe.Slice((*int8)(c.w.virt_addr), c.k*c.n) }
func (c *context) intsC() []int32 { return unsafe.Slice((*int32)(c.c.virt_addr), c.m*c.n) }

// bIndex is the position of weight row n, column k (both within this
// context) in B.
func (c *context) bIndex(n, k int) int {
	if !c.native {
		return k*c.n + n
	}
	kt := c.k / c.subK
	return ((n/c.subN*kt+k/c.subK)*c.subN+n%c.subN)*c.subK + k%c.subK
}

// Matrix is a weight matrix quantized to int8 with one scale per row and
// held in NPU memory as one context per K chunk.
type Matrix struct {
	b      *Backend
	name   string
	rows   int
	cols   int
	kPad   int       // cols rounded up to 32
	scales []float32 // per-row weight scale: W[r][c] ~ scales[r] * q[r][c]
	chunks []chunk
	freed  bool

	// Scratch reused across calls (MatMul is serialized by the backend).
	xq  []int8    // BatchTile rows of kPad quantized activations
	xs  []float32 // their scales
	acc []int64   // BatchTile x rows partial sums
}

type chunk struct {
	k0 int // first column of the chunk; the chunk is ctx.k wide
	*context
}

// Upload dequantizes the weights row by row, quantizes each row to int8
// with its own scale (max |w| / 127) and writes it into the NPU's B
// tensors, split along K into chunks of at most Config.MaxK columns and
// padded with zeros to 32-aligned K and N.
func (b *Backend) Upload(name string, t kernels.Type, rows, cols int, data []byte) (*Matrix, error) {
	if !b.Supports(t) {
		return nil, fmt.Errorf("rknpu: %s: weight type %v is not supported", name, t)
	}
	if rows <= 0 || cols <= 0 || rows > math.MaxInt32/4 || cols > math.MaxInt32/4 {
		return nil, fmt.Errorf("rknpu: %s: bad shape %d x %d", name, rows, cols)
	}
	rowBytes, err := t.RowBytes(cols)
	if err != nil {
		return nil, fmt.Errorf("rknpu: %s: %w", name, err)
	}
	if rows > len(data)/rowBytes || len(data) != rows*rowBytes {
		return nil, fmt.Errorf("rknpu: %s: %d bytes of data for %d x %d %v (want %d)", name, len(data), rows, cols, t, rows*rowBytes)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	kPad := roundUp(cols, rknnAlign)
	nPad := roundUp(rows, rknnAlign)
	m := &Matrix{b: b, name: name, rows: rows, cols: cols, kPad: kPad, scales: make([]float32, rows)}
	// Balanced chunks: 11008 becomes 3 x ~3680 rather than 4096+4096+2816.
	nk := (kPad + b.cfg.MaxK - 1) / b.cfg.MaxK
	step := roundUp((kPad+nk-1)/nk, rknnAlign)
	for k0 := 0; k0 < kPad; k0 += step {
		c, err := b.newContext(b.cfg.BatchTile, min(step, kPad-k0), nPad)
		if err != nil {
			m.freeLocked()
			return nil, fmt.Errorf("rknpu: %s: %w", name, err)
		}
		m.chunks = append(m.chunks, chunk{k0: k0, context: c})
		clear(c.bytesB()) // padding rows and columns must be zero
	}
	row := make([]float32, cols)
	q := make([]int8, cols)
	for r := 0; r < rows; r++ {
		if err := kernels.Dequantize(t, data[r*rowBytes:(r+1)*rowBytes], row); err != nil {
			m.freeLocked()
			return nil, fmt.Errorf("rknpu: %s: row %d: %w", name, r, err)
		}
		m.scales[r] = quantizeRow(row, q)
		for _, c := range m.chunks {
			bw := c.bytesB()
			for k := c.k0; k < min(c.k0+c.k, cols); k++ {
				bw[c.bIndex(r, k-c.k0)] = q[k]
			}
		}
	}
	tile := b.cfg.BatchTile
	m.xq = make([]int8, tile*kPad)
	m.xs = make([]float32, tile)
	m.acc = make([]int64, tile*rows)
	b.matrices[m] = struct{}{}
	return m, nil
}

// quantizeRow writes round(x / s) to q with s = max|x| / 127 and returns s
// (0 for an all-zero row, whose q is all zero). Symmetric, so no zero point
// reaches the NPU; 127 rather than 128 keeps -q representable.
func quantizeRow(x []float32, q []int8) float32 {
	var amax float32
	for _, v := range x {
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	if amax == 0 || math.IsNaN(float64(amax)) || math.IsInf(float64(amax), 0) {
		clear(q[:len(x)])
		if amax == 0 {
			return 0
		}
		return float32(math.NaN()) // poison the outputs rather than hide a broken input
	}
	inv := 127 / amax
	for i, v := range x {
		q[i] = int8(math.Round(float64(v * inv)))
	}
	return amax / 127
}

func roundUp(n, a int) int { return (n + a - 1) / a * a }

// MatMul computes out[j*rows + r] = sum_c W[r][c] * x[j*cols + c] for
// j < batch. Activations are quantized per row to int8, each K chunk runs
// on the NPU as int8 x int8 -> int32, and the chunks' int32 results are
// summed exactly on the CPU (in int64) before the two scales are applied.
func (m *Matrix) MatMul(x []float32, batch int, out []float32) error {
	if batch <= 0 {
		return fmt.Errorf("rknpu: %s: batch %d", m.name, batch)
	}
	if len(x)/m.cols < batch || len(out)/m.rows < batch {
		return fmt.Errorf("rknpu: %s: batch %d needs %d inputs and %d outputs, got %d and %d", m.name, batch, batch*m.cols, batch*m.rows, len(x), len(out))
	}
	b := m.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.freed || b.closed {
		return ErrClosed
	}
	tile := b.cfg.BatchTile
	for j0 := 0; j0 < batch; j0 += tile {
		n := min(tile, batch-j0)
		for i := 0; i < n; i++ {
			xq := m.xq[i*m.kPad : (i+1)*m.kPad]
			m.xs[i] = quantizeRow(x[(j0+i)*m.cols:(j0+i+1)*m.cols], xq)
			clear(xq[m.cols:])
		}
		clear(m.acc[:n*m.rows])
		for _, c := range m.chunks {
			a := c.bytesA()
			for i := 0; i < n; i++ {
				copy(a[i*c.k:(i+1)*c.k], m.xq[i*m.kPad+c.k0:i*m.kPad+c.k0+c.k])
			}
			// Rows n..tile of A hold stale data; their results are
			// ignored, so they are not cleared.
			if r := b.lib.run(c.ctx); r != rknnSucc {
				return fmt.Errorf("rknpu: %s: %w", m.name, &Error{"rknn_matmul_run", r})
			}
			cc := c.intsC()
			for i := 0; i < n; i++ {
				acc := m.acc[i*m.rows : (i+1)*m.rows]
				ci := cc[i*c.n : i*c.n+m.rows]
				for r, v := range ci {
					acc[r] += int64(v)
				}
			}
		}
		for i := 0; i < n; i++ {
			o := out[(j0+i)*m.rows : (j0+i+1)*m.rows]
			xs := float64(m.xs[i])
			for r, v := range m.acc[i*m.rows : (i+1)*m.rows] {
				o[r] = float32(float64(v) * xs * float64(m.scales[r]))
			}
		}
	}
	return nil
}

// Free destroys the matrix's NPU contexts and memory. Idempotent.
func (m *Matrix) Free() {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	m.freeLocked()
}

func (m *Matrix) freeLocked() {
	if m.freed {
		return
	}
	m.freed = true
	delete(m.b.matrices, m)
	for _, c := range m.chunks {
		m.b.freeContext(c.context)
	}
	m.chunks = nil
}
