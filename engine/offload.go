package engine

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/baylingd/baylingd/accel"
	"github.com/baylingd/baylingd/engine/llama"
)

// The openers, variables so that tests can put fake backends in.
var (
	openAvailable = accel.OpenAvailable
	openBackend   = accel.Open
)

// AccelModes are the values of the config key model.accel.
var AccelModes = []string{"auto", "cpu", "vulkan", "rknpu"}

// AccelOptions say how ChooseAccel decides where prefill matmuls run.
type AccelOptions struct {
	// Mode is model.accel: "cpu" never offloads; "vulkan" or "rknpu"
	// demands that backend (start-up fails without it); "auto" uses
	// whichever available backend measures faster than the CPU.
	Mode string
	// Open configures the backends (libraries, device choice).
	Open accel.Options
	// Threads is the runner's worker count, the CPU side of the
	// comparison (0: the performance cores, as the runner).
	Threads int
	// MaxBatch is the runner's most tokens per forward pass (0: 256), the
	// largest batch measured.
	MaxBatch int
	// MaxDecode is the most tokens a decode-only pass has (the runner's
	// MaxActive): a demanded backend takes every pass larger than that.
	MaxDecode int
	// Measure tunes the timing; zero fields get start-up defaults
	// (50 ms or 5 calls per batch size and side).
	Measure accel.MeasureOptions
	// Log receives what was found and decided; nil discards it.
	Log *slog.Logger
}

// AccelChoice is ChooseAccel's decision and the figures behind it.
type AccelChoice struct {
	Mode string
	// Backend takes the layer matmuls of passes of at least MinBatch
	// tokens; nil (and MinBatch 0) keeps everything on the CPU.
	Backend  accel.Backend
	MinBatch int
	// Measured holds one entry per backend measured (the chosen one and
	// those that lost or failed).
	Measured []AccelMeasurement
	// Unavailable are the backends this machine lacks (a logged fact,
	// not an error, in auto mode); Failed the ones that exist but did
	// not open.
	Unavailable, Failed []error
}

// AccelMeasurement is what start-up measured for one backend, on the
// model's own matrices.
type AccelMeasurement struct {
	Backend string
	// Reports has one report per representative weight measured (layer
	// 0's attn_q, then ffn_up when the first shows a win).
	Reports []accel.Report
	// MinBatch is the smallest measured batch from which the backend wins
	// on every weight measured; 0 when it never does.
	MinBatch int
	Err      error // the measurement failed (wrong results, upload)
}

// Name is the chosen backend's name, "cpu" when there is none.
func (c *AccelChoice) Name() string {
	if c == nil || c.Backend == nil {
		return "cpu"
	}
	return c.Backend.Name()
}

// Offload is the setting for llama.Options.Accel (RunnerOptions.Offload).
func (c *AccelChoice) Offload() llama.Offload {
	if c == nil || c.Backend == nil {
		return llama.Offload{}
	}
	return llama.Offload{Backend: c.Backend, MinBatch: c.MinBatch}
}

// Close closes the chosen backend. Call it after the runner using it has
// stopped. Idempotent.
func (c *AccelChoice) Close() error {
	if c == nil || c.Backend == nil {
		return nil
	}
	b := c.Backend
	c.Backend = nil
	return b.Close()
}

// String is a one-line summary of the decision.
func (c *AccelChoice) String() string {
	if c.Backend == nil {
		return "accel=" + c.Mode + ": all matmuls on the CPU"
	}
	return fmt.Sprintf("accel=%s: %s takes the layer matmuls of passes of %d tokens or more", c.Mode, c.Backend.Name(), c.MinBatch)
}

