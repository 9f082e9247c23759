package engine

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/baylingd/baylingd/engine/tokenizer"
	"github.com/baylingd/baylingd/internal/fixtures"
)

// BenchmarkRunnerConcurrent measures the Runner's aggregate decode rate
// with 1, 4 and 8 requests generating together (prompts prefilled first),
// on $BAYLING_BENCH_MODEL or the fixture model. Continuous batching should
// make a step for 8 sequences cost little more than a step for one when
// decoding is bound by reading the weights.
func BenchmarkRunnerConcurrent(b *testing.B) {
	path := os.Getenv("BAYLING_BENCH_MODEL")
	if path == "" {
		path = fixtures.Path(b, "tiny-llama2-q4_0.gguf")
	}
	m, err := Load(path, true, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	for _, n := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("seqs=%d", n), func(b *testing.B) {
			r, err := NewRunner(m, RunnerOptions{ContextSize: 2048, MaxActive: 8, MaxQueue: 16})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			const gen = 32
			var tokens int
			var wall time.Duration
			for i := 0; i < b.N; i++ {
				var wg sync.WaitGroup
				var mu sync.Mutex
				start := time.Now()
				for k := 0; k < n; k++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						s, err := r.Submit(context.Background(), Request{Prompt: []tokenizer.Segment{{Text: fmt.Sprintf("Request %d: the train to the city leaves at nine.", k)}}, MaxTokens: gen})
						if err != nil {
							b.Error(err)
							return
						}
						_, res, _ := s.Wait(context.Background())
						mu.Lock()
						tokens += res.Tokens
						mu.Unlock()
					}()
				}
				wg.Wait()
				wall += time.Since(start)
			}
			b.ReportMetric(float64(tokens)/wall.Seconds(), "tok/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}
