package engine

import (
	"context"
	"io"
	"strings"
	"sync"
	"time"
)

// FinishReason says why a generation ended.
type FinishReason string

// The finish reasons.
const (
	FinishStop      FinishReason = "stop"      // end-of-generation token or stop string
	FinishLength    FinishReason = "length"    // MaxTokens or the context length reached
	FinishCancelled FinishReason = "cancelled" // the request's context was cancelled, or the runner shut down
	FinishTimeout   FinishReason = "timeout"   // the request's deadline passed
	FinishError     FinishReason = "error"     // the engine failed
)

// Result is the summary of a finished generation.
type Result struct {
	Reason       FinishReason
	Err          error // set for FinishError, and ctx's error for cancelled/timeout
	PromptTokens int   // prompt tokens (including those served from the prefix cache)
	CachedTokens int   // prompt tokens whose KV came from the prefix cache
	Tokens       int   // generated tokens
	Queued       time.Duration
	FirstToken   time.Duration // from Submit to the first generated token
	Elapsed      time.Duration // from Submit to the end
}

// Stream delivers a request's output. The runner appends to it without
// ever blocking, however slow the reader; the reader collects text with
// Recv or Wait.
type Stream struct {
	mu     sync.Mutex
	text   strings.Builder
	done   bool
	result Result
	notify chan struct{}
	read   bool // the final result was returned by Recv
}

func newStream() *Stream { return &Stream{notify: make(chan struct{}, 1)} }

func (s *Stream) push(text string) {
	if text == "" {
		return
	}
	s.mu.Lock()
	s.text.WriteString(text)
	s.mu.Unlock()
	s.wake()
}

func (s *Stream) finish(r Result) {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return
	}
	s.done, s.result = true, r
	s.mu.Unlock()
	s.wake()
}

func (s *Stream) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Recv returns the text generated since the last call as soon as there is
// some. When the generation has ended and all text was returned, it returns
// the Result with done set; after that, io.EOF. An error from ctx (the
// reader's) is returned as is and does not stop the generation.
func (s *Stream) Recv(ctx context.Context) (text string, res *Result, err error) {
	for {
		s.mu.Lock()
		if s.text.Len() > 0 {
			text = s.text.String()
			s.text.Reset()
			s.mu.Unlock()
			return text, nil, nil
		}
		if s.done {
			if s.read {
				s.mu.Unlock()
				return "", nil, io.EOF
			}
			s.read = true
			r := s.result
			s.mu.Unlock()
			return "", &r, nil
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-ctx.Done():
			return "", nil, ctx.Err()
		}
	}
}

// Wait collects the whole output.
func (s *Stream) Wait(ctx context.Context) (string, Result, error) {
	var b strings.Builder
	for {
		t, r, err := s.Recv(ctx)
		if err != nil {
			return b.String(), Result{}, err
		}
		b.WriteString(t)
		if r != nil {
			return b.String(), *r, nil
		}
	}
}
