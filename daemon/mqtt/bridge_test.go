package mqtt

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baylingd/baylingd/daemon/apierr"
)

// TestRoundTrip: a request with reply_to and one with only client_id are
// answered on the right topics with the documented fields; the retained
// status is "online" while the bridge runs and "offline" after Run returns.
func TestRoundTrip(t *testing.T) {
	br := startBroker(t, brokerOpts{})
	status := DefaultStatusPrefix + "/bridge-rt"
	dev := newDevice(t, br.url(), "rt", []string{status})
	svc := &fakeService{}
	rb := startBridge(t, Config{Broker: br.url(), ClientID: "bridge-rt"}, svc)
	dev.waitStatus(status, "online", 5*time.Second)

	dev.send(map[string]any{"id": "r1", "text": "hello world", "source": "en", "target": "de", "reply_to": "dev/rt/replies"}, 1)
	r := dev.waitReply("r1", 5*time.Second)
	if r.Topic != "dev/rt/replies" || r.Error != nil || r.Translation != "HELLO WORLD [de]" ||
		r.Source != "en" || r.Target != "de" || r.Tokens != 2 || r.MS == nil || *r.MS < 0 {
		t.Errorf("reply_to route: got %+v", r)
	}

	// Only client_id: the reply goes to <ResponsePrefix>/<client_id>. A
	// numeric id comes back as a number.
	dev.send(`{"id": 42, "text": "zwei", "target": "fr", "client_id": "rt"}`, 1)
	r = dev.waitReply("42", 5*time.Second)
	if r.Topic != DefaultResponsePrefix+"/rt" || string(r.ID) != "42" || r.Translation != "ZWEI [fr]" {
		t.Errorf("client_id route: got %+v (id %s)", r, r.ID)
	}

	rb.stop(t)
	dev.waitStatus(status, "offline", 5*time.Second)
	st := rb.Stats()
	if st.Received != 2 || st.Replied != 2 || st.Translated != 2 || st.Connected || len(st.Errors) != 0 {
		t.Errorf("stats: %+v", st)
	}
}

// TestManyDevices: 20 devices with their own connections each fire 10
// requests at once. Every request is answered exactly once; the Service
// never runs more than MaxInFlight translations at once; no more than
// maxWaiting requests ever wait in the bridge (the burst is larger than that,
// so some are answered busy, and the devices retry those as real devices
// would, under a new id), and in the end every text is translated.
func TestManyDevices(t *testing.T) {
	br := startBroker(t, brokerOpts{})
	svc := &fakeService{delay: 2 * time.Millisecond}
	rb := startBridge(t, Config{Broker: br.url(), ClientID: "bridge-many", MaxInFlight: 3}, svc)

	var maxWaitingSeen int
	sampling := make(chan struct{})
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		for {
			select {
			case <-sampling:
				return
			case <-time.After(time.Millisecond):
				maxWaitingSeen = max(maxWaitingSeen, rb.Stats().Waiting)
			}
		}
	}()

	const devices, perDevice = 20, 10
	devs := make([]*device, devices)
	for i := range devs {
		devs[i] = newDevice(t, br.url(), fmt.Sprintf("m%02d", i), nil)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		sent    []string // every id published
		retries int
	)
	for i, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			attempt := make([]int, perDevice)
			id := func(j int) string { return fmt.Sprintf("%s-%d#%d", d.name, j, attempt[j]) }
			send := func(j int) {
				req := request(id(j), fmt.Sprintf("text %d %d", i, j), "de")
				if j%2 == 0 {
					req["reply_to"] = "dev/" + d.name + "/out"
				} else {
					req["client_id"] = d.name
				}
				mu.Lock()
				sent = append(sent, id(j))
				mu.Unlock()
				d.send(req, 1)
			}
			for j := range perDevice {
				send(j)
			}
			for j := range perDevice {
				for {
					r := d.waitReply(id(j), 20*time.Second)
					if r.Error == nil {
						if want := fmt.Sprintf("TEXT %d %d [de]", i, j); r.Translation != want {
							t.Errorf("%s: translation %q, want %q", id(j), r.Translation, want)
						}
						break
					}
					if r.Error.Code != apierr.Busy {
						t.Errorf("%s: unexpected error %+v", id(j), r.Error)
						break
					}
					mu.Lock()
					retries++
					mu.Unlock()
					time.Sleep(20 * time.Millisecond)
					attempt[j]++
					send(j)
				}
			}
		}()
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // let any duplicate arrive
	close(sampling)
	<-samplerDone
	byName := map[string]*device{}
	for _, d := range devs {
		byName[d.name] = d
	}
	for _, id := range sent {
		if rs := byName[strings.SplitN(id, "-", 2)[0]].repliesFor(id); len(rs) != 1 {
			t.Errorf("%s: %d replies, want exactly 1", id, len(rs))
		}
	}
	calls, maxActive := svc.stats()
	st := rb.Stats()
	t.Logf("%d publishes (%d busy retries), service calls %d, max concurrent %d, max waiting %d", len(sent), retries, calls, maxActive, maxWaitingSeen)
	if maxActive > 3 || maxWaitingSeen > maxWaiting {
		t.Errorf("limits exceeded: %d concurrent translations (limit 3), %d waiting (limit %d)", maxActive, maxWaitingSeen, maxWaiting)
	}
	if st.Translated != devices*perDevice || st.Replied != uint64(len(sent)) || st.Errors[apierr.Busy] != uint64(retries) || st.Duplicates != 0 {
		t.Errorf("stats: %+v", st)
	}
}