// ChooseAccel decides, at start-up, where m's prefill matmuls run.
//
//   - "cpu": nothing is opened.
//   - "vulkan", "rknpu": the backend must open (its absence is an error
//     wrapping accel.ErrUnavailable) and is measured once at MaxBatch on
//     layer 0's attn_q, which checks its results against the CPU's (a
//     wrong answer is an error) and gives the figure to log. It then takes
//     every pass of more than MaxDecode tokens whatever the figure says:
//     demanding a backend means "use it for prompts" (a slower device is
//     logged as a warning, not overruled), while decode steps stay on the
//     CPU, where the design keeps them.
//   - "auto": every available backend is opened (accel.OpenAvailable;
//     missing ones are logged) and measured against the engine's own CPU
//     path on the model's matrices: first at MaxBatch on attn_q, where a
//     backend that loses is dropped at once (so a slow CPU driver such as
//     lavapipe costs one product at start-up, not a sweep), then at every
//     batch size up to MaxBatch on attn_q and ffn_up. A backend qualifies
//     from the smallest batch from which it wins on both; among those the
//     fastest at MaxBatch is chosen and the others are closed. None
//     qualifying is the CPU.
func ChooseAccel(m *Model, o AccelOptions) (*AccelChoice, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.MaxDecode <= 0 {
		o.MaxDecode = 1
	}
	if o.Measure.MinTime <= 0 {
		o.Measure.MinTime = 50 * time.Millisecond
	}
	if o.Measure.MaxRuns <= 0 {
		o.Measure.MaxRuns = 5
	}
	ch := &AccelChoice{Mode: o.Mode}
	switch o.Mode {
	case "cpu":
		o.Log.Info("accelerator offload off", "accel", o.Mode)
		return ch, nil
	case "vulkan", "rknpu":
		return chooseDemanded(m, o, ch)
	case "auto", "":
		ch.Mode = "auto"
		return chooseAuto(m, o, ch)
	}
	return nil, fmt.Errorf("accel %q is not one of %s", o.Mode, strings.Join(AccelModes, ", "))
}

func chooseDemanded(m *Model, o AccelOptions, ch *AccelChoice) (*AccelChoice, error) {
	b, err := openBackend(o.Mode, o.Open)
	if err != nil {
		return nil, fmt.Errorf("%q is demanded but cannot be used: %w", o.Mode, err)
	}
	mc, err := newMeasurer(m, o)
	if err != nil {
		b.Close()
		return nil, err
	}
	defer mc.close()
	me := mc.measure(b, []int{o.MaxBatch}, false)
	ch.Measured = append(ch.Measured, me)
	if me.Err != nil {
		b.Close()
		return nil, fmt.Errorf("%q is demanded but failed its start-up check: %w", o.Mode, me.Err)
	}
	ch.Backend = b
	ch.MinBatch = min(o.MaxDecode+1, o.MaxBatch)
	if me.MinBatch == 0 {
		o.Log.Warn("the demanded accelerator is slower than the CPU at the largest batch; offloading prompts to it as configured",
			"accel", o.Mode, "backend", b.Name(), "measured", me.Reports[0].String())
	}
	o.Log.Info("accelerator offload", "accel", o.Mode, "backend", b.Name(), "min_batch", ch.MinBatch, "decision", ch.String())
	return ch, nil
}

func chooseAuto(m *Model, o AccelOptions, ch *AccelChoice) (*AccelChoice, error) {
	open := o.Open
	open.HardwareOnly = true
	backends, unavailable, failed := openAvailable(open)
	ch.Unavailable, ch.Failed = unavailable, failed
	for _, err := range unavailable {
		o.Log.Info("accelerator not available; not an error", "err", err)
	}
	for _, err := range failed {
		o.Log.Warn("accelerator present but failed to open; staying off it", "err", err)
	}
	if len(backends) == 0 {
		o.Log.Info("accelerator offload", "accel", "auto", "backend", "cpu", "decision", ch.String())
		return ch, nil
	}
	mc, err := newMeasurer(m, o)
	if err != nil {
		for _, b := range backends {
			b.Close()
		}
		return nil, err
	}
	defer mc.close()
	batches := measureBatches(o.MaxBatch)
	best, bestT := -1, time.Duration(0)
	for i, b := range backends {
		me := mc.measure(b, batches, true)
		ch.Measured = append(ch.Measured, me)
		if me.Err != nil {
			o.Log.Warn("accelerator measurement failed; staying off it", "backend", b.Name(), "err", me.Err)
			continue
		}
		if me.MinBatch == 0 {
			continue
		}
		// Time at the largest batch, all weights measured together.
		var t time.Duration
		for _, r := range me.Reports {
			t += r.Samples[len(r.Samples)-1].Backend
		}
		if best < 0 || t < bestT {
			best, bestT = i, t
		}
	}
	for i, b := range backends {
		if i != best {
			b.Close()
		}
	}
	if best >= 0 {
		ch.Backend = backends[best]
		ch.MinBatch = ch.Measured[best].MinBatch
	}
	o.Log.Info("accelerator offload", "accel", "auto", "backend", ch.Name(), "min_batch", ch.MinBatch, "decision", ch.String())
	return ch, nil
}

