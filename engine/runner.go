package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baylingd/baylingd/engine/llama"
	"github.com/baylingd/baylingd/engine/sample"
	"github.com/baylingd/baylingd/engine/tokenizer"
)

// Request is one generation.
type Request struct {
	// Prompt is tokenized with BOS; special tokens are parsed only in
	// segments marked Special. Tokens, when set, is used instead.
	Prompt []tokenizer.Segment
	Tokens []int32
	Sample sample.Params
	// MaxTokens bounds the generated tokens (0: up to the context length).
	MaxTokens int
	// Stop strings end the generation; the text before the first one is
	// the output.
	Stop []string
}

// RunnerOptions size a Runner.
type RunnerOptions struct {
	Threads     int // worker threads (0: the performance cores)
	ContextSize int // KV positions shared by all sequences (0: the model's training context)
	MaxBatch    int // most tokens in one forward pass (0: 256)
	MaxActive   int // sequences decoded together (0: 4)
	MaxQueue    int // requests waiting for a slot before Submit answers ErrBusy (0: 16)
	// PrefillChunk is the most prompt tokens one sequence feeds per step
	// (0: 64). Long prompts are fed in chunks so that the sequences already
	// generating keep getting a token every step.
	PrefillChunk int
	// StuckAfter is how long one step may run before Health reports the
	// runner stuck (0: 60 s).
	StuckAfter time.Duration
	// Offload sends the layer matmuls of large passes to an accelerator
	// (AccelChoice.Offload); the zero value keeps them on the CPU. The
	// backend must outlive the runner.
	Offload llama.Offload
}

// Errors of Submit.
var (
	ErrBusy    = errors.New("the request queue is full")
	ErrClosed  = errors.New("the runner is shutting down")
	ErrTooLong = errors.New("the request does not fit the context")
	ErrEmpty   = errors.New("empty prompt")
	ErrInvalid = errors.New("invalid request") // wraps bad sampling settings
)

// Runner serves generation requests with continuous batching: every
// active request advances by one token in each forward pass, new requests
// join between passes, and finished ones leave. One goroutine owns the
// llama.Context; Submit, Stats and Health are safe for concurrent use.
type Runner struct {
	m    *Model
	ctx  *llama.Context
	opts RunnerOptions

	submit  chan *job
	control chan func()
	quit    chan struct{}
	stopped chan struct{}

	mu       sync.Mutex // guards draining and queued
	draining bool
	queued   int

	// Loop state (owned by the loop goroutine).
	pending      []*job
	active       []*job
	prefixSeq    int
	prefixTokens []int32
	batch        llama.Batch
	rowJob       []*job

	stats    counters
	inStep   atomic.Bool
	stepFrom atomic.Int64 // unix nanoseconds
}

type counters struct {
	submitted, rejected                atomic.Int64
	promptTokens, cachedTokens, tokens atomic.Int64
	steps                              atomic.Int64
	finished                           [5]atomic.Int64 // by reasonIndex
	active, waiting                    atomic.Int64
	busyNanos                          atomic.Int64
	freeKV                             atomic.Int64
}

var reasons = []FinishReason{FinishStop, FinishLength, FinishCancelled, FinishTimeout, FinishError}

func reasonIndex(r FinishReason) int {
	for i, x := range reasons {
		if x == r {
			return i
		}
	}
	return len(reasons) - 1
}

type job struct {
	ctx       context.Context
	tokens    []int32
	maxTokens int
	finalLen  int // positions the sequence may reach
	stream    *Stream
	submitted time.Time
	admitted  time.Time

	seq      int
	fed      int // prompt tokens in the KV
	cached   int // of which from the prefix cache
	shared   int // KV pages shared with the prefix
	sampler  *sample.Sampler
	dec      *tokenizer.Decoder
	stop     *sample.StopMatcher
	gen      int
	last     int32
	firstTok time.Duration
}

