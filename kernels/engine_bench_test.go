package kernels_test

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/baylingd/baylingd/engine/llama"
	"github.com/baylingd/baylingd/kernels"
)

// BenchmarkEngine runs the engine's forward pass over a real model file so
// that kernel work can be profiled where it matters:
//
//	BAYLING_BENCH_MODEL=tinyllama-1.1b-q4_0.gguf go test -run '^$' \
//	    -bench Engine -cpuprofile cpu.out ./kernels/
//
// Without BAYLING_BENCH_MODEL it uses the tiny Q4_0 fixture model (from
// BAYLING_FIXTURES), and skips when that is missing too. prefill is one
// 128-token prompt per iteration; decode one token (after a 64-token
// prompt, so attention has something to read). Both report tok/s.
func BenchmarkEngine(b *testing.B) {
	path := os.Getenv("BAYLING_BENCH_MODEL")
	if path == "" {
		dir := os.Getenv("BAYLING_FIXTURES")
		if dir == "" {
			dir = "../../shared/fixtures"
		}
		path = filepath.Join(dir, "tiny-llama2-q4_0.gguf")
	}
	if _, err := os.Stat(path); err != nil {
		b.Skipf("no model (set BAYLING_BENCH_MODEL): %v", err)
	}
	m, err := llama.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	threads := runtime.GOMAXPROCS(0)
	b.Logf("%s, %d threads, kernels %s", filepath.Base(path), threads, kernels.Impl())
	prompt := func(n int) []int32 {
		t := make([]int32, n)
		for i := range t {
			t[i] = int32(300 + (i*7919)%20000)
		}
		return t
	}
	run := func(b *testing.B, c *llama.Context, seq int, toks []int32) {
		s := make([]int32, len(toks))
		for i := range s {
			s[i] = int32(seq)
		}
		if err := c.Decode(llama.Batch{Tokens: toks, Seqs: s}); err != nil {
			b.Fatal(err)
		}
	}
	// procCPU is the process's user+system time: with the machine shared,
	// CPU time per token is steadier than wall time.
	procCPU := func() time.Duration {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.Run("prefill128", func(b *testing.B) {
		c, err := m.NewContext(llama.Options{Threads: threads, ContextSize: 512, MaxBatch: 128})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		p := prompt(128)
		c0 := procCPU()
		for b.Loop() {
			seq, _ := c.NewSeq()
			run(b, c, seq, p)
			c.FreeSeq(seq)
		}
		b.ReportMetric(float64(b.N*128)/b.Elapsed().Seconds(), "tok/s")
		b.ReportMetric(float64((procCPU()-c0).Microseconds())/1e3/float64(b.N*128), "cpu-ms/tok")
	})
	b.Run("decode", func(b *testing.B) {
		c, err := m.NewContext(llama.Options{Threads: threads, ContextSize: 4096, MaxBatch: 128})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		seq, _ := c.NewSeq()
		run(b, c, seq, prompt(64))
		tok := []int32{1000}
		n := 0
		c0 := procCPU()
		for b.Loop() {
			if c.SeqLen(seq) >= c.MaxSeqLen()-1 {
				c.FreeSeq(seq)
				seq, _ = c.NewSeq()
				run(b, c, seq, prompt(64))
			}
			run(b, c, seq, tok)
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
		b.ReportMetric(float64((procCPU()-c0).Microseconds())/1e3/float64(n), "cpu-ms/tok")
	})
}
