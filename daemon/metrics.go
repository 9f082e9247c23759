package daemon

import (
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baylingd/baylingd/daemon/apierr"
	"github.com/baylingd/baylingd/daemon/metrics"
	"github.com/baylingd/baylingd/daemon/mqtt"
	"github.com/baylingd/baylingd/engine"
)

// daemonMetrics are the series of GET /metrics. Request outcomes are
// counted here as they happen; engine figures are read from the runner at
// scrape time, so they cost nothing on the hot path.
type daemonMetrics struct {
	reg      metrics.Registry
	requests *metrics.CounterVec
	duration *metrics.HistogramVec
	ttft     *metrics.HistogramVec
	rate     rateWindow

	runner atomic.Pointer[engine.Runner]
	bridge atomic.Pointer[mqtt.Bridge]
}

var allCodes = []string{"ok", apierr.BadRequest, apierr.UnknownLanguage, apierr.TooLong, apierr.Busy, apierr.Timeout, apierr.Cancelled, apierr.Internal}

func newMetrics(s *service, started time.Time) *daemonMetrics {
	m := &daemonMetrics{}
	r := &m.reg
	r.NewInfo("baylingd_build_info", "Version of the running daemon.", map[string]string{"version": Version, "goversion": runtime.Version()})
	r.NewGaugeFunc("baylingd_start_time_seconds", "When the daemon started, in Unix seconds.", func() float64 { return float64(started.UnixNano()) / 1e9 })
	r.NewGaugeFunc("baylingd_ready", "1 while the daemon serves requests (model loaded, not draining).", func() float64 { return b2f(s.state.Load() == stateReady) })
	m.requests = r.NewCounterVec("baylingd_requests_total", "Requests answered, by transport and outcome (ok or the error code).", "transport", "code")
	transports := []string{transportSocket}
	if s.cfg.MQTT.Enabled {
		transports = append(transports, transportMQTT)
	}
	for _, t := range transports {
		for _, c := range allCodes {
			m.requests.With(t, c) // present from the start, so rate() works on the first increment
		}
	}
	// Buckets span a short translation on a fast machine to a long one on
	// a Raspberry Pi.
	m.duration = r.NewHistogramVec("baylingd_request_duration_seconds", "Time from arrival to the last token, of requests the engine ran.",
		[]float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160}, "transport")
	m.ttft = r.NewHistogramVec("baylingd_time_to_first_token_seconds", "Time from arrival to the first generated token (queueing and prefill).",
		[]float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}, "transport")
	for _, t := range transports {
		m.duration.With(t)
		m.ttft.With(t)
	}
	stats := func() engine.Stats {
		if rn := m.runner.Load(); rn != nil {
			return rn.Stats()
		}
		return engine.Stats{}
	}
	r.NewGaugeFunc("baylingd_queue_depth", "Requests waiting for a free sequence.", func() float64 { return float64(stats().Waiting) })
	r.NewGaugeFunc("baylingd_active_sequences", "Requests being generated (sharing each forward pass).", func() float64 { return float64(stats().Active) })
	r.NewGaugeFunc("baylingd_max_sequences", "engine.max_sequences.", func() float64 { return float64(s.cfg.Engine.MaxSequences) })
	r.NewGaugeFunc("baylingd_queue_length", "engine.queue_length: the queue's capacity.", func() float64 { return float64(s.cfg.Engine.QueueLength) })
	r.NewCounterFunc("baylingd_generated_tokens_total", "Tokens generated.", func() float64 { return float64(stats().Tokens) })
	r.NewCounterFunc("baylingd_prompt_tokens_total", "Prompt tokens of admitted requests, cached ones included.", func() float64 { return float64(stats().PromptTokens) })
	r.NewCounterFunc("baylingd_cached_prompt_tokens_total", "Prompt tokens served from the cached template prefix instead of computed.", func() float64 { return float64(stats().Cached) })
	r.NewCounterFunc("baylingd_forward_passes_total", "Forward passes (one per decode step, prompt chunks included).", func() float64 { return float64(stats().Steps) })
	r.NewCounterFunc("baylingd_forward_seconds_total", "Time spent in forward passes.", func() float64 { return stats().Busy.Seconds() })
	r.NewCounterFunc("baylingd_engine_rejected_total", "Requests the engine refused at once (queue full or shutting down).", func() float64 { return float64(stats().Rejected) })
	r.NewCounterVecFunc("baylingd_engine_finished_total", "Generations ended, by reason.", "reason", func() map[string]float64 {
		out := map[string]float64{}
		for _, reason := range []engine.FinishReason{engine.FinishStop, engine.FinishLength, engine.FinishCancelled, engine.FinishTimeout, engine.FinishError} {
			out[string(reason)] = float64(stats().Finished[reason])
		}
		return out
	})
	r.NewGaugeFunc("baylingd_tokens_per_second", "Tokens generated per second over the last 10 seconds, all requests together.", m.rate.rate)
	r.NewGaugeFunc("baylingd_kv_free_positions", "KV cache positions no sequence holds.", func() float64 { return float64(stats().FreeKVPositions) })
	r.NewGaugeFunc("baylingd_mqtt_connected", "1 while the MQTT bridge is connected and subscribed (0 when [mqtt] is disabled).", func() float64 {
		b := m.bridge.Load()
		return b2f(b != nil && b.Connected())
	})
	if s.cfg.MQTT.Enabled {
		bs := func() mqtt.Stats {
			if b := m.bridge.Load(); b != nil {
				return b.Stats()
			}
			return mqtt.Stats{}
		}
		r.NewCounterFunc("baylingd_mqtt_received_total", "MQTT request messages received (copies and invalid ones included).", func() float64 { return float64(bs().Received) })
		r.NewCounterFunc("baylingd_mqtt_replied_total", "MQTT replies the broker acknowledged.", func() float64 { return float64(bs().Replied) })
		r.NewCounterFunc("baylingd_mqtt_invalid_total", "MQTT payloads rejected before translation.", func() float64 { return float64(bs().Invalid) })
		r.NewCounterFunc("baylingd_mqtt_unroutable_total", "MQTT requests with nowhere to send the reply.", func() float64 { return float64(bs().Unroutable) })
		r.NewCounterFunc("baylingd_mqtt_duplicates_total", "MQTT request copies answered from their twin.", func() float64 { return float64(bs().Duplicates) })
		r.NewCounterFunc("baylingd_mqtt_reply_failures_total", "MQTT replies the broker did not confirm in time.", func() float64 { return float64(bs().ReplyFailures) })
		r.NewCounterFunc("baylingd_mqtt_reconnects_total", "MQTT connections after the first.", func() float64 { return float64(bs().Reconnects) })
		r.NewGaugeFunc("baylingd_mqtt_in_flight", "MQTT requests being translated.", func() float64 { return float64(bs().InFlight) })
	}
	return m
}

