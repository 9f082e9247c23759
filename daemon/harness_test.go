package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baylingd/baylingd/daemon/apierr"
	"github.com/baylingd/baylingd/daemon/client"
	"github.com/baylingd/baylingd/daemon/config"
	"github.com/baylingd/baylingd/daemon/metrics"
	"github.com/baylingd/baylingd/engine/quantize"
	"github.com/baylingd/baylingd/engine/synth"
	"github.com/baylingd/baylingd/internal/fixtures"
)

// testDaemon is a daemon running in-process on the tiny fixture model,
// reached over a real Unix socket.
type testDaemon struct {
	t      testing.TB
	cfg    *config.Config
	d      *daemon
	c      *client.Client
	http   *http.Client // raw HTTP over the socket, for wire-format checks
	logs   *logWriter   // the daemon's log
	stop   func() error // SIGTERM: cancel and wait for Run
	runErr chan error
}

// testConfig is the fixture model with small limits: the machine running
// the tests has two cores shared with other work.
func testConfig(t testing.TB) *config.Config {
	cfg := config.Default()
	cfg.Model.Path = fixtures.Path(t, "tiny-llama2-q4_0.gguf")
	dir, err := os.MkdirTemp("", "bd") // short: socket paths are limited to 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg.Socket.Path = filepath.Join(dir, "baylingd.sock")
	cfg.Socket.Group = ""
	cfg.Engine.Threads = 2
	// The default, "auto", measures this machine's GPU/NPU at every start
	// (lavapipe here); the tests of that are in accel_test.go.
	cfg.Model.Accel = "cpu"
	cfg.Engine.ContextSize = 2048
	cfg.Limits.MaxOutputTokens = 24
	cfg.Daemon.DrainTimeout = 10 * time.Second
	return cfg
}

// logWriter sends the daemon's log to the test's, until the test ends,
// and keeps it for tests that check what was logged.
type logWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
	all  strings.Builder
}

func (w *logWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(b), "\n"))
	}
	w.all.Write(b)
	return len(b), nil
}

// String is everything logged so far.
func (w *logWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

func testLogger(t testing.TB) *slog.Logger {
	log, _ := newTestLogger(t)
	return log
}

func newTestLogger(t testing.TB) (*slog.Logger, *logWriter) {
	w := &logWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	if _, bench := t.(*testing.B); bench {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), w
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), w
}

// startDaemon runs a daemon and waits until it serves.
func startDaemon(t testing.TB, cfg *config.Config, opts options) *testDaemon {
	t.Helper()
	log, logs := newTestLogger(t)
	ctx, cancel := context.WithCancel(context.Background())
	td := &testDaemon{t: t, cfg: cfg, logs: logs, runErr: make(chan error, 1)}
	ready := make(chan *daemon, 1)
	userReady := opts.ready
	opts.ready = func(d *daemon) {
		if userReady != nil {
			userReady(d)
		}
		ready <- d
	}
	go func() { td.runErr <- run(ctx, cfg, log, opts) }()
	select {
	case td.d = <-ready:
	case err := <-td.runErr:
		cancel()
		t.Fatalf("the daemon did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("the daemon did not become ready in 60 s")
	}
	var once sync.Once
	var stopErr error
	td.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-td.runErr:
			case <-time.After(60 * time.Second):
				stopErr = errors.New("Run did not return 60 s after cancel")
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := td.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	td.c = client.New(cfg.Socket.Path)
	td.http = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", cfg.Socket.Path)
	}}}
	return td
}

// metrics scrapes and parses /metrics.
func (td *testDaemon) metrics() metrics.Samples {
	td.t.Helper()
	text, err := td.c.Metrics(context.Background())
	if err != nil {
		td.t.Fatal(err)
	}
	ss, err := metrics.ParseText(strings.NewReader(text))
	if err != nil {
		td.t.Fatalf("/metrics does not parse: %v\n%s", err, text)
	}
	return ss
}

// metric returns one value, failing the test if it is absent.
func (td *testDaemon) metric(name string, labels ...string) float64 {
	td.t.Helper()
	v, ok := td.metrics().Get(name, labels...)
	if !ok {
		td.t.Fatalf("no %s%v in /metrics", name, labels)
	}
	return v
}

// waitMetric polls until a metric reaches want.
func (td *testDaemon) waitMetric(want float64, name string, labels ...string) {
	td.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v := td.metric(name, labels...)
		if v == want {
			return
		}
		if time.Now().After(deadline) {
			td.t.Fatalf("%s%v = %v, want %v", name, labels, v, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// code returns the apierr code of err, or "" if it has none.
func code(err error) string {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// slowModel returns a model that decodes about fifteen times slower than the
// tiny fixture (16 layers of width 512 instead of 2 of 256; random weights,
// the fixture's vocabulary), made once per test binary. Tests that need a
// request still running while they do something else use it: on the
// fixture a 1500-token request is over in about a second, less than a
// loaded CI machine can take between two steps of a test.
func slowModel(t testing.TB) string {
	slowOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bd-slow")
		if err != nil {
			slowErr = err
			return
		}
		shape, err := synth.ShapeByName("tiny")
		if err != nil {
			slowErr = err
			return
		}
		shape.Name, shape.Title = "tiny-slow", "tiny Llama-2, 16 layers"
		shape.NEmbd, shape.NLayer, shape.NFF = 512, 16, 1536
		slowPath = filepath.Join(dir, "slow.gguf")
		_, slowErr = synth.Write(slowPath, synth.Options{Shape: shape, Type: quantize.MostlyQ4_0, Seed: 7,
			Vocab: fixtures.Path(t, "vocab-llama2-spm.gguf"), Threads: 2})
	})
	if slowErr != nil {
		t.Fatalf("synthesizing the slow model: %v", slowErr)
	}
	return slowPath
}

var (
	slowOnce sync.Once
	slowPath string
	slowErr  error
)

// TestMain removes the slow model after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if slowPath != "" {
		os.RemoveAll(filepath.Dir(slowPath))
	}
	os.Exit(code)
}

// longText is a translation request long enough, with a large max_tokens,
// to keep a sequence busy for a while on the fixture model. Greedy decoding
// of this prompt does not meet an end-of-sequence token early (checked by
// TestBusy, which needs it).
const longText = "The quick brown fox jumps over the lazy dog, and then it runs far away into the forest."