// measureBatches are accel.DefaultBatches up to maxBatch, and maxBatch.
func measureBatches(maxBatch int) []int {
	var bs []int
	for _, b := range accel.DefaultBatches {
		if b < maxBatch {
			bs = append(bs, b)
		}
	}
	return append(bs, maxBatch)
}

// measurer times backends against a small context of the model: the CPU
// side is the engine's own path (llama.Context.CPUMatMul), threads and
// packed kernels included, not a stand-in.
type measurer struct {
	ctx     *llama.Context
	log     *slog.Logger
	opts    accel.MeasureOptions
	weights []*llama.Weight // attn_q, ffn_up of layer 0
}

func newMeasurer(m *Model, o AccelOptions) (*measurer, error) {
	c, err := m.LLM.NewContext(llama.Options{Threads: o.Threads, ContextSize: llama.PageSize, MaxBatch: o.MaxBatch, MaxSeqs: 1})
	if err != nil {
		return nil, err
	}
	l := &m.LLM.Layers[0]
	return &measurer{ctx: c, log: o.Log, opts: o.Measure, weights: []*llama.Weight{&l.Wq, &l.FFNUp}}, nil
}

func (mc *measurer) close() { mc.ctx.Close() }

// measure times b on the representative weights it supports. With
// probe, the largest batch is measured first on the first weight alone,
// and a loss there ends the measurement.
func (mc *measurer) measure(b accel.Backend, batches []int, probe bool) AccelMeasurement {
	me := AccelMeasurement{Backend: b.Name()}
	var ws []*llama.Weight
	for _, w := range mc.weights {
		if b.Supports(w.Type) {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		me.Err = fmt.Errorf("%s supports none of the measured weight types (%v, %v)", b.Name(), mc.weights[0].Type, mc.weights[1].Type)
		return me
	}
	run := func(w *llama.Weight, bs []int) (accel.Report, error) {
		o := mc.opts
		o.Batches = bs
		aw := accel.Weight{Name: w.Name, Type: w.Type, Rows: w.Rows, Cols: w.Cols, Data: w.Data[:w.Rows*w.RowBytes]}
		start := time.Now()
		r, err := accel.Measure(b, aw, mc.ctx.CPUMatMul(w), o)
		if err == nil {
			mc.log.Info("accelerator measured", "backend", b.Name(), "took", time.Since(start).Round(time.Millisecond), "report", r.String())
		}
		return r, err
	}
	if probe && len(batches) > 1 {
		r, err := run(ws[0], batches[len(batches)-1:])
		if err != nil {
			me.Err = err
			return me
		}
		if r.MinBatch == 0 {
			me.Reports = []accel.Report{r}
			return me
		}
	}
	minBatch := 0
	for _, w := range ws {
		r, err := run(w, batches)
		if err != nil {
			me.Err = err
			return me
		}
		me.Reports = append(me.Reports, r)
		if r.MinBatch == 0 {
			minBatch = 0
			break
		}
		minBatch = max(minBatch, r.MinBatch)
	}
	me.MinBatch = minBatch
	return me
}
