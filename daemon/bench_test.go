package daemon

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/baylingd/baylingd/daemon/client"
)

// benchDaemon sizes the daemon for 8 concurrent requests of 64 tokens, on
// the fixture model or on $BAYLING_BENCH_MODEL (e.g. a synthetic
// TinyLlama-1.1B from make bench, where decoding is bound by memory
// bandwidth as on a board, rather than by arithmetic as on the tiny
// fixture).
func benchDaemon(b *testing.B, opts options) *testDaemon {
	cfg := testConfig(b)
	if m := os.Getenv("BAYLING_BENCH_MODEL"); m != "" {
		cfg.Model.Path = m
	}
	cfg.Engine.MaxSequences = 8
	cfg.Engine.ContextSize = 4096
	cfg.Limits.MaxOutputTokens = 64
	return startDaemon(b, cfg, opts)
}

// BenchmarkConcurrent measures aggregate throughput (generated tokens per
// second, all requests together) and time to first token with 1, 4 and 8
// translation requests in flight, over the socket, on the fixture model.
// Continuous batching is what makes 8 requests cost little more than one:
// every forward pass reads the weights once for all of them.
func BenchmarkConcurrent(b *testing.B) {
	for _, n := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("requests=%d", n), func(b *testing.B) {
			td := benchDaemon(b, options{})
			var tokens int
			var ttft float64
			var wall time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var wg sync.WaitGroup
				var mu sync.Mutex
				start := time.Now()
				for k := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						res, err := td.c.Translate(context.Background(), client.TranslateRequest{
							Text: fmt.Sprintf("Sentence %d of batch %d: the train to the city leaves at nine.", k, i), Target: "de", MaxTokens: 64,
						}, nil)
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						tokens += res.Tokens
						ttft += res.FirstTokenMS
						mu.Unlock()
					}()
				}
				wg.Wait()
				wall += time.Since(start)
			}
			b.StopTimer()
			b.ReportMetric(float64(tokens)/wall.Seconds(), "tok/s")
			b.ReportMetric(ttft/float64(n*b.N), "ttft-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkPrefixCache measures a translation request's time to first
// token with the template's fixed prefix (the system text) served from the
// KV cache, and computed afresh.
func BenchmarkPrefixCache(b *testing.B) {
	for _, cached := range []bool{true, false} {
		b.Run(fmt.Sprintf("cached=%v", cached), func(b *testing.B) {
			td := benchDaemon(b, options{noPrefixCache: !cached})
			var ttft float64
			var prompt, hit int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := td.c.Translate(context.Background(), client.TranslateRequest{
					Text: fmt.Sprintf("Request %d: where is the nearest railway station?", i), Target: "fr", MaxTokens: 1,
				}, nil)
				if err != nil {
					b.Fatal(err)
				}
				ttft += res.FirstTokenMS
				prompt, hit = res.PromptTokens, res.CachedTokens
			}
			b.StopTimer()
			b.ReportMetric(ttft/float64(b.N), "ttft-ms")
			b.ReportMetric(float64(prompt), "prompt-tokens")
			b.ReportMetric(float64(hit), "cached-tokens")
			b.ReportMetric(0, "ns/op")
		})
	}
}
