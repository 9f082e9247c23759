package engine

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baylingd/baylingd/engine/tokenizer"
	"github.com/baylingd/baylingd/internal/fixtures"
)

func loadGolden(t *testing.T, name string) (*Model, *fixtures.Golden) {
	t.Helper()
	g := fixtures.GoldenNamed(t, name)
	m, err := Load(g.ModelPath, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, g
}

// TestRunnerGreedyMatchesGolden: the text a Runner streams for the golden
// prompt is llama.cpp's greedy continuation, byte for byte.
func TestRunnerGreedyMatchesGolden(t *testing.T) {
	for _, name := range []string{"tiny-llama2-q4_0.l2-en-de", "tiny-llama3-q4_k_m.l3-en-zh"} {
		m, g := loadGolden(t, name)
		want, _ := hex.DecodeString(g.GreedyTextHex)
		n := g.GreedyPrefix() // tokens that must match llama.cpp's
		r, err := NewRunner(m, RunnerOptions{Threads: 2, ContextSize: 512})
		if err != nil {
			t.Fatal(err)
		}
		s, err := r.Submit(context.Background(), Request{Tokens: g.Tokens, MaxTokens: n})
		if err != nil {
			t.Fatal(err)
		}
		text, res, err := s.Wait(context.Background())
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		// The cut after n tokens may fall inside a character, which the
		// stream ends with U+FFFD.
		text = strings.TrimSuffix(text, "\uFFFD")
		if !strings.HasPrefix(string(want), text) || len(text) < n || res.Reason != FinishLength || res.Tokens != n {
			t.Errorf("%s: got %q (%s, %d tokens), want a prefix of %q", name, text, res.Reason, res.Tokens, want)
		}
		t.Logf("%s: %d tokens, first token after %s, all in %s", name, res.Tokens, res.FirstToken, res.Elapsed)
	}
}

// TestRunnerBatchingAndPrefix: many concurrent requests, sharing forward
// passes and the cached template prefix, each produce exactly what the
// same request produces alone and uncached.
func TestRunnerBatchingAndPrefix(t *testing.T) {
	m, _ := loadGolden(t, "tiny-llama2-q4_0.l2-en-de")
	system := "I am an intelligent language assistant developed by the NLP Group of ICT/CAS.\nBelow is a dialog consisting of instructions and responses. Write a response that completes the request.\n\n### Instruction:\n"
	prompt := func(i int) []tokenizer.Segment {
		return []tokenizer.Segment{{Text: system, Special: true}, {Text: fmt.Sprintf("Provide the German translation for this sentence: request number %d is here.", i)}, {Text: "\n### Response:\n", Special: true}}
	}
	const n = 7
	want := make([]string, n)
	solo, err := NewRunner(m, RunnerOptions{Threads: 2, ContextSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		s, err := solo.Submit(context.Background(), Request{Prompt: prompt(i), MaxTokens: 24})
		if err != nil {
			t.Fatal(err)
		}
		want[i], _, _ = s.Wait(context.Background())
	}
	solo.Close()

	r, err := NewRunner(m, RunnerOptions{Threads: 2, ContextSize: 1024, MaxActive: 4, PrefillChunk: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.CachePrefix(context.Background(), []tokenizer.Segment{{Text: system, Special: true}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]string, n)
	res := make([]Result, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := r.Submit(context.Background(), Request{Prompt: prompt(i), MaxTokens: 24})
			if err != nil {
				t.Error(err)
				return
			}
			got[i], res[i], _ = s.Wait(context.Background())
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("request %d: batched %q, alone %q", i, got[i], want[i])
		}
		if res[i].CachedTokens < 32 {
			t.Errorf("request %d: %d prompt tokens came from the prefix cache", i, res[i].CachedTokens)
		}
	}
	st := r.Stats()
	t.Logf("stats: %+v", st)
	if st.Steps >= int64(n*24) {
		t.Errorf("%d steps for %d requests of 24 tokens: no batching", st.Steps, n)
	}
}

func TestRunnerBusyCancelDrain(t *testing.T) {
	m, g := loadGolden(t, "tiny-llama2-q4_0.l2-en-de")
	r, err := NewRunner(m, RunnerOptions{Threads: 1, ContextSize: 2048, MaxActive: 1, MaxQueue: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	first, err := r.Submit(ctx, Request{Tokens: g.Tokens, MaxTokens: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// Wait for it to start generating, then fill the queue.
	if txt, _, err := first.Recv(context.Background()); err != nil || txt == "" {
		t.Fatalf("first piece: %q %v", txt, err)
	}
	var queued []*Stream
	for i := 0; i < 2; i++ {
		s, err := r.Submit(context.Background(), Request{Tokens: g.Tokens, MaxTokens: 2})
		if err != nil {
			t.Fatalf("queueing %d: %v", i, err)
		}
		queued = append(queued, s)
	}
	if _, err := r.Submit(context.Background(), Request{Tokens: g.Tokens}); !errors.Is(err, ErrBusy) {
		t.Errorf("full queue: %v, want ErrBusy", err)
	}
	cancel()
	_, res, _ := first.Wait(context.Background())
	if res.Reason != FinishCancelled {
		t.Errorf("cancelled request ended with %s", res.Reason)
	}
	for i, s := range queued {
		_, res, _ := s.Wait(context.Background())
		if res.Reason != FinishLength || res.Tokens != 2 {
			t.Errorf("queued %d: %s after %d tokens", i, res.Reason, res.Tokens)
		}
	}
	// Deadline.
	dctx, dcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer dcancel()
	s, _ := r.Submit(dctx, Request{Tokens: g.Tokens})
	if _, res, _ := s.Wait(context.Background()); res.Reason != FinishTimeout {
		t.Errorf("deadline: %s", res.Reason)
	}
	// Too long.
	long := make([]int32, 3000)
	if _, err := r.Submit(context.Background(), Request{Tokens: long}); !errors.Is(err, ErrTooLong) {
		t.Errorf("long prompt: %v", err)
	}
	// Drain: an accepted request completes, later ones are refused.
	s, _ = r.Submit(context.Background(), Request{Tokens: g.Tokens, MaxTokens: 5})
	dc, dcc := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcc()
	r.Drain(dc)
	if _, res, _ := s.Wait(context.Background()); res.Reason != FinishLength || res.Tokens != 5 {
		t.Errorf("request accepted before drain: %s after %d tokens", res.Reason, res.Tokens)
	}
	if _, err := r.Submit(context.Background(), Request{Tokens: g.Tokens}); !errors.Is(err, ErrClosed) {
		t.Errorf("after drain: %v", err)
	}
	if r.Health() == nil {
		t.Errorf("a stopped runner reports healthy")
	}
}
