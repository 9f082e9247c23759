package daemon

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/baylingd/baylingd/daemon/apierr"
	"github.com/baylingd/baylingd/daemon/config"
	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/translate"
)

// Transports, as they appear in metrics.
const (
	transportSocket = "socket"
	transportMQTT   = "mqtt"
)

// The daemon's states, in order.
const (
	stateLoading int32 = iota
	stateReady
	stateDraining
)

// service is the one path every request takes, whatever transport brought
// it: state and size checks, the deadline, the engine, the error code and
// the metrics. The socket API and the MQTT bridge differ only in how they
// decode requests and write replies.
type service struct {
	cfg     *config.Config
	state   atomic.Int32
	settled chan struct{}  // closed when the state leaves loading
	runner  *engine.Runner // set before state becomes ready
	model   *engine.Model
	family  translate.Family
	metrics *daemonMetrics
}

// genOptions are the per-request settings a client may give.
type genOptions struct {
	MaxTokens   int // 0: the default for the request kind
	Temperature float32
	TopP        float32
	Seed        uint64
	Stop        []string // chat only
}

// outcome is what a finished request reports besides its text.
type outcome struct {
	Engine  engine.Result // zero if the request never reached the engine
	Ran     bool          // the engine accepted the request
	Elapsed time.Duration
}

// setState moves the daemon on; leaving loading wakes the requests that
// wait for the model.
func (s *service) setState(st int32) {
	if s.state.Swap(st) == stateLoading && st != stateLoading {
		close(s.settled)
	}
}

// available waits while the model loads, then returns an error unless
// requests can be served. Waiting rather than refusing is what makes socket
// activation transparent: the request that started the daemon is answered
// once the model is ready, within its deadline (ctx).
func (s *service) available(ctx context.Context) error {
	if s.state.Load() == stateLoading {
		select {
		case <-s.settled:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.state.Load() != stateReady {
		return apierr.New(apierr.Busy, "the daemon is shutting down; retry later")
	}
	return nil
}

// translate serves one translation request. emit receives the cleaned
// translation piece by piece (it may be nil); an error from emit stops the
// generation. The error returned is always an *apierr.Error.
func (s *service) translate(ctx context.Context, transport string, req translate.Request, o genOptions, emit func(string) error) (translate.Result, outcome, error) {
	start := time.Now()
	var out outcome
	res, err := func() (translate.Result, error) {
		if n := len(req.Text); n > s.cfg.Limits.MaxInputBytes {
			return translate.Result{}, apierr.New(apierr.TooLong, "the text is %d bytes; the limit is %d (limits.max_input_bytes)", n, s.cfg.Limits.MaxInputBytes)
		}
		dctx, cancel := context.WithTimeout(ctx, s.cfg.Limits.Deadline)
		defer cancel()
		if err := s.available(dctx); err != nil {
			return translate.Result{}, s.classify(ctx, dctx, &out, err)
		}
		if o.MaxTokens <= 0 {
			// Translator's default, capped by the configured limit.
			o.MaxTokens = min(translate.DefaultMaxTokens, 64+4*len(strings.TrimSpace(req.Text)))
		}
		o.MaxTokens = min(o.MaxTokens, s.cfg.Limits.MaxOutputTokens)
		gen := s.generator(&out)
		tr := translate.Translator{Family: s.family, Gen: gen, Options: translate.GenerateOptions{
			MaxTokens: o.MaxTokens, Temperature: o.Temperature, TopP: o.TopP, Seed: o.Seed,
		}}
		res, err := tr.Translate(dctx, req, emit)
		return res, s.classify(ctx, dctx, &out, err)
	}()
	out.Elapsed = time.Since(start)
	s.metrics.observe(transport, err, out)
	return res, out, err
}

// chat serves one chat completion: msgs in the model's own template. The
// generated text is raw model output cut at a stop string.
func (s *service) chat(ctx context.Context, transport string, msgs []translate.Message, o genOptions, emit func(string) error) (string, outcome, error) {
	start := time.Now()
	var out outcome
	text, err := func() (string, error) {
		n := 0
		for _, m := range msgs {
			n += len(m.Content)
		}
		if n > s.cfg.Limits.MaxInputBytes {
			return "", apierr.New(apierr.TooLong, "the messages are %d bytes; the limit is %d (limits.max_input_bytes)", n, s.cfg.Limits.MaxInputBytes)
		}
		dctx, cancel := context.WithTimeout(ctx, s.cfg.Limits.Deadline)
		defer cancel()
		if err := s.available(dctx); err != nil {
			return "", s.classify(ctx, dctx, &out, err)
		}
		prompt, err := s.family.Chat(msgs) // the family is known once ready
		if err != nil {
			return "", apierr.From(err)
		}
		if o.MaxTokens <= 0 || o.MaxTokens > s.cfg.Limits.MaxOutputTokens {
			o.MaxTokens = s.cfg.Limits.MaxOutputTokens
		}
		stops := append(s.family.StopStrings(), o.Stop...)
		text, _, err := s.generator(&out).Generate(dctx, prompt, translate.GenerateOptions{
			MaxTokens: o.MaxTokens, Temperature: o.Temperature, TopP: o.TopP, Seed: o.Seed, StopStrings: stops,
		}, emit)
		return text, s.classify(ctx, dctx, &out, err)
	}()
	out.Elapsed = time.Since(start)
	s.metrics.observe(transport, err, out)
	return text, out, err
}

// generator returns a Generator that records the engine's result of the
// request in out.
func (s *service) generator(out *outcome) *translate.EngineGenerator {
	return &translate.EngineGenerator{Runner: s.runner, Done: func(r engine.Result) {
		out.Engine, out.Ran = r, true
	}}
}

// classify gives err its stable code. The order matters: a client that went
// away is "cancelled" even if writing to it failed first; a passed deadline
// is "timeout" even though the engine saw a cancelled context; a request the
// runner accepted and then dropped because the drain timed out is
// "cancelled", not "busy" (which apierr gives engine.ErrClosed, the error of
// a request refused at Submit).
func (s *service) classify(caller, deadline context.Context, out *outcome, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(caller.Err(), context.Canceled):
		return apierr.New(apierr.Cancelled, "the client went away")
	case errors.Is(caller.Err(), context.DeadlineExceeded):
		return apierr.New(apierr.Timeout, "the request took longer than the caller's deadline")
	case errors.Is(deadline.Err(), context.DeadlineExceeded):
		return apierr.New(apierr.Timeout, "the request took longer than its deadline (%s, limits.deadline)", s.cfg.Limits.Deadline)
	case out.Ran && out.Engine.Reason == engine.FinishCancelled && errors.Is(out.Engine.Err, engine.ErrClosed):
		return apierr.New(apierr.Cancelled, "the daemon stopped before the request finished (daemon.drain_timeout)")
	}
	return apierr.From(err)
}

// mqttService is the service as the MQTT bridge sees it.
type mqttService struct{ s *service }

// Translate implements mqtt.Service.
func (m mqttService) Translate(ctx context.Context, req translate.Request, emit func(string) error) (translate.Result, error) {
	res, _, err := m.s.translate(ctx, transportMQTT, req, genOptions{}, emit)
	return res, err
}
