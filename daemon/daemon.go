package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"

	"github.com/baylingd/baylingd/accel"
	"github.com/baylingd/baylingd/daemon/config"
	"github.com/baylingd/baylingd/daemon/mqtt"
	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/engine/llama"
	"github.com/baylingd/baylingd/translate"
)

// Version is reported by /v1/health and /metrics; cmd/baylingd sets it.
var Version = "devel"

// options are knobs for tests and benchmarks, not for users.
type options struct {
	noPrefixCache bool          // measure TTFT without the cached template prefix
	ready         func(*daemon) // called once serving
}

// daemon is one run of the service.
type daemon struct {
	cfg         *config.Config
	log         *slog.Logger
	opts        options
	svc         *service
	metrics     *daemonMetrics
	accel       *engine.AccelChoice // set by load; closed after the runner
	started     time.Time
	loadPercent atomic.Int32
	handlers    sync.WaitGroup // HTTP handlers running
}

// Run serves until ctx is cancelled (SIGTERM), then drains and returns nil.
// It returns an error when it cannot start (the socket, the model, the MQTT
// settings) or when the socket server fails.
//
// The order is what systemd's Type=notify expects: the socket first (so a
// bad path fails in a second, not after minutes of loading), STATUS= with
// progress and EXTEND_TIMEOUT_USEC while the model is mapped and warmed,
// READY=1 once the template prefix is cached, WATCHDOG=1 from a real health
// check, and on cancellation STOPPING=1, a drain within
// daemon.drain_timeout, and the MQTT bridge's "offline".
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	return run(ctx, cfg, log, options{})
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger, opts options) error {
	d := &daemon{cfg: cfg, log: log, opts: opts, started: time.Now()}
	d.svc = &service{cfg: cfg, settled: make(chan struct{})}
	d.metrics = newMetrics(d.svc, d.started)
	d.svc.metrics = d.metrics

	l, activated, err := listen(cfg.Socket, log)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	addr := l.Addr().String()
	log.Info("listening", "socket", addr, "activated", activated)

	// Requests get their own contexts, not ctx: SIGTERM must let them
	// finish (the drain), not cancel them.
	srv := &http.Server{
		Handler:           d.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(l) }()

	// Until READY, the socket answers health "loading" and requests busy.
	m, runner, err := d.load(ctx)
	if err != nil || m == nil {
		// Requests waiting for the model get busy, not a dropped
		// connection.
		d.svc.setState(stateDraining)
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		srv.Shutdown(sctx)
		cancel()
		srv.Close()
		if err != nil {
			d.notify("STATUS=failed: " + err.Error())
		}
		return err // nil: stopped while loading
	}
	defer func() {
		// Every path here has stopped the runner, whose context freed the
		// uploaded weights: the backend has no user left.
		if err := d.accel.Close(); err != nil {
			log.Warn("closing the accelerator", "err", err)
		}
		// Unmap only when no handler can touch the model any more.
		done := make(chan struct{})
		go func() { d.handlers.Wait(); close(done) }()
		select {
		case <-done:
			m.Close()
		case <-time.After(time.Second):
		}
	}()

	var bridge *mqtt.Bridge
	bridgeDone := make(chan struct{})
	bctx, stopBridge := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBridge()
	if cfg.MQTT.Enabled {
		if bridge, err = mqtt.New(mqttConfig(cfg), mqttService{d.svc}, log); err != nil {
			d.svc.setState(stateDraining)
			runner.Close()
			srv.Close()
			return cfg.Errorf("mqtt", "%v", err)
		}
		d.metrics.bridge.Store(bridge)
		go func() {
			defer close(bridgeDone)
			if err := bridge.Run(bctx); err != nil {
				log.Error("mqtt bridge stopped", "err", err)
			}
		}()
	} else {
		close(bridgeDone)
	}

	d.svc.setState(stateReady)
	d.notify(sd.SdNotifyReady + "\nSTATUS=" + d.status())
	log.Info("ready", "model", d.modelID(), "family", d.svc.family, "threads", runner.Options().Threads,
		"max_sequences", cfg.Engine.MaxSequences, "prefix_tokens", runner.PrefixTokens(), "accel", d.accel.Name(),
		"startup", time.Since(d.started).Round(time.Millisecond))

	if opts.ready != nil {
		opts.ready(d)
	}
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	go d.housekeeping(bg, runner)
	if iv, err := sd.SdWatchdogEnabled(false); err != nil {
		log.Warn("systemd watchdog settings", "err", err)
	} else if iv > 0 {
		log.Info("feeding the systemd watchdog", "interval", iv/2)
		go d.watchdog(bg, iv, addr)
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		// The socket server died: no client can reach us. Stop so that
		// systemd restarts the daemon.
		d.svc.setState(stateDraining)
		stopBG()
		runner.Close()
		stopBridge()
		<-bridgeDone
		return fmt.Errorf("socket server: %w", err)
	}

	// Stop: no new work; accepted work finishes within the drain timeout.
	d.svc.setState(stateDraining)
	stopBG() // no WATCHDOG=1 while stopping
	st := runner.Stats()
	d.notify(sd.SdNotifyStopping + "\nSTATUS=" + fmt.Sprintf("draining %d requests", st.Active+st.Waiting))
	log.Info("stopping: draining requests", "active", st.Active, "queued", st.Waiting, "timeout", cfg.Daemon.DrainTimeout)
	stopped := make(chan error, 1)
	go func() {
		// Shutdown closes the listener at once, then waits for handlers;
		// its bound is a backstop, the drain below is what ends them.
		sctx, cancel := context.WithTimeout(context.Background(), cfg.Daemon.DrainTimeout+5*time.Second)
		defer cancel()
		stopped <- srv.Shutdown(sctx)
	}()
	stopBridge() // it stops taking requests, finishes its own, publishes offline
	dctx, cancel := context.WithTimeout(context.Background(), cfg.Daemon.DrainTimeout)
	runner.Drain(dctx) // past the timeout, the rest are cancelled
	cancel()
	if err := <-stopped; err != nil {
		log.Warn("closing connections that outlived the drain", "err", err)
		srv.Close()
	}
	select {
	case <-bridgeDone:
	case <-time.After(10 * time.Second):
		log.Warn("the mqtt bridge did not stop in time")
	}
	log.Info("stopped", "served", d.metrics.requests.With(transportSocket, "ok").Value())
	return nil
}