// NewRunner starts a runner over m.
func NewRunner(m *Model, o RunnerOptions) (*Runner, error) {
	if o.MaxActive <= 0 {
		o.MaxActive = 4
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = 16
	}
	if o.PrefillChunk <= 0 {
		o.PrefillChunk = 64
	}
	if o.StuckAfter <= 0 {
		o.StuckAfter = 60 * time.Second
	}
	c, err := m.LLM.NewContext(llama.Options{Threads: o.Threads, ContextSize: o.ContextSize, MaxBatch: o.MaxBatch, MaxSeqs: o.MaxActive + 1, Accel: o.Offload})
	if err != nil {
		return nil, err
	}
	o.MaxBatch = c.MaxBatch()
	o.Threads = c.Threads()
	r := &Runner{
		m: m, ctx: c, opts: o,
		submit:    make(chan *job, o.MaxQueue),
		control:   make(chan func()),
		quit:      make(chan struct{}),
		stopped:   make(chan struct{}),
		prefixSeq: -1,
		rowJob:    make([]*job, 0, o.MaxBatch),
	}
	r.batch = llama.Batch{Tokens: make([]int32, 0, o.MaxBatch), Seqs: make([]int32, 0, o.MaxBatch), Logits: make([]bool, 0, o.MaxBatch)}
	go r.loop()
	return r, nil
}

// Options returns the effective options.
func (r *Runner) Options() RunnerOptions { return r.opts }

// OffloadStats reports the accelerator offload of the runner's context
// (safe from any goroutine).
func (r *Runner) OffloadStats() llama.OffloadStats { return r.ctx.OffloadStats() }

// MaxSeqLen is the most positions (prompt and output) one request may use.
func (r *Runner) MaxSeqLen() int { return r.ctx.MaxSeqLen() }

// Model returns the runner's model.
func (r *Runner) Model() *Model { return r.m }

