package llama

import (
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

// rangeTask is work split into n units; run processes units [lo, hi) on
// worker w. Ops implement it on long-lived structs so that handing a task to
// the pool (an interface holding a pointer) does not allocate.
type rangeTask interface {
	run(w, lo, hi int)
}

// pool is the one set of worker goroutines an engine context uses for all
// its parallel loops. The caller takes part in every task, so a pool of n
// threads has n-1 goroutines.
//
// A decode step is a chain of about seven parallel loops per layer, each a
// few tens of microseconds long, with a few microseconds of serial work in
// between. Waking a goroutine parked on a channel takes the Go scheduler
// longer than such a loop (a futex wake, then another thread stealing the
// goroutine): measured on the 2-core development VM, a loop of two 10.8 µs
// units on 2 threads took 21.7 µs at the median with parked workers (the
// caller did both units before the worker woke) and 12.0 µs with spinning
// ones (BenchmarkPoolWork). Two things follow:
//
//   - Workers, having finished a task, spin on the task generation for a
//     while (spinFor) before parking, as ggml's and OpenMP's thread pools do,
//     so the next loop of the step finds them running. Between decode steps
//     (sampling, detokenizing, waiting for requests) the spin runs out and
//     they park: an idle engine uses no CPU.
//   - The caller waits for the units of work, not for the workers: a worker
//     that was slow to wake and found every chunk taken is not waited for.
//     A task is never slower than the caller doing all of it alone, which
//     matters most on a machine with more runnable threads than cores.
//
// The task fields (task, units, grain) are written by the caller only while
// no worker can read them: a worker reads them only between incrementing
// active and decrementing it, and only after seeing the task's generation
// still open; the caller closes the generation, then waits for active to
// drain, before it returns.
type pool struct {
	n int
	// gen is odd while a task is open for workers to join, even when
	// closed; it is incremented when a task opens and when it closes.
	gen   atomic.Uint64
	task  rangeTask
	units int
	grain int
	// The counters every thread hits get cache lines of their own.
	_         [64]byte
	next      atomic.Int64 // next unit to hand out
	_         [56]byte
	doneUnits atomic.Int64 // units finished
	_         [56]byte
	active    atomic.Int32 // workers inside the current task
	_         [60]byte
	quit      atomic.Bool
	spin      time.Duration
	// noSpinUntil (monotonic ns): threads park without spinning until then.
	noSpinUntil atomic.Int64

	parked []atomic.Bool // worker w is parked (or about to) on wake[w]
	wake   []chan struct{}
	// The caller parks on done once its spin has run out.
	callerParked atomic.Bool
	done         chan struct{}
	exited       chan struct{}
}

// spinFor is how long an idle worker (or a waiting caller) polls before
// parking. It covers the gaps between the loops of a decode step with room
// to spare, and is short against anything that happens between steps.
// BAYLING_POOL_SPIN (a Go duration, "0" to park at once) overrides it, for
// measurements.
var spinFor = func() time.Duration {
	if v, ok := os.LookupEnv("BAYLING_POOL_SPIN"); ok {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			return d
		}
		if v == "0" {
			return 0
		}
	}
	return 50 * time.Microsecond
}()

func newPool(threads int) *pool {
	if threads < 1 {
		threads = 1
	}
	p := &pool{n: threads, spin: spinFor, parked: make([]atomic.Bool, threads), wake: make([]chan struct{}, threads),
		done: make(chan struct{}, 1), exited: make(chan struct{}, threads)}
	if threads > runtime.GOMAXPROCS(0) {
		// More threads than the Go scheduler runs at once: a spinning
		// worker would hold a P another one needs.
		p.spin = 0
	}
	for w := 1; w < threads; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.worker(w)
	}
	return p
}

func (p *pool) worker(w int) {
	// Start from the initial generation, not the current one: a worker
	// that starts late must still see a close that came before it ran.
	seen := uint64(0)
	for {
		g := p.await(w, seen)
		seen = g
		if p.quit.Load() {
			p.exited <- struct{}{}
			return
		}
		if g&1 == 0 {
			continue // the task closed before this worker got to it
		}
		p.active.Add(1)
		if p.gen.Load() == g {
			p.steal(w)
		}
		p.active.Add(-1)
	}
}