// load maps and warms the model, starts the runner and caches the template
// prefix, reporting progress to systemd. It returns a nil model when ctx
// ends first.
func (d *daemon) load(ctx context.Context) (*engine.Model, *engine.Runner, error) {
	cfg := d.cfg
	type loaded struct {
		m   *engine.Model
		err error
	}
	res := make(chan loaded, 1)
	lastStatus, lastExtend := time.Time{}, time.Now()
	d.notify("STATUS=loading model 0%")
	// Give a big model room from the start; progress keeps extending it.
	d.notify(fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", extendBy.Microseconds()))
	progress := func(stage string, frac float64) {
		pct := int32(frac * 100)
		if stage == "mapping" {
			pct = 0
		}
		d.loadPercent.Store(pct)
		now := time.Now()
		if now.Sub(lastStatus) >= 250*time.Millisecond || frac == 1 {
			lastStatus = now
			d.notify(fmt.Sprintf("STATUS=loading model %d%%", pct))
		}
		// Extend systemd's start timeout only while there is progress: a
		// load that hangs still times out.
		if now.Sub(lastExtend) >= 5*time.Second {
			lastExtend = now
			d.notify(fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", extendBy.Microseconds()))
		}
	}
	start := time.Now()
	go func() {
		m, err := engine.Load(cfg.Model.Path, cfg.Model.Warm, progress)
		res <- loaded{m, err}
	}()
	var r loaded
	select {
	case r = <-res:
	case <-ctx.Done():
		d.notify(sd.SdNotifyStopping)
		d.log.Info("stopped while loading the model")
		return nil, nil, nil
	}
	if r.err != nil {
		return nil, nil, cfg.Errorf("model.path", "%v", r.err)
	}
	m := r.m
	d.log.Info("model loaded", "path", cfg.Model.Path, "bytes", m.Bytes, "warm", cfg.Model.Warm, "took", time.Since(start).Round(time.Millisecond))
	fam, err := translate.FamilyOf(m)
	if err != nil {
		m.Close()
		return nil, nil, cfg.Errorf("model.path", "%v", err)
	}
	// model.accel: "auto" measures each available GPU/NPU on this model's
	// matrices against the CPU kernels and keeps the CPU unless one wins;
	// a demanded backend that is missing stops the start here.
	d.notify("STATUS=choosing the accelerator (model.accel = " + cfg.Model.Accel + ")")
	d.notify(fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", extendBy.Microseconds()))
	ch, err := engine.ChooseAccel(m, engine.AccelOptions{
		Mode: cfg.Model.Accel, Threads: cfg.Engine.Threads, MaxBatch: cfg.Engine.MaxBatch,
		MaxDecode: cfg.Engine.MaxSequences, Log: d.log,
	})
	if err != nil {
		m.Close()
		if errors.Is(err, accel.ErrUnavailable) {
			return nil, nil, cfg.Errorf("model.accel", "%v; accel = \"auto\" uses it only where present", err)
		}
		return nil, nil, cfg.Errorf("model.accel", "%v", err)
	}
	d.accel = ch
	d.notify("STATUS=starting the engine")
	runner, err := engine.NewRunner(m, engine.RunnerOptions{
		Threads: cfg.Engine.Threads, ContextSize: cfg.Engine.ContextSize, MaxBatch: cfg.Engine.MaxBatch,
		MaxActive: cfg.Engine.MaxSequences, MaxQueue: cfg.Engine.QueueLength,
		PrefillChunk: cfg.Engine.PrefillChunk, StuckAfter: cfg.Watchdog.StuckAfter,
		Offload: ch.Offload(),
	})
	if err != nil {
		ch.Close()
		m.Close()
		return nil, nil, fmt.Errorf("engine: %w", err)
	}
	if !d.opts.noPrefixCache {
		if err := runner.CachePrefix(ctx, translate.Segments(fam.FixedPrefix())); err != nil && ctx.Err() == nil {
			runner.Close()
			ch.Close()
			m.Close()
			return nil, nil, fmt.Errorf("caching the template prefix: %w", err)
		}
	}
	ctxSize := cfg.Engine.ContextSize
	if ctxSize == 0 {
		ctxSize = m.LLM.NCtxTrain
	}
	pages := (ctxSize + llama.PageSize - 1) / llama.PageSize
	kvBytes := int64(m.LLM.NLayer) * 2 * int64(pages*llama.PageSize) * int64(m.LLM.KVDim()) * 2 // K and V, F16
	d.svc.model, d.svc.family, d.svc.runner = m, fam, runner
	d.metrics.runner.Store(runner)
	d.metrics.modelLoaded(d.svc, kvBytes, pages*llama.PageSize)
	d.metrics.accelChosen(ch, runner)
	d.loadPercent.Store(100)
	if ctx.Err() != nil {
		runner.Close()
		ch.Close()
		m.Close()
		d.notify(sd.SdNotifyStopping)
		return nil, nil, nil
	}
	return m, runner, nil
}

// extendBy is how much start-up time each EXTEND_TIMEOUT_USEC grants: far
// more than the time between two progress reports.
const extendBy = 60 * time.Second

// status is the STATUS= line while serving.
func (d *daemon) status() string {
	return fmt.Sprintf("serving %s (%s) on %s", d.modelID(), d.svc.family, d.cfg.Socket.Path)
}

// housekeeping samples the token counter for the tokens/s gauge, and keeps
// the STATUS= line (what `systemctl status` shows) current.
func (d *daemon) housekeeping(ctx context.Context, r *engine.Runner) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := ""
	accelFailed := false
	for i := 0; ; i++ {
		if !accelFailed {
			if err := r.OffloadStats().Err; err != nil {
				accelFailed = true
				d.log.Error("the accelerator failed; prompts run on the CPU from now on (restart to retry it)", "err", err)
			}
		}
		st := r.Stats()
		d.metrics.rate.add(time.Now(), st.Tokens)
		if i%5 == 4 {
			status := d.status()
			if st.Active+st.Waiting > 0 {
				status += fmt.Sprintf(": %d active, %d queued, %.1f tokens/s", st.Active, st.Waiting, d.metrics.rate.rate())
			}
			if status != last {
				d.notify("STATUS=" + status)
				last = status
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// mqttConfig maps [mqtt] onto the bridge's settings. Payloads get the same
// size limit as socket bodies, and requests the same deadline.
func mqttConfig(cfg *config.Config) mqtt.Config {
	m := cfg.MQTT
	return mqtt.Config{
		Broker: m.Broker, ClientID: m.ClientID, Username: m.Username, Password: m.Password,
		CAFile: m.CAFile, CertFile: m.CertFile, KeyFile: m.KeyFile,
		RequestTopic: m.RequestTopic, SharedGroup: m.SharedGroup, ResponsePrefix: m.ResponsePrefix,
		StatusTopic: m.StatusTopic, QoS: byte(m.QoS), MaxInFlight: m.MaxInFlight,
		MaxPayload: int(cfg.Limits.MaxBodyBytes()), CleanSession: m.CleanSession,
		RequestTimeout: cfg.Limits.Deadline,
	}
}
