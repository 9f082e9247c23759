package mqtt

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// helperEnv makes the test binary run helperMain instead of the tests: a
// bridge in its own process, which a test can kill like a crashing daemon.
const helperEnv = "BAYLINGD_MQTT_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// helperMain runs a bridge (persistent session) whose Service never
// finishes, and reports on stdout: "connected" once it serves, "started
// <text>" for each request it starts translating.
func helperMain() int {
	svc := &fakeService{gate: make(chan struct{}), startedCh: make(chan string, 16)}
	cfg := Config{Broker: os.Getenv("HELPER_BROKER"), ClientID: os.Getenv("HELPER_CLIENT_ID")}
	b, err := New(cfg, svc, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	b.backoffMin, b.backoffMax = 50*time.Millisecond, 500*time.Millisecond
	go func() { _ = b.Run(context.Background()) }()
	for !b.Connected() {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("connected")
	for text := range svc.startedCh {
		fmt.Println("started", text)
	}
	return 0
}

// TestCrashLastWillAndRedelivery: a bridge process is killed (SIGKILL)
// while translating a request. The broker publishes its last will, so the
// retained status turns "offline"; and because the request was never
// acknowledged and the session is persistent, the broker delivers it again
// to the bridge that starts next with the same ClientID, which answers it.
func TestCrashLastWillAndRedelivery(t *testing.T) {
	br := startBroker(t, brokerOpts{})
	const clientID = "bridge-crash"
	status := DefaultStatusPrefix + "/" + clientID
	dev := newDevice(t, br.url(), "cr", []string{status})

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "HELPER_BROKER="+br.url(), "HELPER_CLIENT_ID="+clientID)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dieWithParent(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("helper stderr:\n%s", stderr.String())
		}
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_ = cmd.Wait()
		close(exited)
	}()
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-lines:
			if got != want {
				t.Fatalf("helper said %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("helper did not say %q", want)
		}
	}

	expect("connected")
	dev.waitStatus(status, "online", 5*time.Second)
	r := request("c1", "gate: crash me", "de")
	r["client_id"] = "cr"
	dev.send(r, 1)
	expect("started gate: crash me")

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	dev.waitStatus(status, "offline", 5*time.Second) // the last will
	if rs := dev.repliesFor("c1"); len(rs) != 0 {
		t.Fatalf("reply before the crash: %+v", rs)
	}

	open := make(chan struct{})
	close(open)
	rb := startBridge(t, Config{Broker: br.url(), ClientID: clientID}, &fakeService{gate: open})
	if got := dev.waitReply("c1", 5*time.Second); got.Translation != "GATE: CRASH ME [de]" {
		t.Errorf("reply after the restart: %+v", got)
	}
	dev.waitStatus(status, "online", 5*time.Second)
	// The device can see the reply a moment before the bridge counts it.
	waitFor(t, 5*time.Second, "the successor's stats", func() bool {
		st := rb.Stats()
		return st.Received == 1 && st.Translated == 1
	})
}