// TestInvalidPayloads: rejected payloads are answered with the right code
// when a reply topic can be read from them, counted as unroutable when not;
// Service errors are mapped by apierr.
func TestInvalidPayloads(t *testing.T) {
	br := startBroker(t, brokerOpts{})
	dev := newDevice(t, br.url(), "inv", nil)
	// A retained request, published before the bridge subscribes, reaches it
	// with the retain flag set and is ignored: it would be replayed on every
	// subscribe. (Published to a live subscription it arrives without the
	// flag, as an ordinary request.)
	dev.publish(DefaultRequestTopic, `{"id":"ret","text":"hi","target":"de","client_id":"inv"}`, 1, true)
	rb := startBridge(t, Config{Broker: br.url(), ClientID: "bridge-inv", MaxPayload: 4096, RequestTimeout: 300 * time.Millisecond}, &fakeService{})

	big := strings.Repeat("x", 5000)
	cases := []struct {
		id, payload, code, topic string
	}{
		{"b1", `{"id":"b1","reply_to":"dev/inv/a","text": oops}`, apierr.BadRequest, "dev/inv/a"},
		{"b2", `{"id":"b2","reply_to":"dev/inv/a","target":"de","text":"` + big + `"}`, apierr.TooLong, "dev/inv/a"},
		{"b3", `{"id":"b3","text":"` + big + `","target":"de","client_id":"inv"}`, apierr.TooLong, DefaultResponsePrefix + "/inv"},
		{"b4", `{"id":"b4","text":"hi","client_id":"inv"}`, apierr.BadRequest, DefaultResponsePrefix + "/inv"},
		{"b5", `{"id":"b5","text":"hi","target":"klingonish","client_id":"inv"}`, apierr.UnknownLanguage, DefaultResponsePrefix + "/inv"},
		{"b6", `{"id":"b6","text":5,"target":"de","reply_to":"dev/inv/a"}`, apierr.BadRequest, "dev/inv/a"},
		{"b7", `{"id":"b7","text":"hi","target":"de","reply_to":"dev/inv/#","client_id":"inv"}`, apierr.BadRequest, DefaultResponsePrefix + "/inv"},
		{"b8", `{"id":"b8","text":"hi","target":"de","reply_to":"` + DefaultRequestTopic + `","client_id":"inv"}`, apierr.BadRequest, DefaultResponsePrefix + "/inv"},
		{"b9", `{"id":"b9","text":"   ","target":"de","client_id":"inv"}`, apierr.BadRequest, DefaultResponsePrefix + "/inv"},
		{"null", `{"text":"hi","target":"de","reply_to":"dev/inv/noid"}`, apierr.BadRequest, "dev/inv/noid"},
		{"s1", `{"id":"s1","text":"fail:busy","target":"de","client_id":"inv"}`, apierr.Busy, DefaultResponsePrefix + "/inv"},
		{"s2", `{"id":"s2","text":"fail:internal","target":"de","client_id":"inv"}`, apierr.Internal, DefaultResponsePrefix + "/inv"},
		{"s3", `{"id":"s3","text":"fail:panic","target":"de","client_id":"inv"}`, apierr.Internal, DefaultResponsePrefix + "/inv"},
		{"s4", `{"id":"s4","text":"sleep:5s:slow","target":"de","client_id":"inv"}`, apierr.Timeout, DefaultResponsePrefix + "/inv"},
	}
	for _, c := range cases {
		dev.send(c.payload, 1)
	}
	// Unroutable: not JSON at all, and valid but with nowhere to reply.
	dev.send("not json at all", 1)
	dev.send(`{"id":"u2","text":"hi","target":"de"}`, 1)
	dev.send(`{"id":"u3","text":"hi","target":"de","client_id":"a/b"}`, 1)

	for _, c := range cases {
		r := dev.waitReply(c.id, 5*time.Second)
		if r.Error == nil || r.Error.Code != c.code || r.Error.Message == "" || r.Topic != c.topic {
			t.Errorf("%s: got %+v (error %+v), want code %s on %s", c.id, r, r.Error, c.code, c.topic)
		}
	}
	waitFor(t, 5*time.Second, "unroutable and retained counted", func() bool {
		st := rb.Stats()
		return st.Unroutable == 3 && st.Retained == 1
	})
	t.Logf("stats: %+v", rb.Stats())
	if rs := dev.repliesFor("ret"); len(rs) != 0 {
		t.Errorf("retained request answered: %+v", rs)
	}
	st := rb.Stats()
	if st.Invalid != 13 || st.Errors[apierr.BadRequest] != 10 || st.Translated != 0 || st.Errors[apierr.TooLong] != 2 ||
		st.Errors[apierr.Internal] != 2 || st.Errors[apierr.Timeout] != 1 || st.Errors[apierr.Busy] != 1 {
		t.Errorf("stats: %+v", st)
	}
}

