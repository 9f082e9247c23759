package quantize

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/kernels"
)

// Job is one tensor for Encoder.Write. Rows are produced by Float (as
// float32, then encoded to Type) or, when the source already holds Type,
// copied by Raw. Both are called from several goroutines at once, for
// disjoint row ranges, and must not fail: sources are memory-mapped files
// whose sizes were checked when they were opened.
type Job struct {
	Name string
	Type kernels.Type // output type
	Cols int          // row length, in elements
	Rows int

	// Raw, if not nil, fills dst with rows [r0, r0+n) in the output type.
	Raw func(r0, n int, dst []byte)
	// Float fills dst with rows [r0, r0+n) as float32. Used when Raw is nil.
	Float func(r0, n int, dst []float32)
	// Done, if not nil, is called after rows [0, r) have been handed to the
	// writer, in increasing r, ending with r == Rows: the source can drop
	// the pages it has read (and report progress).
	Done func(r int)
}

// chunkElems is how many elements a worker converts at a time: 256 Ki
// float32 (1 MiB), small enough that threads * (input + output) buffers
// stay a few MiB, large enough that the per-chunk overhead vanishes.
const chunkElems = 256 << 10

// Encoder writes tensors with a fixed number of worker goroutines and
// reuses its buffers from one tensor to the next. It is not safe for
// concurrent use.
type Encoder struct {
	threads int
	f32     [][]float32
	out     [][]byte
}

// NewEncoder returns an Encoder using threads goroutines (all CPUs when
// threads <= 0).
func NewEncoder(threads int) *Encoder {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	return &Encoder{threads: threads, f32: make([][]float32, threads), out: make([][]byte, threads)}
}

// Write encodes j and appends it to w, whose next declared tensor it must
// be. Chunks of rows are encoded in parallel a wave at a time and written
// in order, so the output does not depend on the thread count, and memory
// is bounded by the chunk buffers whatever the tensor's size.
func (e *Encoder) Write(w *gguf.Writer, j Job) error {
	rowBytes, err := j.Type.RowBytes(j.Cols)
	if err != nil {
		return fmt.Errorf("tensor %s: %w", j.Name, err)
	}
	if j.Raw == nil && !Supported(j.Type) {
		return fmt.Errorf("tensor %s: cannot encode type %v", j.Name, j.Type)
	}
	if j.Rows == 0 || j.Cols == 0 {
		if j.Done != nil {
			j.Done(j.Rows)
		}
		return w.WriteTensor(j.Name, nil)
	}
	chunkRows := max(1, chunkElems/j.Cols)
	nChunks := (j.Rows + chunkRows - 1) / chunkRows
	threads := e.threads
	if j.Raw != nil {
		// A copy is bound by memory (or by page faults on the source,
		// which the kernel reads ahead); more goroutines buy nothing.
		threads = 1
	}
	for k := 0; k < threads; k++ {
		if n := chunkRows * rowBytes; cap(e.out[k]) < n {
			e.out[k] = make([]byte, n)
		}
		if n := chunkRows * j.Cols; j.Raw == nil && cap(e.f32[k]) < n {
			e.f32[k] = make([]float32, n)
		}
	}
	work := func(k, c int) {
		r0 := c * chunkRows
		n := min(chunkRows, j.Rows-r0)
		out := e.out[k][:n*rowBytes]
		if j.Raw != nil {
			j.Raw(r0, n, out)
			return
		}
		f := e.f32[k][:n*j.Cols]
		j.Float(r0, n, f)
		if err := Encode(j.Type, f, out); err != nil {
			panic(err) // lengths come from RowBytes above
		}
	}
	var wg sync.WaitGroup
	for c0 := 0; c0 < nChunks; c0 += threads {
		n := min(threads, nChunks-c0)
		wg.Add(n - 1)
		for k := 1; k < n; k++ {
			go func(k int) {
				defer wg.Done()
				work(k, c0+k)
			}(k)
		}
		work(0, c0)
		wg.Wait()
		for k := 0; k < n; k++ {
			r0 := (c0 + k) * chunkRows
			rows := min(chunkRows, j.Rows-r0)
			if err := w.WriteTensorPart(j.Name, e.out[k][:rows*rowBytes]); err != nil {
				return err
			}
		}
		if j.Done != nil {
			j.Done(min(j.Rows, (c0+n)*chunkRows))
		}
	}
	return nil
}
