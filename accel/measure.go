package accel

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/baylingd/baylingd/kernels"
)

// Weight is a weight matrix in GGUF row layout, as Backend.Upload takes it.
type Weight struct {
	Name       string
	Type       kernels.Type
	Rows, Cols int
	Data       []byte
}

func (w Weight) String() string {
	return fmt.Sprintf("%s (%v %dx%d)", w.Name, w.Type, w.Rows, w.Cols)
}

// CPUFunc is the CPU path an offload competes with, with the contract of
// Matrix.MatMul for one weight matrix. The engine passes its real one
// (activation quantization and the threaded kernels.MatMul), so that the
// comparison is against what would otherwise run.
type CPUFunc func(x []float32, batch int, out []float32) error

// CPUMatMul returns a CPUFunc for w built on the kernels package: each
// activation row is quantized to kernels.VecDotType(w.Type) and the rows
// of w are split over threads goroutines running kernels.MatMul. It
// allocates per call, so it is for measurements and tests, not for the
// engine's hot path. threads <= 0 means 1.
func CPUMatMul(w Weight, threads int) (CPUFunc, error) {
	if _, err := kernels.Dot(w.Type); err != nil {
		return nil, err
	}
	rowBytes, err := w.Type.RowBytes(w.Cols)
	if err != nil {
		return nil, err
	}
	if w.Rows <= 0 || len(w.Data) != w.Rows*rowBytes {
		return nil, fmt.Errorf("accel: %v: %d bytes of data, want %d", w, len(w.Data), w.Rows*rowBytes)
	}
	vt := kernels.VecDotType(w.Type)
	aRow, err := vt.RowBytes(w.Cols)
	if err != nil {
		return nil, err
	}
	threads = max(1, min(threads, w.Rows))
	return func(x []float32, batch int, out []float32) error {
		if batch <= 0 || len(x)/w.Cols < batch || len(out)/w.Rows < batch {
			return fmt.Errorf("accel: cpu matmul: bad batch %d for %d inputs, %d outputs", batch, len(x), len(out))
		}
		a := make([]byte, batch*aRow)
		for b := 0; b < batch; b++ {
			if err := kernels.Quantize(vt, x[b*w.Cols:(b+1)*w.Cols], a[b*aRow:(b+1)*aRow]); err != nil {
				return err
			}
		}
		var wg sync.WaitGroup
		per := (w.Rows + threads - 1) / threads
		for r0 := 0; r0 < w.Rows; r0 += per {
			r1 := min(r0+per, w.Rows)
			wg.Add(1)
			go func() {
				defer wg.Done()
				kernels.MatMul(w.Type, w.Cols, w.Data, r0, r1, a, batch, out, w.Rows)
			}()
		}
		wg.Wait()
		return nil
	}, nil
}

// DefaultBatches are the batch sizes Measure tries: decode of one
// sequence, a few concurrent decodes, and prefill chunks.
var DefaultBatches = []int{1, 8, 32, 128, 512}

// MeasureOptions tune Measure; the zero value is the default.
type MeasureOptions struct {
	Batches []int         // batch sizes, default DefaultBatches
	MinTime time.Duration // time per batch size and side, default 100ms
	MaxRuns int           // timed calls per batch size and side, default 10
	// MaxNMSE is the largest normalized squared difference between the
	// backend's and the CPU's results that is still "the same answer";
	// beyond it Measure fails, so that a broken driver is never used.
	// Default 1e-2: the int8 NPU path differs from the CPU's quantized
	// dot products by about 1e-4, a wrong result by about 1.
	MaxNMSE float64
}

// Sample is one batch size of a measurement.
type Sample struct {
	Batch   int
	CPU     time.Duration // median wall time of one CPUFunc call
	Backend time.Duration // median wall time of one Matrix.MatMul call
	Kernel  time.Duration // the backend's own device time, if it reports one
	NMSE    float64       // backend result against the CPU result
}

// Speedup is CPU time over backend time (> 1: the backend wins).
func (s Sample) Speedup() float64 { return float64(s.CPU) / float64(s.Backend) }

// Report is what Measure found for one backend and weight.
type Report struct {
	Backend string
	Weight  string
	// MinBatch is the smallest measured batch size from which on the
	// backend is faster at every measured size; 0 when it never is (or
	// only at sizes followed by a loss). Offload batches >= MinBatch.
	MinBatch int
	Samples  []Sample
}

// Offload reports whether a batch of this size should go to the backend.
func (r Report) Offload(batch int) bool { return r.MinBatch > 0 && batch >= r.MinBatch }

// String is a one-line summary for the log.
func (r Report) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s on %s: ", r.Backend, r.Weight)
	if r.MinBatch > 0 {
		fmt.Fprintf(&sb, "offload from batch %d", r.MinBatch)
	} else {
		sb.WriteString("stays on the CPU")
	}
	for _, s := range r.Samples {
		fmt.Fprintf(&sb, "; b=%d cpu %v %s %v (x%.2f)", s.Batch, s.CPU.Round(time.Microsecond), r.Backend, s.Backend.Round(time.Microsecond), s.Speedup())
	}
	return sb.String()
}