// TestBusyWhenQueueFull: QoS 0 requests have no broker window to bound
// them, so at most MaxInFlight wait and the rest get busy at once.
func TestBusyWhenQueueFull(t *testing.T) {
	br := startBroker(t, brokerOpts{})
	dev := newDevice(t, br.url(), "q0", nil)
	svc := &fakeService{gate: make(chan struct{})}
	rb := startBridge(t, Config{Broker: br.url(), ClientID: "bridge-q0", MaxInFlight: 1}, svc)
	for i := range 3 {
		r := request(fmt.Sprint("q", i), fmt.Sprint("gate: ", i), "de")
		r["client_id"] = "q0"
		dev.send(r, 0)
	}
	waitFor(t, 5*time.Second, "one busy reply", func() bool { return rb.Stats().Errors[apierr.Busy] == 1 })
	waitFor(t, 5*time.Second, "one running, one waiting", func() bool {
		st := rb.Stats()
		return st.InFlight == 1 && st.Waiting == 1
	})
	svc.gate <- struct{}{}
	svc.gate <- struct{}{}
	waitFor(t, 5*time.Second, "two translations", func() bool { return rb.Stats().Translated == 2 })
}

// TestDrain: when Run's context ends, the request being translated finishes
// and is answered; requests waiting for a worker get busy with a clean
// session, and with a persistent session are left to the broker, which
// hands them to the next run with the same ClientID.
func TestDrain(t *testing.T) {
	br := startBroker(t, brokerOpts{})
	for _, clean := range []bool{true, false} {
		t.Run(fmt.Sprintf("clean=%v", clean), func(t *testing.T) {
			name := fmt.Sprintf("dr%v", clean)
			status := DefaultStatusPrefix + "/bridge-" + name
			dev := newDevice(t, br.url(), name, []string{status})
			svc := &fakeService{gate: make(chan struct{}), startedCh: make(chan string, 10)}
			cfg := Config{Broker: br.url(), ClientID: "bridge-" + name, MaxInFlight: 1, CleanSession: clean}
			rb := startBridge(t, cfg, svc)
			for i := range 3 {
				r := request(fmt.Sprint("d", i), fmt.Sprint("gate: ", i), "de")
				r["client_id"] = name
				dev.send(r, 1)
				if i == 0 {
					<-svc.startedCh // d0 holds the only worker
				}
			}
			waitFor(t, 5*time.Second, "two waiting", func() bool { return rb.Stats().Waiting == 2 })

			stopped := make(chan struct{})
			go func() { rb.stop(t); close(stopped) }()
			if clean {
				for _, id := range []string{"d1", "d2"} {
					if r := dev.waitReply(id, 5*time.Second); r.Error == nil || r.Error.Code != apierr.Busy {
						t.Errorf("%s: got %+v, want busy", id, r)
					}
				}
			} else {
				waitFor(t, 5*time.Second, "two deferred", func() bool { return rb.Stats().Deferred == 2 })
			}
			select {
			case <-stopped:
				t.Fatal("Run returned before the request in flight finished")
			case <-time.After(100 * time.Millisecond):
			}
			svc.gate <- struct{}{} // d0 may finish now
			if r := dev.waitReply("d0", 5*time.Second); r.Translation != "GATE: 0 [de]" {
				t.Errorf("d0: got %+v", r)
			}
			<-stopped
			dev.waitStatus(status, "offline", 5*time.Second)
			if clean {
				return
			}
			if n := len(dev.repliesFor("d1")) + len(dev.repliesFor("d2")); n != 0 {
				t.Fatalf("persistent session: deferred requests answered before the restart (%d replies)", n)
			}
			open := make(chan struct{})
			close(open)
			startBridge(t, cfg, &fakeService{gate: open})
			for _, id := range []string{"d1", "d2"} {
				if r := dev.waitReply(id, 5*time.Second); r.Error != nil || !strings.HasPrefix(r.Translation, "GATE: ") {
					t.Errorf("%s after restart: got %+v", id, r)
				}
			}
		})
	}
}