// CachePrefix computes the KV of a prompt prefix once (the template's
// system text); requests whose tokens start with it reuse it instead of
// recomputing it. It replaces any previous prefix.
func (r *Runner) CachePrefix(ctx context.Context, prefix []tokenizer.Segment) error {
	toks := r.m.Tok.EncodeSegments(prefix, r.m.Tok.AddBOS())
	errc := make(chan error, 1)
	fn := func() { errc <- r.setPrefix(toks) }
	select {
	case r.control <- fn:
	case <-r.stopped:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-errc
}

// setPrefix runs on the loop goroutine.
func (r *Runner) setPrefix(toks []int32) error {
	if r.prefixSeq >= 0 {
		r.ctx.FreeSeq(r.prefixSeq)
		r.prefixSeq, r.prefixTokens = -1, nil
	}
	if len(toks) == 0 {
		return nil
	}
	if len(toks) >= r.ctx.MaxSeqLen() {
		return ErrTooLong
	}
	seq, err := r.ctx.NewSeq()
	if err != nil {
		return err
	}
	logits := make([]bool, len(toks))
	seqs := make([]int32, len(toks))
	for i := range seqs {
		seqs[i] = int32(seq)
	}
	if err := r.ctx.Decode(llama.Batch{Tokens: toks, Seqs: seqs, Logits: logits}); err != nil {
		r.ctx.FreeSeq(seq)
		return err
	}
	r.prefixSeq, r.prefixTokens = seq, toks
	return nil
}

// PrefixTokens is the length of the cached prefix.
func (r *Runner) PrefixTokens() int {
	n := make(chan int, 1)
	select {
	case r.control <- func() { n <- len(r.prefixTokens) }:
		return <-n
	case <-r.stopped:
		return 0
	}
}

// Submit queues a request. It fails at once with ErrBusy when the queue is
// full, ErrClosed while draining, or ErrTooLong when the prompt cannot fit;
// otherwise the request will be answered on the Stream (cancelling ctx
// cancels it).
func (r *Runner) Submit(ctx context.Context, req Request) (*Stream, error) {
	toks := req.Tokens
	if toks == nil {
		toks = r.m.Tok.EncodeSegments(req.Prompt, r.m.Tok.AddBOS())
	}
	if len(toks) == 0 {
		return nil, ErrEmpty
	}
	if err := req.Sample.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	maxLen := r.ctx.MaxSeqLen()
	if len(toks) >= maxLen {
		return nil, fmt.Errorf("%w: the prompt has %d tokens, the context holds %d", ErrTooLong, len(toks), maxLen)
	}
	maxTok := req.MaxTokens
	if maxTok <= 0 || maxTok > maxLen-len(toks) {
		maxTok = maxLen - len(toks)
	}
	j := &job{
		ctx: ctx, tokens: toks, maxTokens: maxTok, finalLen: len(toks) + maxTok,
		stream: newStream(), submitted: time.Now(), seq: -1,
		sampler: sample.New(req.Sample, r.m.LLM.NVocab),
		dec:     r.m.Tok.NewContinuationDecoder(),
		stop:    sample.NewStopMatcher(req.Stop),
	}
	r.mu.Lock()
	if r.draining {
		r.mu.Unlock()
		r.stats.rejected.Add(1)
		return nil, ErrClosed
	}
	select {
	case r.submit <- j:
		r.queued++
		r.stats.waiting.Add(1)
	default:
		r.mu.Unlock()
		r.stats.rejected.Add(1)
		return nil, ErrBusy
	}
	r.mu.Unlock()
	r.stats.submitted.Add(1)
	return j.stream, nil
}

// Stats is a snapshot of the runner's counters.
type Stats struct {
	Waiting, Active      int
	Submitted, Rejected  int64
	PromptTokens, Cached int64
	Tokens               int64 // generated
	Steps                int64
	Finished             map[FinishReason]int64
	Busy                 time.Duration // time spent in forward passes
	FreeKVPositions      int           // KV positions no sequence holds (after the last step)
}

// Stats returns the counters.
func (r *Runner) Stats() Stats {
	s := Stats{
		Waiting: int(r.stats.waiting.Load()), Active: int(r.stats.active.Load()),
		Submitted: r.stats.submitted.Load(), Rejected: r.stats.rejected.Load(),
		PromptTokens: r.stats.promptTokens.Load(), Cached: r.stats.cachedTokens.Load(),
		Tokens: r.stats.tokens.Load(), Steps: r.stats.steps.Load(),
		Busy:            time.Duration(r.stats.busyNanos.Load()),
		FreeKVPositions: int(r.stats.freeKV.Load()),
		Finished:        map[FinishReason]int64{},
	}
	for i, x := range reasons {
		s.Finished[x] = r.stats.finished[i].Load()
	}
	return s
}

// Health reports whether the loop is making progress: it fails when the
// runner has stopped or one forward pass has run longer than StuckAfter.
func (r *Runner) Health() error {
	select {
	case <-r.stopped:
		return ErrClosed
	default:
	}
	if r.inStep.Load() {
		if d := time.Since(time.Unix(0, r.stepFrom.Load())); d > r.opts.StuckAfter {
			return fmt.Errorf("a forward pass has been running for %s", d.Round(time.Second))
		}
	}
	return nil
}

// Drain stops accepting requests and waits for the accepted ones to
// finish. When ctx ends first, the remaining ones are cancelled (their
// streams end with FinishCancelled). Then the runner stops.
func (r *Runner) Drain(ctx context.Context) {
	r.mu.Lock()
	r.draining = true
	r.mu.Unlock()
	idle := make(chan struct{})
	go func() {
		for {
			done := make(chan bool, 1)
			select {
			case r.control <- func() { done <- len(r.active) == 0 && len(r.pending) == 0 && len(r.submit) == 0 }:
			case <-r.stopped:
				close(idle)
				return
			}
			if <-done {
				close(idle)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	select {
	case <-idle:
	case <-ctx.Done():
	}
	r.Close()
}

// Close cancels every request still queued or running and stops the
// runner. The model stays open.
func (r *Runner) Close() {
	r.mu.Lock()
	r.draining = true
	r.mu.Unlock()
	select {
	case <-r.quit:
	default:
		close(r.quit)
	}
	<-r.stopped
}

func (r *Runner) loop() {
	defer func() {
		// Everything still here is answered, never dropped.
		for _, j := range r.active {
			r.finish(j, FinishCancelled, ErrClosed)
		}
		for _, j := range r.pending {
			r.finish(j, FinishCancelled, ErrClosed)
		}
		for {
			select {
			case j := <-r.submit:
				r.took(j)
				r.finish(j, FinishCancelled, ErrClosed)
				continue
			default:
			}
			break
		}
		r.ctx.Close()
		close(r.stopped)
	}()
	for {
		if len(r.active) == 0 && len(r.pending) == 0 {
			select {
			case j := <-r.submit:
				r.took(j)
			case fn := <-r.control:
				fn()
				continue
			case <-r.quit:
				return
			}
		}
		for more := true; more; {
			select {
			case j := <-r.submit:
				r.took(j)
			case fn := <-r.control:
				fn()
			case <-r.quit:
				return
			default:
				more = false
			}
		}
		r.reap()
		r.admit()
		if len(r.active) > 0 {
			r.step()
		} else if len(r.pending) > 0 {
			// Head of the queue waits for KV space held by nothing: it can
			// never run. (Submit rules this out; guard anyway.)
			r.finish(r.pending[0], FinishError, ErrTooLong)
			r.pending = r.pending[1:]
		}
	}
}

func (r *Runner) took(j *job) {
	r.mu.Lock()
	r.queued--
	r.mu.Unlock()
	r.pending = append(r.pending, j)
}

// reap ends requests whose context is done.
func (r *Runner) reap() {
	keep := r.pending[:0]
	for _, j := range r.pending {
		if err := j.ctx.Err(); err != nil {
			r.finish(j, ctxReason(err), err)
			continue
		}
		keep = append(keep, j)
	}
	clear(r.pending[len(keep):])
	r.pending = keep
	act := r.active[:0]
	for _, j := range r.active {
		if err := j.ctx.Err(); err != nil {
			r.finish(j, ctxReason(err), err)
			continue
		}
		act = append(act, j)
	}
	clear(r.active[len(act):])
	r.active = act
}

func ctxReason(err error) FinishReason {
	if errors.Is(err, context.DeadlineExceeded) {
		return FinishTimeout
	}
	return FinishCancelled
}

func pages(n int) int { return (n + llama.PageSize - 1) / llama.PageSize }

// ownedPages is the number of pages a job's sequence needs for itself when
// it holds n positions.
func (j *job) ownedPages(n int) int { return pages(n) - j.shared }

// admit moves queued requests into free sequence slots in arrival order,
// as long as the KV cache can hold each one's whole output; that
// reservation is what guarantees an admitted request never fails for lack
// of space.
func (r *Runner) admit() {
	for len(r.pending) > 0 && len(r.active) < r.opts.MaxActive {
		j := r.pending[0]
		avail := r.ctx.FreePages()
		for _, a := range r.active {
			avail -= a.ownedPages(a.finalLen) - a.ownedPages(r.ctx.SeqLen(a.seq))
		}
		// Reuse the cached prefix where the prompt starts with it, keeping
		// at least one prompt token to compute the first logits from.
		common := 0
		if r.prefixSeq >= 0 {
			for common < len(r.prefixTokens) && common < len(j.tokens)-1 && r.prefixTokens[common] == j.tokens[common] {
				common++
			}
		}
		j.shared = common / llama.PageSize
		if need := j.ownedPages(j.finalLen); need > avail {
			if len(r.active) == 0 && need > r.ctx.FreePages() {
				// It cannot fit even alone: answer rather than wait forever.
				r.pending = r.pending[1:]
				r.finish(j, FinishError, fmt.Errorf("%w: it needs %d KV pages, %d are free", ErrTooLong, need, r.ctx.FreePages()))
				continue
			}
			return
		}
		var err error
		if common > 0 {
			if j.seq, err = r.ctx.ForkSeq(r.prefixSeq); err == nil {
				err = r.ctx.TruncateSeq(j.seq, common)
			}
		} else {
			j.seq, err = r.ctx.NewSeq()
		}
		r.pending = r.pending[1:]
		if err != nil {
			if j.seq >= 0 {
				r.ctx.FreeSeq(j.seq)
			}
			r.finish(j, FinishError, err)
			continue
		}
		j.fed, j.cached = common, common
		j.admitted = time.Now()
		for _, t := range j.tokens {
			j.sampler.Accept(t) // the repetition penalty covers the prompt too
		}
		r.stats.waiting.Add(-1)
		r.stats.active.Add(1)
		r.stats.promptTokens.Add(int64(len(j.tokens)))
		r.stats.cachedTokens.Add(int64(common))
		r.active = append(r.active, j)
	}
}

// step runs one forward pass: the last token of every generating request
// and a chunk of prompt for those still prefilling.
func (r *Runner) step() {
	b := &r.batch
	b.Tokens, b.Seqs, b.Logits = b.Tokens[:0], b.Seqs[:0], b.Logits[:0]
	r.rowJob = r.rowJob[:0]
	add := func(j *job, tok int32, logits bool) {
		b.Tokens = append(b.Tokens, tok)
		b.Seqs = append(b.Seqs, int32(j.seq))
		b.Logits = append(b.Logits, logits)
		if logits {
			r.rowJob = append(r.rowJob, j)
		}
	}
	for _, j := range r.active {
		if j.fed == len(j.tokens) {
			add(j, j.last, true)
		}
	}
	budget := r.opts.MaxBatch - len(b.Tokens)
	for _, j := range r.active {
		if j.fed == len(j.tokens) || budget <= 0 {
			continue
		}
		n := min(len(j.tokens)-j.fed, r.opts.PrefillChunk, budget)
		for i := 0; i < n; i++ {
			add(j, j.tokens[j.fed+i], j.fed+i == len(j.tokens)-1)
		}
		j.fed += n
		budget -= n
	}
	if len(b.Tokens) == 0 {
		return
	}
	r.stepFrom.Store(time.Now().UnixNano())
	r.inStep.Store(true)
	err := r.ctx.Decode(*b)
	r.inStep.Store(false)
	r.stats.busyNanos.Add(time.Now().UnixNano() - r.stepFrom.Load())
	r.stats.steps.Add(1)
	r.stats.freeKV.Store(int64(r.ctx.FreePages() * llama.PageSize))
	if err != nil {
		// Reservations rule this out; if it happens anyway, fail the
		// requests in this batch rather than the whole daemon.
		for _, j := range r.active {
			r.finish(j, FinishError, fmt.Errorf("forward pass: %w", err))
		}
		r.active = r.active[:0]
		return
	}
	for i, j := range r.rowJob {
		r.emitToken(j, j.sampler.Sample(r.ctx.Logits(i)))
	}
	act := r.active[:0]
	for _, j := range r.active {
		if j.seq >= 0 {
			act = append(act, j)
		}
	}
	clear(r.active[len(act):])
	r.active = act
}

// emitToken handles one sampled token of j: end of generation, or text.
func (r *Runner) emitToken(j *job, tok int32) {
	j.sampler.Accept(tok)
	j.gen++
	r.stats.tokens.Add(1)
	if j.gen == 1 {
		j.firstTok = time.Since(j.submitted)
	}
	if r.m.Tok.IsEOG(tok) {
		r.flush(j)
		r.finish(j, FinishStop, nil)
		return
	}
	out, stopped := j.stop.Push(j.dec.Push(tok))
	j.stream.push(out)
	if stopped {
		r.finish(j, FinishStop, nil)
		return
	}
	if j.gen >= j.maxTokens || r.ctx.SeqLen(j.seq) >= j.finalLen {
		r.flush(j)
		r.finish(j, FinishLength, nil)
		return
	}
	j.last = tok
}

// flush emits text held back by the decoder and the stop matcher.
func (r *Runner) flush(j *job) {
	out, stopped := j.stop.Push(j.dec.Flush())
	j.stream.push(out)
	if !stopped {
		j.stream.push(j.stop.Flush())
	}
}

// finish ends a request: its sequence is freed and its stream closed. The
// job is removed from the active list by the caller (seq = -1 marks it).
func (r *Runner) finish(j *job, reason FinishReason, err error) {
	if j.seq >= 0 {
		r.ctx.FreeSeq(j.seq)
		j.seq = -1
		r.stats.active.Add(-1)
	} else if j.admitted.IsZero() {
		r.stats.waiting.Add(-1)
	}
	r.stats.finished[reasonIndex(reason)].Add(1)
	now := time.Now()
	res := Result{Reason: reason, Err: err, PromptTokens: len(j.tokens), CachedTokens: j.cached, Tokens: j.gen, FirstToken: j.firstTok, Elapsed: now.Sub(j.submitted)}
	if !j.admitted.IsZero() {
		res.Queued = j.admitted.Sub(j.submitted)
	} else {
		res.Queued = res.Elapsed
	}
	j.stream.finish(res)
}
