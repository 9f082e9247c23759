package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baylingd/baylingd/daemon/apierr"
	"github.com/baylingd/baylingd/daemon/client"
	"github.com/baylingd/baylingd/daemon/metrics"
	"github.com/baylingd/baylingd/internal/fixtures"
)

// binary is baylingd built once for the tests that run it as a process.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func baylingd(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "baylingd-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "baylingd")
		out, err := exec.Command("go", "build", "-ldflags", "-X main.version=test-1.0", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// writeConfig writes a configuration for the fixture model with a socket
// in a fresh short directory; extra is appended to the [section]s given.
func writeConfig(t *testing.T, extra map[string]string) (path, socket string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "bdt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket = filepath.Join(dir, "baylingd.sock")
	sections := map[string]string{
		"model":  fmt.Sprintf("path = %q\n", fixtures.Path(t, "tiny-llama2-q4_0.gguf")),
		"engine": "threads = 2\ncontext_size = 2048\n",
		"limits": "max_output_tokens = 2000\n",
		"socket": fmt.Sprintf("path = %q\ngroup = \"\"\n", socket),
		"daemon": "",
	}
	for k, v := range extra {
		if k == "engine" && strings.Contains(v, "context_size") {
			sections[k] = "threads = 2\n"
		}
		sections[k] += v
	}
	var b strings.Builder
	for _, k := range []string{"model", "engine", "limits", "socket", "daemon"} {
		fmt.Fprintf(&b, "[%s]\n%s\n", k, sections[k])
	}
	path = filepath.Join(dir, "baylingd.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, socket
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestCheckConfig(t *testing.T) {
	bin := baylingd(t)
	good, _ := writeConfig(t, nil)
	out, err := exec.Command(bin, "--check-config", "--config", good).CombinedOutput()
	if exitCode(err) != 0 || !strings.Contains(string(out), "configuration OK") {
		t.Errorf("good config: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "--check-config", "--config", "../../configs/baylingd.toml", "--model", fixtures.Path(t, "tiny-llama2-q4_0.gguf")).CombinedOutput()
	if exitCode(err) != 0 {
		t.Errorf("the shipped default with --model: %v\n%s", err, out)
	}

	dir := t.TempDir()
	cases := []struct{ doc, want string }{
		{"[engine]\nthreads = 2\nmax_sequencess = 3\n", ":3:1: engine.max_sequencess: unknown key (did you mean engine.max_sequences?)"},
		{"\n[limits]\ndeadline = \"forever\"\n", ":3:1: limits.deadline: \"forever\" is not a duration"},
		{"[socket]\nmode = 660\n", ":2:8: socket.mode: want a string, got an integer"},
		{"[model]\npath = \"/nonexistent/model.gguf\"\n", ":2:1: model.path: open /nonexistent/model.gguf: no such file or directory"},
		{"[mqtt\n", ":1:6:"},
	}
	for i, c := range cases {
		p := filepath.Join(dir, fmt.Sprintf("bad%d.toml", i))
		os.WriteFile(p, []byte(c.doc), 0o644)
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, "--check-config", "--config", p)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if exitCode(err) != 2 || !strings.Contains(stderr.String(), p+c.want) || stdout.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.doc, exitCode(err), stderr.String(), p+c.want)
		}
	}
	// A bad configuration stops the daemon itself with 2 as well.
	p := filepath.Join(dir, "bad0.toml")
	if err := exec.Command(bin, "--config", p).Run(); exitCode(err) != 2 {
		t.Errorf("daemon with a bad config: exit %d", exitCode(err))
	}
	if err := exec.Command(bin, "--config", filepath.Join(dir, "missing.toml")).Run(); exitCode(err) != 2 {
		t.Errorf("daemon with a missing --config: exit %d", exitCode(err))
	}
	if err := exec.Command(bin, "--no-such-flag").Run(); exitCode(err) != 2 {
		t.Errorf("unknown flag: exit %d", exitCode(err))
	}
	out, err = exec.Command(bin, "--version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "baylingd test-1.0" {
		t.Errorf("--version: %q, %v", out, err)
	}
}

// started is a baylingd process.
type started struct {
	cmd    *exec.Cmd
	log    *syncBuffer
	c      *client.Client
	waited chan error
}

func start(t *testing.T, socket string, args ...string) *started {
	t.Helper()
	s := &started{cmd: exec.Command(args[0], args[1:]...), log: &syncBuffer{}, c: client.New(socket), waited: make(chan error, 1)}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.waited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.waited
		if t.Failed() {
			t.Logf("baylingd's output:\n%s", s.log)
		}
	})
	return s
}