// modelLoaded registers the series that describe the model.
func (m *daemonMetrics) modelLoaded(s *service, kvBytes int64, contextSize int) {
	r := &m.reg
	r.NewInfo("baylingd_model_info", "The model being served.", map[string]string{
		"name": s.model.Name, "file": filepath.Base(s.model.Path), "family": s.family.String(),
	})
	r.NewGaugeFunc("baylingd_model_bytes", "Size of the model file (memory-mapped).", func() float64 { return float64(s.model.Bytes) })
	r.NewGaugeFunc("baylingd_kv_cache_bytes", "Memory of the KV cache.", func() float64 { return float64(kvBytes) })
	r.NewGaugeFunc("baylingd_context_positions", "KV cache positions shared by all sequences.", func() float64 { return float64(contextSize) })
}

// accelChosen registers the series that describe the accelerator
// decision (model.accel): what was chosen, from which batch size, what
// start-up measured for each backend, and what the runner has offloaded
// since.
func (m *daemonMetrics) accelChosen(ch *engine.AccelChoice, rn *engine.Runner) {
	r := &m.reg
	r.NewInfo("baylingd_accel_info", "The accelerator decision: mode (model.accel), the backend taking prompt matmuls (\"cpu\": none) and the smallest forward pass it takes (0: none).", map[string]string{
		"mode": ch.Mode, "backend": ch.Name(), "min_batch": strconv.Itoa(ch.MinBatch),
	})
	if len(ch.Measured) > 0 {
		g := r.NewGaugeVec("baylingd_accel_measured_tokens_per_second",
			"Start-up measurement of one weight matrix of the model: activation rows per second through it, on the backend (side=\"backend\") and on the engine's CPU kernels (side=\"cpu\"), by batch size.",
			"backend", "weight", "batch", "side")
		for _, me := range ch.Measured {
			for _, rep := range me.Reports {
				for _, s := range rep.Samples {
					b := strconv.Itoa(s.Batch)
					if s.Backend > 0 {
						g.With(me.Backend, rep.Weight, b, "backend").Set(float64(s.Batch) / s.Backend.Seconds())
					}
					if s.CPU > 0 {
						g.With(me.Backend, rep.Weight, b, "cpu").Set(float64(s.Batch) / s.CPU.Seconds())
					}
				}
			}
		}
		mb := r.NewGaugeVec("baylingd_accel_measured_min_batch", "Smallest measured batch from which the backend beat the CPU on every weight measured (0: never; -1: the measurement failed).", "backend")
		for _, me := range ch.Measured {
			v := float64(me.MinBatch)
			if me.Err != nil {
				v = -1
			}
			mb.With(me.Backend).Set(v)
		}
	}
	if ch.Backend == nil {
		return
	}
	r.NewCounterFunc("baylingd_accel_matmuls_total", "Weight matmuls run on the accelerator.", func() float64 { return float64(rn.OffloadStats().Calls) })
	r.NewCounterFunc("baylingd_accel_rows_total", "Activation rows the accelerator multiplied (tokens x matrices).", func() float64 { return float64(rn.OffloadStats().Rows) })
	r.NewGaugeFunc("baylingd_accel_failed", "1 once the accelerator failed and offload was switched off (prompts run on the CPU until a restart).", func() float64 {
		return b2f(rn.OffloadStats().Err != nil)
	})
}

// observe counts one request.
func (m *daemonMetrics) observe(transport string, err error, out outcome) {
	code := "ok"
	if err != nil {
		code = apierr.From(err).Code
	}
	m.requests.With(transport, code).Inc()
	if out.Ran {
		m.duration.With(transport).Observe(out.Elapsed.Seconds())
		if out.Engine.Tokens > 0 {
			m.ttft.With(transport).Observe(out.Engine.FirstToken.Seconds())
		}
	}
}

// rateWindow turns the runner's token counter, sampled every second, into
// a rate over the last ten seconds.
type rateWindow struct {
	mu sync.Mutex
	t  []time.Time
	v  []int64
}

func (w *rateWindow) add(t time.Time, v int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t, w.v = append(w.t, t), append(w.v, v)
	if len(w.t) > 11 {
		w.t, w.v = w.t[1:], w.v[1:]
	}
}

func (w *rateWindow) rate() float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.t)
	if n < 2 {
		return 0
	}
	d := w.t[n-1].Sub(w.t[0]).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(w.v[n-1]-w.v[0]) / d
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