// ErrWrongResult is wrapped by Measure's error when a backend's results
// disagree with the CPU's beyond MeasureOptions.MaxNMSE.
var ErrWrongResult = errors.New("accel: backend result disagrees with the CPU")

// Measure uploads w to b and times b against cpu at each batch size, on
// the same random activations, checking on the way that both compute the
// same product. It is what accel = "auto" runs at start-up on the model's
// own shapes; the engine then offloads a matmul only where the report says
// the backend wins. The matrix is freed before Measure returns.
func Measure(b Backend, w Weight, cpu CPUFunc, o MeasureOptions) (Report, error) {
	if o.Batches == nil {
		o.Batches = DefaultBatches
	}
	if o.MinTime <= 0 {
		o.MinTime = 100 * time.Millisecond
	}
	if o.MaxRuns <= 0 {
		o.MaxRuns = 10
	}
	if o.MaxNMSE <= 0 {
		o.MaxNMSE = 1e-2
	}
	batches := slices.Clone(o.Batches)
	slices.Sort(batches)
	batches = slices.Compact(batches)
	if len(batches) == 0 || batches[0] <= 0 {
		return Report{}, fmt.Errorf("accel: measure: bad batch sizes %v", o.Batches)
	}
	rep := Report{Backend: b.Name(), Weight: w.String()}
	m, err := b.Upload(w.Name, w.Type, w.Rows, w.Cols, w.Data)
	if err != nil {
		return rep, err
	}
	defer m.Free()

	rng := rand.New(rand.NewPCG(uint64(w.Rows), uint64(w.Cols)))
	maxB := batches[len(batches)-1]
	x := make([]float32, maxB*w.Cols)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	outCPU := make([]float32, maxB*w.Rows)
	outDev := make([]float32, maxB*w.Rows)
	for _, batch := range batches {
		xb, oc, od := x[:batch*w.Cols], outCPU[:batch*w.Rows], outDev[:batch*w.Rows]
		// The first calls warm up (pipeline compilation, buffer growth,
		// caches) and give the results to compare.
		if err := cpu(xb, batch, oc); err != nil {
			return rep, fmt.Errorf("accel: measure: cpu: %w", err)
		}
		if err := m.MatMul(xb, batch, od); err != nil {
			return rep, fmt.Errorf("accel: measure: %s: %w", rep.Backend, err)
		}
		s := Sample{Batch: batch, NMSE: nmse(od, oc)}
		if !(s.NMSE <= o.MaxNMSE) {
			return rep, fmt.Errorf("%w: %s on %v at batch %d: NMSE %.3g > %.3g", ErrWrongResult, rep.Backend, w, batch, s.NMSE, o.MaxNMSE)
		}
		if s.CPU, err = timeIt(func() error { return cpu(xb, batch, oc) }, o); err != nil {
			return rep, err
		}
		var kernel []time.Duration
		if s.Backend, err = timeIt(func() error {
			err := m.MatMul(xb, batch, od)
			if t, ok := m.(Timed); ok {
				kernel = append(kernel, t.LastTiming().Kernel)
			}
			return err
		}, o); err != nil {
			return rep, err
		}
		if len(kernel) > 0 {
			s.Kernel = median(kernel)
		}
		rep.Samples = append(rep.Samples, s)
	}
	for i := len(rep.Samples) - 1; i >= 0 && rep.Samples[i].Backend < rep.Samples[i].CPU; i-- {
		rep.MinBatch = rep.Samples[i].Batch
	}
	return rep, nil
}

// timeIt calls f until MinTime has passed or MaxRuns calls were made (at
// least once) and returns the median duration.
func timeIt(f func() error, o MeasureOptions) (time.Duration, error) {
	var ds []time.Duration
	start := time.Now()
	for len(ds) < o.MaxRuns && (len(ds) == 0 || time.Since(start) < o.MinTime) {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t))
	}
	return median(ds), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// nmse is sum((a-b)^2) / sum(b^2); NaN or Inf in a gives +Inf.
func nmse(a, b []float32) float64 {
	var num, den float64
	for i := range b {
		d := float64(a[i]) - float64(b[i])
		num += d * d
		den += float64(b[i]) * float64(b[i])
	}
	switch {
	case math.IsNaN(num) || math.IsInf(num, 0):
		return math.Inf(1)
	case den == 0 && num == 0:
		return 0
	case den == 0:
		return math.Inf(1)
	}
	return num / den
}

// Best returns the index of the report whose backend should take a batch
// of this size: among those that offload it, the one fastest at the
// largest measured batch size not above it. -1 means the CPU.
func Best(reports []Report, batch int) int {
	best, bestT := -1, time.Duration(math.MaxInt64)
	for i, r := range reports {
		if !r.Offload(batch) {
			continue
		}
		var t time.Duration
		for _, s := range r.Samples {
			if s.Batch <= batch {
				t = s.Backend
			}
		}
		if t > 0 && t < bestT {
			best, bestT = i, t
		}
	}
	return best
}
