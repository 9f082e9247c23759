package mqtt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/baylingd/baylingd/daemon/apierr"
	"github.com/baylingd/baylingd/translate"
)

// ---- Mosquitto ----

// mosquittoBin finds the broker. Without it the broker tests skip, except
// under CI=true, where a missing broker is a failure.
func mosquittoBin(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("mosquitto not found (apt-get install mosquitto); it is required under CI=true")
	}
	t.Skip("mosquitto not found; install it (apt-get install mosquitto) to run the broker tests")
	return ""
}

type brokerOpts struct {
	persistence bool   // keep sessions and queued messages across a (clean) restart
	tls         string // extra listener settings (cafile, certfile, ...)
	auth        string // password_file line; empty means anonymous access
}

// broker is a Mosquitto process on a loopback port, configured in a
// temporary directory.
type broker struct {
	t    *testing.T
	bin  string
	dir  string
	port int
	conf string
	cmd  *exec.Cmd
	exit chan struct{}
}

func startBroker(t *testing.T, o brokerOpts) *broker {
	t.Helper()
	br := &broker{t: t, bin: mosquittoBin(t), dir: t.TempDir(), port: freePort(t)}
	var conf strings.Builder
	fmt.Fprintf(&conf, "listener %d 127.0.0.1\n", br.port)
	if o.tls != "" {
		conf.WriteString(o.tls + "\n")
	}
	if o.auth != "" {
		conf.WriteString("allow_anonymous false\n" + o.auth + "\n")
	} else {
		conf.WriteString("allow_anonymous true\n")
	}
	if o.persistence {
		fmt.Fprintf(&conf, "persistence true\npersistence_location %s/\n", br.dir)
	}
	fmt.Fprintf(&conf, "log_dest file %s\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n", filepath.Join(br.dir, "mosquitto.log"))
	if os.Geteuid() == 0 {
		// Mosquitto started as root drops to user "mosquitto", which cannot
		// read files in the test's private temporary directory.
		if u, err := user.Current(); err == nil {
			fmt.Fprintf(&conf, "user %s\n", u.Username)
		}
	}
	br.conf = filepath.Join(br.dir, "mosquitto.conf")
	if err := os.WriteFile(br.conf, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	br.start()
	t.Cleanup(func() {
		br.stop(syscall.SIGKILL)
		if t.Failed() {
			logb, _ := os.ReadFile(filepath.Join(br.dir, "mosquitto.log"))
			if len(logb) > 4000 {
				logb = logb[len(logb)-4000:]
			}
			t.Logf("mosquitto log (tail):\n%s", logb)
		}
	})
	return br
}

func (br *broker) url() string { return fmt.Sprintf("tcp://127.0.0.1:%d", br.port) }

func (br *broker) start() {
	br.t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(br.bin, "-c", br.conf)
	cmd.Stderr = &stderr
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		br.t.Fatal(err)
	}
	br.cmd, br.exit = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(br.exit) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", br.port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-br.exit:
			br.t.Fatalf("mosquitto exited at start: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			br.t.Fatalf("mosquitto did not listen on port %d: %v", br.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop signals the broker and waits for it to exit. SIGTERM is a clean stop
// (Mosquitto saves its persistence file); SIGKILL is a crash.
func (br *broker) stop(sig syscall.Signal) {
	if br.cmd == nil {
		return
	}
	_ = br.cmd.Process.Signal(sig)
	select {
	case <-br.exit:
	case <-time.After(5 * time.Second):
		_ = br.cmd.Process.Kill()
		<-br.exit
	}
	br.cmd = nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ---- fake Service ----

// fakeService "translates" by upper-casing, deterministically. Texts with a
// prefix select behaviour: "fail:busy", "fail:internal", "fail:panic",
// "sleep:<duration>:...", "gate:..." (waits for the gate channel).
type fakeService struct {
	delay time.Duration
	gate  chan struct{} // "gate:" requests take a value from it before answering

	mu        sync.Mutex
	active    int
	maxActive int
	calls     int
	started   []string
	startedCh chan string // if set, gets each text as translation starts
}

func (f *fakeService) Translate(ctx context.Context, req translate.Request, emit func(string) error) (translate.Result, error) {
	f.mu.Lock()
	f.active++
	f.calls++
	f.maxActive = max(f.maxActive, f.active)
	f.started = append(f.started, req.Text)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.active--
		f.mu.Unlock()
	}()
	if f.startedCh != nil {
		f.startedCh <- req.Text
	}
	text := req.Text
	delay := f.delay
	switch {
	case text == "fail:busy":
		return translate.Result{}, apierr.New(apierr.Busy, "queue full")
	case text == "fail:internal":
		return translate.Result{}, errors.New("engine exploded")
	case text == "fail:panic":
		panic("fake service panics")
	case strings.HasPrefix(text, "sleep:"):
		d, err := time.ParseDuration(strings.SplitN(text, ":", 3)[1])
		if err != nil {
			return translate.Result{}, err
		}
		delay = d
	case strings.HasPrefix(text, "gate:"):
		select {
		case <-f.gate:
		case <-ctx.Done():
			return translate.Result{}, ctx.Err()
		}
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return translate.Result{}, ctx.Err()
		}
	}
	out := strings.ToUpper(text) + " [" + req.Target + "]"
	if err := emit(out); err != nil {
		return translate.Result{}, err
	}
	return translate.Result{Translation: out, Source: req.Source, Target: req.Target, Tokens: len(strings.Fields(text))}, nil
}

func (f *fakeService) stats() (calls, maxActive int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.maxActive
}

// ---- bridge ----

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// runningBridge is a Bridge running in a goroutine.
type runningBridge struct {
	*Bridge
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// startBridge starts a bridge with test timings and waits until it serves.
func startBridge(t *testing.T, cfg Config, svc Service) *runningBridge {
	t.Helper()
	b, err := New(cfg, svc, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	b.backoffMin, b.backoffMax, b.opTimeout = 50*time.Millisecond, 500*time.Millisecond, 5*time.Second
	ctx, cancel := context.WithCancel(context.Background())
	rb := &runningBridge{Bridge: b, cancel: cancel, done: make(chan error, 1)}
	go func() { rb.done <- b.Run(ctx) }()
	t.Cleanup(func() { rb.stop(t) })
	waitFor(t, 10*time.Second, "bridge connected", b.Connected)
	return rb
}

// stop cancels Run and waits for it to return (once; later calls do nothing).
func (rb *runningBridge) stop(t *testing.T) {
	t.Helper()
	rb.once.Do(func() {
		rb.cancel()
		select {
		case err := <-rb.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return within 20s of cancel")
		}
	})
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ---- simulated devices ----

// reply is a decoded reply payload.
type reply struct {
	Topic       string
	ID          json.RawMessage `json:"id"`
	Translation string          `json:"translation"`
	Source      string          `json:"source"`
	Target      string          `json:"target"`
	Tokens      int             `json:"tokens"`
	MS          *int64          `json:"ms"`
	Error       *apierr.Error   `json:"error"`
}

func (r reply) id() string {
	if string(r.ID) == "null" {
		return "null"
	}
	var s string
	if json.Unmarshal(r.ID, &s) == nil {
		return s
	}
	return string(r.ID)
}

// device is a simulated IoT device: its own paho client, subscribed to its
// reply topics (bayling/translate/response/<name> and dev/<name>/#) and to
// any extra topics, recording everything it receives.
type device struct {
	t    *testing.T
	name string
	c    paho.Client

	mu      sync.Mutex
	replies map[string][]reply // by id
	last    map[string]string  // last payload by topic, for status topics
}

type deviceOpt func(*paho.ClientOptions)

func persistentDevice(o *paho.ClientOptions) { o.SetCleanSession(false) }

func newDevice(t *testing.T, brokerURL, name string, extraTopics []string, opts ...deviceOpt) *device {
	t.Helper()
	d := &device{t: t, name: name, replies: map[string][]reply{}, last: map[string]string{}}
	topics := append([]string{DefaultResponsePrefix + "/" + name, "dev/" + name + "/#"}, extraTopics...)
	subscribed := make(chan struct{}, 1)
	o := paho.NewClientOptions().AddBroker(brokerURL).SetClientID("device-" + name).
		SetOrderMatters(false).SetAutoReconnect(true).SetMaxReconnectInterval(500 * time.Millisecond).
		SetConnectTimeout(5 * time.Second).SetResumeSubs(false)
	o.SetOnConnectHandler(func(c paho.Client) {
		filters := map[string]byte{}
		for _, tp := range topics {
			filters[tp] = 1
		}
		tok := c.SubscribeMultiple(filters, d.onMessage)
		if tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
			select {
			case subscribed <- struct{}{}:
			default:
			}
		}
	})
	for _, opt := range opts {
		opt(o)
	}
	d.c = paho.NewClient(o)
	if tok := d.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("device %s: connect: %v", name, tok.Error())
	}
	select {
	case <-subscribed:
	case <-time.After(5 * time.Second):
		t.Fatalf("device %s: subscribe timed out", name)
	}
	t.Cleanup(func() { d.c.Disconnect(50) })
	return d
}

func (d *device) onMessage(_ paho.Client, m paho.Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last[m.Topic()] = string(m.Payload())
	if strings.HasPrefix(m.Topic(), DefaultStatusPrefix+"/") {
		return
	}
	var r reply
	if err := json.Unmarshal(m.Payload(), &r); err != nil {
		d.t.Errorf("device %s: reply on %s is not JSON: %q", d.name, m.Topic(), m.Payload())
		return
	}
	r.Topic = m.Topic()
	d.replies[r.id()] = append(d.replies[r.id()], r)
}

// send publishes a request (a string is sent verbatim, anything else as
// JSON) on the default request topic.
func (d *device) send(payload any, qos byte) {
	d.t.Helper()
	d.publish(DefaultRequestTopic, payload, qos, false)
}

func (d *device) publish(topic string, payload any, qos byte, retained bool) {
	d.t.Helper()
	var b []byte
	switch p := payload.(type) {
	case string:
		b = []byte(p)
	case []byte:
		b = p
	default:
		var err error
		if b, err = json.Marshal(p); err != nil {
			d.t.Fatal(err)
		}
	}
	tok := d.c.Publish(topic, qos, retained, b)
	if !tok.WaitTimeout(5 * time.Second) {
		d.t.Fatalf("device %s: publish timed out", d.name)
	}
	if err := tok.Error(); err != nil {
		d.t.Fatalf("device %s: publish: %v", d.name, err)
	}
}

// repliesFor returns the replies received for id.
func (d *device) repliesFor(id string) []reply {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]reply(nil), d.replies[id]...)
}

// waitReply waits for the first reply to id.
func (d *device) waitReply(id string, timeout time.Duration) reply {
	d.t.Helper()
	var r []reply
	waitFor(d.t, timeout, fmt.Sprintf("device %s: reply to %s", d.name, id), func() bool {
		r = d.repliesFor(id)
		return len(r) > 0
	})
	return r[0]
}

func (d *device) status(topic string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last[topic]
}

func (d *device) waitStatus(topic, want string, timeout time.Duration) {
	d.t.Helper()
	waitFor(d.t, timeout, fmt.Sprintf("status %s = %q (have %q)", topic, want, d.status(topic)), func() bool { return d.status(topic) == want })
}

// request is a request payload for tests.
func request(id, text, target string) map[string]any {
	return map[string]any{"id": id, "text": text, "target": target}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