func (s *started) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := s.c.Health(context.Background())
		if err == nil && h.Status == "ok" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 30 s: %v\n%s", err, s.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *started) exit(t *testing.T) int {
	t.Helper()
	select {
	case err := <-s.waited:
		s.waited <- err
		return exitCode(err)
	case <-time.After(30 * time.Second):
		t.Fatalf("baylingd did not exit\n%s", s.log)
	}
	return -1
}

// TestSocketActivation runs baylingd the way baylingd.socket does, with
// systemd-socket-activate passing a listening socket named "baylingd". The
// first request is what starts the daemon, so it arrives while the model
// loads: it must wait and be answered, not refused.
func TestSocketActivation(t *testing.T) {
	activate, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-socket-activate is missing (apt package systemd)")
		}
		t.Skip("systemd-socket-activate is missing (apt package systemd)")
	}
	cfg, _ := writeConfig(t, nil)
	dir, _ := os.MkdirTemp("", "bda")
	defer os.RemoveAll(dir)
	socket := filepath.Join(dir, "activated.sock")
	s := start(t, socket, activate, "-l", socket, "--fdname=baylingd", baylingd(t), "--config", cfg)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(socket); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("systemd-socket-activate did not create the socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	res, err := s.c.Translate(context.Background(), client.TranslateRequest{Text: "Good evening", Target: "it", MaxTokens: 8}, nil)
	if err != nil || res.Target != "it" || res.Tokens == 0 {
		t.Fatalf("first request: %+v, %v\n%s", res, err, s.log)
	}
	if !strings.Contains(s.log.String(), "activated=true") {
		t.Errorf("the daemon did not use the passed socket:\n%s", s.log)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	if c := s.exit(t); c != 0 {
		t.Errorf("exit %d after SIGTERM", c)
	}
	// The socket is systemd's: it stays for the next start.
	if _, err := os.Stat(socket); err != nil {
		t.Errorf("the activated socket was removed: %v", err)
	}
}

// TestAccelMissing: accel = "rknpu" on a machine without the RKNN runtime
// stops the start with exit status 1 and a message naming the key, the
// backend and the missing library.
func TestAccelMissing(t *testing.T) {
	cfg, _ := writeConfig(t, map[string]string{"model": "accel = \"rknpu\"\n"})
	cmd := exec.Command(baylingd(t), "--config", cfg)
	cmd.Env = append(os.Environ(), "BAYLING_RKNN_LIBRARY=/nonexistent/librknnrt.so")
	out, err := cmd.CombinedOutput()
	if c := exitCode(err); c != 1 {
		t.Errorf("exit %d, want 1\n%s", c, out)
	}
	for _, want := range []string{"baylingd failed", "model.accel", `\"rknpu\" is demanded but cannot be used`, "/nonexistent/librknnrt.so"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
}

// TestSIGTERM: a request running when SIGTERM arrives completes (or, past
// the drain timeout, is answered cancelled), and baylingd exits 0.
func TestSIGTERM(t *testing.T) {
	for _, short := range []bool{false, true} {
		t.Run(fmt.Sprintf("short-drain=%v", short), func(t *testing.T) {
			drain, max := "30s", 60
			if short {
				drain, max = "200ms", 1500
			}
			cfg, socket := writeConfig(t, map[string]string{"daemon": fmt.Sprintf("drain_timeout = %q\n", drain)})
			s := start(t, socket, baylingd(t), "--config", cfg)
			s.waitReady(t)
			first := make(chan struct{})
			var once sync.Once
			done := make(chan error, 1)
			var res *client.TranslateResponse
			go func() {
				var err error
				res, err = s.c.Translate(context.Background(), client.TranslateRequest{
					Text: "The weather is lovely today, so we are going for a long walk by the river.", Target: "de", MaxTokens: max,
				}, func(string) { once.Do(func() { close(first) }) })
				done <- err
			}()
			<-first
			s.cmd.Process.Signal(syscall.SIGTERM)
			err := <-done
			if short {
				var e *apierr.Error
				if !errors.As(err, &e) || e.Code != apierr.Cancelled {
					t.Errorf("request past the drain timeout: %v, want cancelled", err)
				}
			} else if err != nil || res.Tokens != max {
				t.Errorf("request during the drain: %+v, %v; want all %d tokens", res, err, max)
			}
			if c := s.exit(t); c != 0 {
				t.Errorf("exit %d after SIGTERM\n%s", c, s.log)
			}
			if _, err := os.Stat(socket); !os.IsNotExist(err) {
				t.Errorf("the socket file is left behind: %v", err)
			}
			if !strings.Contains(s.log.String(), "stopping: draining requests") {
				t.Errorf("no drain in the log:\n%s", s.log)
			}
		})
	}
}

// TestRSS: baylingd's resident memory while serving 8 requests stays within
// the mapped model, the KV cache and 64 MB.
func TestRSS(t *testing.T) {
	// 8 x (prompt + 200 tokens) must fit the KV cache at once. The default
	// accel = "auto" loads no Vulkan driver on a machine without a GPU
	// render node (like this one); on a board with a GPU it loads that
	// GPU's driver only, whose memory configs/baylingd.toml mentions.
	cfg, socket := writeConfig(t, map[string]string{"engine": "max_sequences = 8\ncontext_size = 4096\n"})
	s := start(t, socket, baylingd(t), "--config", cfg)
	s.waitReady(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.c.Translate(ctx, client.TranslateRequest{Text: fmt.Sprintf("Request %d: please translate this sentence into German.", i), Target: "de", MaxTokens: 200}, nil)
			errs <- err
		}()
	}
	peak, samples := 0, 0
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	active := 0.0
loop:
	for {
		if rss := vmRSS(t, s.cmd.Process.Pid); rss > peak {
			peak = rss
		}
		samples++
		if text, err := s.c.Metrics(ctx); err == nil {
			if ss, err := metrics.ParseText(strings.NewReader(text)); err == nil {
				if a, _ := ss.Get("baylingd_active_sequences"); a > active {
					active = a
				}
			}
		}
		select {
		case <-finished:
			break loop
		case <-time.After(20 * time.Millisecond):
		}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	text, err := s.c.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := metrics.ParseText(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	model, _ := ss.Get("baylingd_model_bytes")
	kv, _ := ss.Get("baylingd_kv_cache_bytes")
	limit := int(model) + int(kv) + 64<<20
	t.Logf("VmRSS peak %.1f MB over %d samples while serving 8 requests (%v active at once); model %.1f MB + KV cache %.1f MB + 64 MB = %.1f MB",
		mb(peak), samples, active, mb(int(model)), mb(int(kv)), mb(limit))
	if active != 8 {
		t.Errorf("only %v of 8 requests ran at once", active)
	}
	if peak > limit {
		t.Errorf("VmRSS %.1f MB is over %.1f MB", mb(peak), mb(limit))
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.exit(t)
}

// TestSIGHUP: the log level is applied at once; other changes are
// reported as needing a restart; a broken file keeps the running
// configuration.
func TestSIGHUP(t *testing.T) {
	cfg, socket := writeConfig(t, nil)
	s := start(t, socket, baylingd(t), "--config", cfg)
	s.waitReady(t)
	orig, _ := os.ReadFile(cfg)
	waitLog := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(s.log.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log:\n%s", want, s.log)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	os.WriteFile(cfg, append(orig, []byte("[log]\nlevel = \"debug\"\n")...), 0o644)
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitLog("SIGHUP: log level changed")
	os.WriteFile(cfg, append(orig, []byte("[log]\nlevel = \"debug\"\n[watchdog]\nstuck_after = \"5m\"\n")...), 0o644)
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitLog("take effect on restart")
	waitLog("changed=watchdog")
	os.WriteFile(cfg, append(orig, []byte("[log]\nlevel = 3\n")...), 0o644)
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitLog("keeping the running one")
	if _, err := s.c.Health(context.Background()); err != nil {
		t.Errorf("not serving after the reloads: %v", err)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	if c := s.exit(t); c != 0 {
		t.Errorf("exit %d", c)
	}
}

// vmRSS reads a process's resident set size in bytes.
func vmRSS(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func mb(n int) float64 { return float64(n) / (1 << 20) }
