package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// notifySocket listens where NOTIFY_SOCKET points, as systemd does, and
// collects the states the daemon sends.
type notifySocket struct {
	mu   sync.Mutex
	msgs []string
	conn *net.UnixConn
}

func listenNotify(t *testing.T) *notifySocket {
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	n := &notifySocket{conn: conn}
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			// One datagram may carry several assignments, one per line.
			n.msgs = append(n.msgs, strings.Split(string(buf[:k]), "\n")...)
			n.mu.Unlock()
		}
	}()
	return n
}

func (n *notifySocket) snapshot() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// index returns the position of the first message with the prefix, or -1.
func (n *notifySocket) index(prefix string) int {
	for i, m := range n.snapshot() {
		if strings.HasPrefix(m, prefix) {
			return i
		}
	}
	return -1
}

func (n *notifySocket) count(prefix string) int {
	c := 0
	for _, m := range n.snapshot() {
		if strings.HasPrefix(m, prefix) {
			c++
		}
	}
	return c
}

func (n *notifySocket) waitFor(t *testing.T, prefix string, times int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for n.count(prefix) < times {
		if time.Now().After(deadline) {
			t.Fatalf("no %d x %q from sd_notify; got %q", times, prefix, n.snapshot())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSdNotify checks the Type=notify protocol against a real datagram
// socket: progress, READY=1, WATCHDOG=1 at half the interval while healthy
// and none once the engine is dead, STOPPING=1 on shutdown.
func TestSdNotify(t *testing.T) {
	n := listenNotify(t)
	t.Setenv("WATCHDOG_USEC", "200000") // 200 ms: a ping every 100 ms
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	td := startDaemon(t, testConfig(t), options{})

	n.waitFor(t, "READY=1", 1)
	n.waitFor(t, "WATCHDOG=1", 3)
	loading, ready, watchdog := n.index("STATUS=loading model"), n.index("READY=1"), n.index("WATCHDOG=1")
	if loading < 0 || n.index("STATUS=loading model 100%") < 0 || n.index("EXTEND_TIMEOUT_USEC=") < 0 || !(loading < ready && ready < watchdog) {
		t.Errorf("want loading progress, READY=1, then WATCHDOG=1; got %q", n.snapshot())
	}
	if i := n.index("STATUS=serving"); i < 0 || i < ready-1 {
		t.Errorf("no serving status with READY=1: %q", n.snapshot())
	}

	// The health check behind the pings is real: a probe of a socket no
	// one serves fails, and so does a dead engine.
	if err := td.d.check(context.Background(), td.cfg.Socket.Path); err != nil {
		t.Errorf("check: %v", err)
	}
	if err := td.d.check(context.Background(), td.cfg.Socket.Path+".nobody"); err == nil {
		t.Error("check passed on a socket no one serves")
	}
	td.d.svc.runner.Close() // the engine dies
	time.Sleep(150 * time.Millisecond)
	before := n.count("WATCHDOG=1")
	time.Sleep(500 * time.Millisecond)
	if after := n.count("WATCHDOG=1"); after != before {
		t.Errorf("%d WATCHDOG=1 sent while the engine was dead", after-before)
	}
	if h, err := td.c.Health(context.Background()); err == nil || h.Status != "unhealthy" {
		t.Errorf("health with a dead engine: %+v, %v", h, err)
	}

	if err := td.stop(); err != nil {
		t.Fatal(err)
	}
	n.waitFor(t, "STOPPING=1", 1)
	if i := n.index("STOPPING=1"); i < 0 || i < n.index("READY=1") {
		t.Errorf("no STOPPING=1 after READY=1: %q", n.snapshot())
	}
	t.Logf("sd_notify messages: %d; first ones: %q", len(n.snapshot()), n.snapshot()[:min(8, len(n.snapshot()))])
}

// TestPlainListener: the socket gets its mode, a stale socket is replaced,
// a live one is not, and a file that is not a socket is left alone.
func TestPlainListener(t *testing.T) {
	cfg := testConfig(t)
	cfg.Socket.Mode = 0o600
	log := testLogger(t)
	l, activated, err := listen(cfg.Socket, log)
	if err != nil || activated {
		t.Fatal(err, activated)
	}
	st, err := os.Stat(cfg.Socket.Path)
	if err != nil || st.Mode().Perm() != 0o600 || st.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket mode %v, %v", st.Mode(), err)
	}
	if _, _, err := listen(cfg.Socket, log); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second listener on a live socket: %v", err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // leaves a stale socket file, as a crash does
	l, _, err = listen(cfg.Socket, log)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	l.Close()
	os.WriteFile(cfg.Socket.Path, []byte("data"), 0o600)
	if _, _, err := listen(cfg.Socket, log); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("regular file at the socket path: %v", err)
	}
}