// TestBrokerRestart: the broker is stopped and started again (same port,
// persistence on) while devices keep sending. The bridge and the devices
// use persistent sessions, so every request is answered: requests published
// while the broker was down are sent by the devices' clients after the
// reconnect, requests the broker held survive in its persistence file, and
// requests the bridge had not acknowledged are delivered again (a device
// may then get a second, identical reply).
func TestBrokerRestart(t *testing.T) {
	br := startBroker(t, brokerOpts{persistence: true})
	svc := &fakeService{delay: 20 * time.Millisecond}
	rb := startBridge(t, Config{Broker: br.url(), ClientID: "bridge-restart", MaxInFlight: 2}, svc)

	const devices, perDevice = 4, 15
	devs := make([]*device, devices)
	for i := range devs {
		devs[i] = newDevice(t, br.url(), fmt.Sprintf("rs%d", i), nil, persistentDevice)
	}
	var wg sync.WaitGroup
	for _, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perDevice {
				r := request(fmt.Sprintf("%s-%d", d.name, j), fmt.Sprint("restart ", j), "de")
				r["client_id"] = d.name
				// Not d.send: while the broker is down paho stores the
				// message and the token completes only after the reconnect.
				d.c.Publish(DefaultRequestTopic, 1, false, mustJSON(t, r))
				time.Sleep(25 * time.Millisecond)
			}
		}()
	}
	answered := func() int {
		n := 0
		for _, d := range devs {
			for j := range perDevice {
				if len(d.repliesFor(fmt.Sprintf("%s-%d", d.name, j))) > 0 {
					n++
				}
			}
		}
		return n
	}
	waitFor(t, 10*time.Second, "some replies", func() bool { return answered() >= 10 })
	br.stop(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	br.start()
	wg.Wait()
	waitFor(t, 30*time.Second, fmt.Sprintf("all %d requests answered", devices*perDevice), func() bool { return answered() == devices*perDevice })
	dups := 0
	for _, d := range devs {
		for j := range perDevice {
			rs := d.repliesFor(fmt.Sprintf("%s-%d", d.name, j))
			dups += len(rs) - 1
			if rs[0].Error != nil || rs[0].Translation != fmt.Sprintf("RESTART %d [de]", j) {
				t.Errorf("%s-%d: %+v", d.name, j, rs[0])
			}
		}
	}
	st := rb.Stats()
	t.Logf("answered %d, duplicate replies %d, bridge stats %+v", answered(), dups, st)
	if st.Reconnects < 1 {
		t.Errorf("bridge did not reconnect: %+v", st)
	}
	waitFor(t, 5*time.Second, "bridge connected again", rb.Connected)
}

