package llama

import (
	"sync/atomic"
	"testing"
	"time"
)

type countTask struct {
	hits  []atomic.Int32
	total atomic.Int64
}

func (c *countTask) run(w, lo, hi int) {
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
	c.total.Add(int64(hi - lo))
}

// TestPool checks that every unit runs exactly once, for many shapes of
// task in a row (the pool is reused), and that close returns.
func TestPool(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		p := newPool(threads)
		for _, n := range []int{1, 2, 3, 7, 64, 1000} {
			for _, grain := range []int{0, 1, 5, 64} {
				for rep := 0; rep < 20; rep++ {
					c := &countTask{hits: make([]atomic.Int32, n)}
					p.parallel(c, n, grain)
					for i := range c.hits {
						if h := c.hits[i].Load(); h != 1 {
							t.Fatalf("threads %d, n %d, grain %d: unit %d ran %d times", threads, n, grain, i, h)
						}
					}
				}
			}
		}
		p.close()
	}
}

// TestPoolCloseRace creates and closes pools quickly: a worker goroutine
// may start only after every task and the close have happened, and must
// still see the close.
func TestPoolCloseRace(t *testing.T) {
	for i := 0; i < 2000; i++ {
		p := newPool(2)
		for k := 0; k < 3; k++ {
			c := &countTask{hits: make([]atomic.Int32, 5)}
			p.parallel(c, 5, 1)
			if c.total.Load() != 5 {
				t.Fatalf("iteration %d: %d units ran", i, c.total.Load())
			}
		}
		done := make(chan bool)
		go func() { p.close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("iteration %d: close hangs", i)
		}
	}
}

type nopTask struct{ sink atomic.Int64 }

func (t *nopTask) run(w, lo, hi int) { t.sink.Add(int64(hi - lo)) }

// BenchmarkPoolDispatch is the cost of one parallel call over all threads
// of a task with no work: the latency the pool adds to each matmul.
func BenchmarkPoolDispatch(b *testing.B) {
	p := newPool(2)
	defer p.close()
	var t nopTask
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.parallel(&t, 2, 1)
	}
}

// workTask gives each unit a fixed amount of arithmetic.
type workTask struct {
	iters int
	sink  [64]atomic.Uint64 // one per worker, padded by the array stride below
}

func (t *workTask) run(w, lo, hi int) {
	for u := lo; u < hi; u++ {
		x := uint64(u) + 1
		for i := 0; i < t.iters; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		t.sink[w*8%64].Add(x)
	}
}

// BenchmarkPoolWork runs 2 units of about 10 µs each over 2 threads: with
// no overhead it takes as long as one unit (BenchmarkPoolWork/serial-unit).
// The difference is the latency of waking a worker and waiting for it,
// which a decode step pays for every matmul (about 150 times per token for
// a 22-layer model).
func BenchmarkPoolWork(b *testing.B) {
	t := &workTask{iters: 10000}
	b.Run("serial-unit", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			t.run(0, 0, 1)
		}
	})
	b.Run("parallel-2x2", func(b *testing.B) {
		p := newPool(2)
		defer p.close()
		for i := 0; i < b.N; i++ {
			p.parallel(t, 2, 1)
		}
	})
}
