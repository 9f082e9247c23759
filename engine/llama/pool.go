package llama

import (
	"sync"
	"sync/atomic"
)

// rangeTask is work split into n units; run processes units [lo, hi) on
// worker w. Ops implement it on long-lived structs so that handing a task to
// the pool (an interface holding a pointer) does not allocate.
type rangeTask interface {
	run(w, lo, hi int)
}

// pool is the one set of worker goroutines an engine context uses for all
// its parallel loops. Workers sleep on a channel between tasks; the caller
// takes part in every task, so a pool of n threads has n-1 goroutines.
type pool struct {
	n     int
	wake  []chan struct{}
	done  sync.WaitGroup
	task  rangeTask
	units int
	grain int
	next  atomic.Int64
	quit  atomic.Bool
}

func newPool(threads int) *pool {
	if threads < 1 {
		threads = 1
	}
	p := &pool{n: threads, wake: make([]chan struct{}, threads)}
	for w := 1; w < threads; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.worker(w)
	}
	return p
}

func (p *pool) worker(w int) {
	for range p.wake[w] {
		if p.quit.Load() {
			p.done.Done()
			return
		}
		p.steal(w)
		p.done.Done()
	}
}

// steal processes chunks of the current task until none are left. Chunks
// are handed out dynamically so a slow core does not hold up the others.
func (p *pool) steal(w int) {
	for {
		lo := int(p.next.Add(int64(p.grain))) - p.grain
		if lo >= p.units {
			return
		}
		p.task.run(w, lo, min(lo+p.grain, p.units))
	}
}

// parallel runs t over units [0, n) in chunks of about grain units, using
// every worker, and returns when all are done.
func (p *pool) parallel(t rangeTask, n, grain int) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	if p.n == 1 || n <= grain {
		t.run(0, 0, n)
		return
	}
	p.task, p.units, p.grain = t, n, grain
	p.next.Store(0)
	p.done.Add(p.n - 1)
	for w := 1; w < p.n; w++ {
		p.wake[w] <- struct{}{}
	}
	p.steal(0)
	p.done.Wait()
	p.task = nil
}

// chunk picks a grain giving each worker several chunks of at least min units.
func (p *pool) chunk(n, minUnits int) int {
	g := n / (p.n * 4)
	if g < minUnits {
		g = minUnits
	}
	return g
}

func (p *pool) close() {
	p.quit.Store(true)
	p.done.Add(p.n - 1)
	for w := 1; w < p.n; w++ {
		p.wake[w] <- struct{}{}
	}
	p.done.Wait()
}