// TestSharedSubscription: two bridges in one $share group split the load;
// every request is answered exactly once.
func TestSharedSubscription(t *testing.T) {
	br := startBroker(t, brokerOpts{})
	a := startBridge(t, Config{Broker: br.url(), ClientID: "fleet-a", SharedGroup: "fleet"}, &fakeService{delay: time.Millisecond})
	b := startBridge(t, Config{Broker: br.url(), ClientID: "fleet-b", SharedGroup: "fleet"}, &fakeService{delay: time.Millisecond})
	if !a.s.clean || a.s.subTopic != "$share/fleet/"+DefaultRequestTopic {
		t.Fatalf("shared member settings: clean %v, subscription %q", a.s.clean, a.s.subTopic)
	}
	const n = 60
	dev := newDevice(t, br.url(), "sh", nil)
	for i := range n {
		r := request(fmt.Sprint("s", i), fmt.Sprint("shared ", i), "de")
		r["client_id"] = "sh"
		dev.send(r, 1)
	}
	for i := range n {
		dev.waitReply(fmt.Sprint("s", i), 10*time.Second)
	}
	time.Sleep(200 * time.Millisecond)
	for i := range n {
		if rs := dev.repliesFor(fmt.Sprint("s", i)); len(rs) != 1 {
			t.Errorf("s%d: %d replies, want 1", i, len(rs))
		}
	}
	waitFor(t, 5*time.Second, "replies counted", func() bool { return a.Stats().Replied+b.Stats().Replied >= n })
	sa, sb := a.Stats(), b.Stats()
	t.Logf("member a replied %d, member b replied %d", sa.Replied, sb.Replied)
	if sa.Replied == 0 || sb.Replied == 0 || sa.Replied+sb.Replied != n {
		t.Errorf("load not shared: a %d, b %d, want both > 0 and %d in all", sa.Replied, sb.Replied, n)
	}
}

// TestDuplicates: copies of one payload (as a redelivery or a device's
// retry produces) share one translation: a copy that arrives while the
// original is in flight waits for it, a later copy gets the stored reply.
// Each copy is answered.
func TestDuplicates(t *testing.T) {
	br := startBroker(t, brokerOpts{})
	dev := newDevice(t, br.url(), "dup", nil)
	svc := &fakeService{gate: make(chan struct{}), startedCh: make(chan string, 4)}
	rb := startBridge(t, Config{Broker: br.url(), ClientID: "bridge-dup"}, svc)
	payload := `{"id":"dup1","text":"gate: once","target":"de","client_id":"dup"}`
	dev.send(payload, 1)
	<-svc.startedCh
	dev.send(payload, 1)
	waitFor(t, 5*time.Second, "the copy waiting", func() bool { return rb.Stats().Duplicates == 1 })
	svc.gate <- struct{}{}
	waitFor(t, 5*time.Second, "two replies", func() bool { return len(dev.repliesFor("dup1")) == 2 })
	dev.send(payload, 1)
	waitFor(t, 5*time.Second, "three replies", func() bool { return len(dev.repliesFor("dup1")) == 3 })
	for _, r := range dev.repliesFor("dup1") {
		if r.Translation != "GATE: ONCE [de]" {
			t.Errorf("reply %+v", r)
		}
	}
	if calls, _ := svc.stats(); calls != 1 {
		t.Errorf("%d translations for one payload, want 1", calls)
	}
	if st := rb.Stats(); st.Duplicates != 2 || st.Received != 3 {
		t.Errorf("stats: %+v", st)
	}
}