// await returns the generation of the next task once it is newer than
// seen: spinning first, then parked on the worker's channel.
func (p *pool) await(w int, seen uint64) uint64 {
	if g := p.spinUntil(func() bool { return p.gen.Load() != seen }); g {
		return p.gen.Load()
	}
	// Announce the park, then look once more: a task published between
	// the spin and the announcement would otherwise be missed. Whoever
	// clears the flag owns the wake-up: the dispatcher sends on wake[w],
	// or this worker finds the task itself.
	p.parked[w].Store(true)
	if p.gen.Load() != seen && p.parked[w].CompareAndSwap(true, false) {
		return p.gen.Load()
	}
	<-p.wake[w]
	return p.gen.Load()
}

// spinUntil polls cond for up to p.spin and reports whether it came true.
//
// Spinning only pays while every pool thread has a core to itself. When the
// machine is oversubscribed (more runnable threads than cores), a spinning
// thread burns the time slice the thread it waits for needs, and the
// kernel's fair scheduler then makes the spinner wait behind everyone
// else: measured on the 2-core VM with 8-10 runnable threads from other
// jobs, a 2-thread loop took 10-30x longer with plain spinning than with
// parking at once. So the spin watches for the symptom, a gap between two
// polls far longer than a poll (the thread was descheduled), and then the
// whole pool parks at once for the next backoffFor before trying again.
// With that, decoding on the loaded VM was the same with and without
// spinning (11.2 and 11.5 tok/s, means of 5 interleaved pairs, within the
// noise), while an idle machine keeps the lower loop latency.
func (p *pool) spinUntil(cond func() bool) bool {
	if cond() {
		return true
	}
	if p.spin <= 0 {
		return false
	}
	now := monotonic()
	if now < p.noSpinUntil.Load() {
		return false
	}
	deadline := now + int64(p.spin)
	last := now
	for i := 0; ; i++ {
		if cond() {
			return true
		}
		if i&63 == 63 {
			now = monotonic()
			if now-last > int64(descheduledAfter) {
				p.noSpinUntil.Store(now + int64(backoffFor))
				return false
			}
			if now > deadline {
				return false
			}
			last = now
		}
	}
}

var (
	// descheduledAfter is a gap between polls that only a thread the
	// kernel took off its core sees (64 polls take well under 1 µs).
	descheduledAfter = 20 * time.Microsecond
	// backoffFor is how long the pool parks at once after that.
	backoffFor = 100 * time.Millisecond
)

var epoch = time.Now()

// monotonic is a monotonic clock in nanoseconds.
func monotonic() int64 { return int64(time.Since(epoch)) }

// steal processes chunks of the current task until none are left. Chunks
// are handed out dynamically so a slow core does not hold up the others.
func (p *pool) steal(w int) {
	units, grain := p.units, p.grain
	for {
		lo := int(p.next.Add(int64(grain))) - grain
		if lo >= units {
			return
		}
		hi := min(lo+grain, units)
		p.task.run(w, lo, hi)
		if p.doneUnits.Add(int64(hi-lo)) == int64(units) && p.callerParked.CompareAndSwap(true, false) {
			p.done <- struct{}{}
		}
	}
}

// parallel runs t over units [0, n) in chunks of about grain units, using
// every worker that is at hand, and returns when all are done.
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
	// No worker is inside a task here (see pool), so the fields are ours.
	p.task, p.units, p.grain = t, n, grain
	p.next.Store(0)
	p.doneUnits.Store(0)
	p.gen.Add(1) // open: publishes the fields above
	for w := 1; w < p.n; w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
	p.steal(0)
	// Wait for the chunks other workers took.
	if !p.spinUntil(func() bool { return p.doneUnits.Load() == int64(n) }) {
		p.callerParked.Store(true)
		if p.doneUnits.Load() == int64(n) && p.callerParked.CompareAndSwap(true, false) {
			// Finished between the spin and the park.
		} else {
			<-p.done
		}
	}
	p.gen.Add(1) // closed
	// A worker that joined just before the close may still be looking
	// for a chunk; it finds none at once.
	for i := 0; p.active.Load() != 0; i++ {
		if i > 1000 {
			runtime.Gosched()
		}
	}
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
	p.gen.Add(2) // a change every worker sees, open or closed
	for w := 1; w < p.n; w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
	for w := 1; w < p.n; w++ {
		<-p.exited
	}
}
