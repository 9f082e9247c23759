package mqtt

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/baylingd/baylingd/daemon/apierr"
	"github.com/baylingd/baylingd/translate"
)

// Service translates one request. The daemon's scheduler implements it;
// errors are classified with apierr.From.
type Service interface {
	Translate(ctx context.Context, req translate.Request, emit func(piece string) error) (translate.Result, error)
}

// Stats are the bridge's counters since New.
type Stats struct {
	Received      uint64            // request messages delivered by the broker, copies and invalid ones included
	Replied       uint64            // replies (translations and errors) the broker acknowledged
	Translated    uint64            // of Replied, translations
	Errors        map[string]uint64 // requests answered (or, if unroutable, meant to be answered) with an error, by apierr code
	Invalid       uint64            // payloads rejected before translation: too big, not JSON, failed validation
	Unroutable    uint64            // requests with no usable reply_to or client_id: logged, acknowledged, not answered
	Duplicates    uint64            // copies of a request answered from its in-flight or recent twin
	Retained      uint64            // retained messages on the request topic, ignored
	ReplyFailures uint64            // replies the broker did not confirm in time; the request stays unacknowledged
	Deferred      uint64            // requests left unacknowledged at shutdown for redelivery (persistent session)
	InFlight      int               // requests being translated now (at most MaxInFlight)
	Waiting       int               // requests waiting for a worker, or for an identical request in flight
	Reconnects    uint64            // connections after the first
	Connected     bool              // as Connected()
}

// Bridge serves translation requests from an MQTT broker. Make one with
// New; Run it once.
type Bridge struct {
	s   *settings
	svc Service
	log *slog.Logger

	sem     chan struct{} // one token per translation running: the explicit worker limit
	drainCh chan struct{} // closed when Run's context is done
	dd      *dedupe
	warns   warnLimiter

	// Timing. Tests shorten them.
	backoffMin time.Duration // first wait between failed connection attempts
	backoffMax time.Duration // longest wait, here and in paho's reconnect loop
	opTimeout  time.Duration // how long to wait for the broker to acknowledge a publish, subscribe or unsubscribe

	ran    atomic.Bool
	reqCtx context.Context // parent of requests' contexts: Run's context without its cancellation

	// statusMu orders "online" (published after each connect) against
	// "offline" (published at shutdown), so a reconnect racing the shutdown
	// cannot leave a retained "online" behind.
	statusMu  sync.Mutex
	draining  atomic.Bool
	connGen   atomic.Uint64 // connections so far; a stale OnConnect sees it moved on
	connected atomic.Bool

	// Handlers in progress, for the drain. A WaitGroup will not do: paho
	// starts handlers at any time, and Add racing Wait at zero is misuse.
	mu     sync.Mutex
	idle   *sync.Cond
	active int
	closed bool // the drain is over: new deliveries are left to the broker

	received, replied, translated, invalid, unroutable atomic.Uint64
	duplicates, retained, replyFailures, deferred      atomic.Uint64
	reconnects                                         atomic.Uint64
	inFlight, waiting                                  atomic.Int64
	errMu                                              sync.Mutex
	errors                                             map[string]uint64
}

// maxWaiting bounds the QoS 1/2 requests that wait for a worker; beyond it
// a request gets busy at once, as the daemon's own queue does when full.
// In principle the broker bounds them first: an unacknowledged delivery
// counts against the client's in-flight window (Mosquitto
// max_inflight_messages, default 20; EMQX 32; HiveMQ 10), and a request is
// acknowledged only after its reply. In practice Mosquitto 2.0.11, the
// version in Debian 12 and Raspberry Pi OS, stops enforcing the window once
// acknowledgements flow (measured: 185 of 200 requests outstanding against
// a window of 20; see eclipse-mosquitto/mosquitto#2301), so the bridge
// keeps its own bound: at most maxWaiting handlers with their payloads
// (MaxPayload each) wait, whatever the broker does. QoS 0 deliveries have
// no window at all, so at most MaxInFlight of them wait.
const maxWaiting = 64

// New validates cfg and loads its TLS files. It does not connect; Run does.
// A nil log means slog.Default().
func New(cfg Config, svc Service, log *slog.Logger) (*Bridge, error) {
	if svc == nil {
		return nil, errors.New("mqtt: nil Service")
	}
	s, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	b := &Bridge{
		s:          s,
		svc:        svc,
		log:        log.With("component", "mqtt"),
		sem:        make(chan struct{}, s.MaxInFlight),
		drainCh:    make(chan struct{}),
		dd:         newDedupe(),
		backoffMin: time.Second,
		backoffMax: 30 * time.Second,
		opTimeout:  30 * time.Second,
		errors:     map[string]uint64{},
	}
	b.idle = sync.NewCond(&b.mu)
	return b, nil
}

// Connected reports whether the bridge is connected and subscribed to the
// request topic, that is, whether requests reach it now.
func (b *Bridge) Connected() bool { return b.connected.Load() }

// Stats returns a snapshot of the counters.
func (b *Bridge) Stats() Stats {
	st := Stats{
		Received:      b.received.Load(),
		Replied:       b.replied.Load(),
		Translated:    b.translated.Load(),
		Invalid:       b.invalid.Load(),
		Unroutable:    b.unroutable.Load(),
		Duplicates:    b.duplicates.Load(),
		Retained:      b.retained.Load(),
		ReplyFailures: b.replyFailures.Load(),
		Deferred:      b.deferred.Load(),
		InFlight:      int(b.inFlight.Load()),
		Waiting:       int(b.waiting.Load()),
		Reconnects:    b.reconnects.Load(),
		Connected:     b.Connected(),
		Errors:        map[string]uint64{},
	}
	b.errMu.Lock()
	for k, v := range b.errors {
		st.Errors[k] = v
	}
	b.errMu.Unlock()
	return st
}

// Run connects to the broker, retrying with exponential backoff until it
// succeeds, and serves requests until ctx is done; paho reconnects by itself
// after a connection loss. When ctx is done, Run drains: it unsubscribes
// (clean sessions only, see the package documentation), lets the requests
// being translated finish, reply and be acknowledged, answers the requests
// still waiting for a worker with busy (or, with a persistent session,
// leaves them to be redelivered), publishes the retained "offline" status,
// disconnects and returns nil. Requests keep their own deadlines
// (RequestTimeout) during the drain: to cut it short, cancel them in the
// Service. Run may be called once.
func (b *Bridge) Run(ctx context.Context) error {
	if !b.ran.CompareAndSwap(false, true) {
		return errors.New("mqtt: Bridge.Run called twice")
	}
	b.reqCtx = context.WithoutCancel(ctx)
	client := paho.NewClient(b.clientOptions())

	// The first connection is retried here rather than with paho's
	// ConnectRetry, whose interval is fixed: a fleet of boards coming up
	// after a broker outage should not hammer it in lockstep.
	delay := b.backoffMin
	for attempt := 1; ; attempt++ {
		tok := client.Connect()
		<-tok.Done() // bounded by the connect timeout
		if tok.Error() == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		wait := delay/2 + rand.N(delay/2+1) // jitter
		b.log.Warn("mqtt: cannot connect to the broker; retrying", "broker", b.s.Broker, "attempt", attempt, "err", tok.Error(), "retry_in", wait.Round(time.Millisecond))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
		delay = min(2*delay, b.backoffMax)
	}
	<-ctx.Done()
	b.drain(client)
	return nil
}

// clientOptions are the paho settings the bridge's guarantees rest on.
func (b *Bridge) clientOptions() *paho.ClientOptions {
	s := b.s
	o := paho.NewClientOptions().
		AddBroker(s.Broker).
		SetClientID(s.ClientID).
		SetProtocolVersion(4). // MQTT 3.1.1, the newest paho.mqtt.golang speaks
		SetCleanSession(s.clean).
		// Handlers run in their own goroutines, so a translation that takes
		// seconds blocks neither the keepalive nor other requests; the
		// worker limit is b.sem, and the broker's in-flight window bounds
		// how many handlers wait (see maxWaiting).
		SetOrderMatters(false).
		// A request is acknowledged only after its reply is published, so a
		// crash or lost connection before that leaves it with the broker.
		SetAutoAckDisabled(true).
		// A default handler rather than a per-subscription one: with a
		// persistent session the broker sends queued requests right after
		// CONNACK, before OnConnect has subscribed, and paho drops (without
		// acknowledging) messages that match no route.
		SetDefaultPublishHandler(b.onMessage).
		SetOnConnectHandler(b.onConnect).
		SetConnectionLostHandler(b.onConnectionLost).
		SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) {
			b.log.Debug("mqtt: reconnecting", "broker", s.Broker)
		}).
		SetWill(s.StatusTopic, "offline", 1, true).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(b.backoffMax).
		SetConnectRetry(false). // Run retries the first connection itself, with backoff
		SetConnectTimeout(10 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetPingTimeout(10 * time.Second).
		// Subscriptions are made again in OnConnect after every connect;
		// paho's own resubscription only covers subscriptions that were in
		// flight.
		SetResumeSubs(false)
	if s.Username != "" {
		o.SetUsername(s.Username)
		o.SetPassword(s.Password)
	}
	if s.tls != nil {
		o.SetTLSConfig(s.tls)
	}
	return o
}

// onConnect runs (in its own goroutine, started by paho) after every
// successful connect. Subscribing here, not once after Connect, is what
// makes the subscription survive a broker that lost the session (clean
// session, broker restart without persistence). Only when the subscription
// is granted does the bridge announce itself "online".
func (b *Bridge) onConnect(c paho.Client) {
	gen := b.connGen.Add(1)
	if gen > 1 {
		b.reconnects.Add(1)
	}
	b.log.Info("mqtt: connected", "broker", b.s.Broker, "client_id", b.s.ClientID, "clean_session", b.s.clean, "subscription", b.s.subTopic)
	stale := func() bool { return b.draining.Load() || b.connGen.Load() != gen || !c.IsConnectionOpen() }
	delay := b.backoffMin
	for {
		if stale() {
			return
		}
		err := b.subscribe(c)
		if err == nil {
			break
		}
		b.log.Error("mqtt: cannot subscribe to the request topic; retrying", "topic", b.s.subTopic, "err", err, "retry_in", delay)
		select {
		case <-time.After(delay):
		case <-b.drainCh:
			return
		}
		delay = min(2*delay, b.backoffMax)
	}

	b.statusMu.Lock()
	defer b.statusMu.Unlock()
	if stale() {
		return
	}
	tok := c.Publish(b.s.StatusTopic, 1, true, "online")
	if err := b.wait(tok); err != nil {
		b.log.Warn("mqtt: cannot publish the online status", "topic", b.s.StatusTopic, "err", err)
	}
	if b.connGen.Load() == gen && !b.draining.Load() {
		b.connected.Store(true)
	}
}

// subscribe subscribes to the request topic and checks the grant: a broker
// that refuses (ACL) answers SUBACK 0x80, which paho reports as success.
func (b *Bridge) subscribe(c paho.Client) error {
	tok := c.Subscribe(b.s.subTopic, b.s.QoS, nil) // nil: messages go to the default handler
	if err := b.wait(tok); err != nil {
		return err
	}
	st, ok := tok.(*paho.SubscribeToken)
	if !ok {
		return nil
	}
	for _, granted := range st.Result() {
		switch {
		case granted == 0x80:
			return errors.New("the broker refused the subscription (not authorized?)")
		case granted < b.s.QoS:
			b.log.Warn("mqtt: the broker granted a lower QoS than asked; requests may be lost", "asked", b.s.QoS, "granted", granted)
		}
	}
	return nil
}

func (b *Bridge) onConnectionLost(_ paho.Client, err error) {
	b.connected.Store(false)
	b.log.Warn("mqtt: connection lost; reconnecting", "broker", b.s.Broker, "err", err)
}

// wait waits for a token, at most opTimeout.
func (b *Bridge) wait(tok paho.Token) error {
	t := time.NewTimer(b.opTimeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-t.C:
		return fmt.Errorf("no answer from the broker in %v", b.opTimeout)
	}
}

// drain is Run's shutdown.
func (b *Bridge) drain(c paho.Client) {
	b.statusMu.Lock()
	b.draining.Store(true)
	close(b.drainCh)
	b.connected.Store(false)
	b.statusMu.Unlock()
	b.log.Info("mqtt: draining", "in_flight", b.inFlight.Load(), "waiting", b.waiting.Load())

	// With a clean session the broker drops whatever it holds for the bridge
	// at disconnect, and with a shared group the other members should get
	// the new requests: stop them first. A persistent session keeps its
	// subscription, so requests that arrive while the daemon restarts are
	// queued for it instead of being discarded for want of a subscriber.
	if b.s.clean && c.IsConnectionOpen() {
		if err := b.wait(c.Unsubscribe(b.s.subTopic)); err != nil {
			b.log.Warn("mqtt: cannot unsubscribe", "topic", b.s.subTopic, "err", err)
		}
	}

	b.mu.Lock()
	for b.active > 0 {
		b.idle.Wait()
	}
	b.closed = true
	b.mu.Unlock()

	if c.IsConnectionOpen() {
		// A clean DISCONNECT discards the last will, so the bridge says
		// "offline" itself.
		if err := b.wait(c.Publish(b.s.StatusTopic, 1, true, "offline")); err != nil {
			b.log.Warn("mqtt: cannot publish the offline status", "topic", b.s.StatusTopic, "err", err)
		}
	}
	c.Disconnect(250)
	b.log.Info("mqtt: stopped", "replied", b.replied.Load())
}

// enter registers a handler; false means the drain is over and the delivery
// is left unacknowledged (a persistent session gets it again on the next
// connect).
func (b *Bridge) enter() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.active++
	return true
}

func (b *Bridge) leave() {
	b.mu.Lock()
	b.active--
	if b.active == 0 {
		b.idle.Broadcast()
	}
	b.mu.Unlock()
}

// onMessage handles one delivery on the request subscription. paho runs it
// in its own goroutine (OrderMatters=false), so it may block.
func (b *Bridge) onMessage(c paho.Client, m paho.Message) {
	if !b.enter() {
		return
	}
	defer b.leave()
	start := time.Now()
	b.received.Add(1)

	if m.Retained() {
		// The broker replays a retained message on every subscribe, that is
		// after every reconnect: answering it would repeat forever.
		b.retained.Add(1)
		b.warn("retained", "mqtt: ignoring a retained request; requests must not be published with the retain flag", "topic", m.Topic())
		m.Ack()
		return
	}
	if !routeMatches(b.s.RequestTopic, m.Topic()) {
		// A persistent session remembers subscriptions of an earlier
		// configuration; their messages are not requests.
		b.warn("topic", "mqtt: ignoring a message on a topic that is not the request topic (a stale subscription of this persistent session?)", "topic", m.Topic())
		m.Ack()
		return
	}

	p := b.s.parseRequest(m.Payload())
	if p.err != nil {
		b.invalid.Add(1)
		b.answer(c, m, p, encodeError(p.id, p.err), p.err.Code)
		return
	}

	key := payloadKey(sha256.Sum256(m.Payload()))
	cached, f, leader := b.dd.join(key)
	switch {
	case cached != nil:
		b.duplicates.Add(1)
		b.log.Debug("mqtt: answering a repeated request from the recent replies", "id", string(p.id), "dup", m.Duplicate())
		b.answer(c, m, p, cached.reply, cached.code)
		return
	case !leader:
		b.duplicates.Add(1)
		b.log.Debug("mqtt: a copy of a request in flight arrived; waiting for its result", "id", string(p.id), "dup", m.Duplicate())
		// Copies wait like requests do, under the same bound: a device
		// repeating one payload must not pile up goroutines either.
		if b.waiting.Add(1) > b.waitLimit(m.Qos()) {
			b.waiting.Add(-1)
			e := apierr.New(apierr.Busy, "too many requests waiting; retry later")
			b.answer(c, m, p, encodeError(p.id, e), e.Code)
			return
		}
		<-f.done
		b.waiting.Add(-1)
		if f.reply == nil {
			b.shutdownAnswer(c, m, p)
			return
		}
		b.answer(c, m, p, f.reply, f.code)
		return
	}

	reply, code, keep := b.serve(m, p, start)
	b.dd.finish(key, f, reply, code, keep)
	if reply == nil {
		b.shutdownAnswer(c, m, p)
		return
	}
	b.answer(c, m, p, reply, code)
}

// serve waits for a worker and translates. A nil reply means the drain began
// before a worker was free; the caller decides what that request gets.
func (b *Bridge) serve(m paho.Message, p parsed, start time.Time) (reply []byte, code string, keep bool) {
	switch b.acquire(m.Qos()) {
	case slotDraining:
		return nil, "", false
	case slotBusy:
		e := apierr.New(apierr.Busy, "too many requests waiting; retry later")
		return encodeError(p.id, e), e.Code, false
	}
	b.inFlight.Add(1)
	ctx, cancel := context.WithDeadline(b.reqCtx, start.Add(b.s.RequestTimeout))
	var (
		res translate.Result
		err = ctx.Err() // the wait for a worker may have used up the deadline
	)
	if err == nil {
		res, err = b.translate(ctx, p.req)
	}
	cancel()
	b.inFlight.Add(-1)
	<-b.sem
	if err != nil {
		e := apierr.From(err)
		lvl := slog.LevelDebug
		if e.Code == apierr.Internal {
			lvl = slog.LevelError
		}
		b.log.Log(b.reqCtx, lvl, "mqtt: request failed", "id", string(p.id), "code", e.Code, "err", e.Message)
		keep = e.Code == apierr.BadRequest || e.Code == apierr.UnknownLanguage || e.Code == apierr.TooLong
		return encodeError(p.id, e), e.Code, keep
	}
	out, _ := json.Marshal(wireReply{
		ID: p.id, Translation: res.Translation, Source: res.Source, Target: res.Target,
		Tokens: res.Tokens, MS: time.Since(start).Milliseconds(),
	})
	return out, "", true
}

type slot int

const (
	slotAcquired slot = iota
	slotBusy
	slotDraining
)

// acquire takes a worker token, waiting if all MaxInFlight are taken.
func (b *Bridge) acquire(qos byte) slot {
	if b.draining.Load() {
		return slotDraining
	}
	select {
	case b.sem <- struct{}{}:
		return slotAcquired
	default:
	}
	if b.waiting.Add(1) > b.waitLimit(qos) {
		b.waiting.Add(-1)
		return slotBusy
	}
	defer b.waiting.Add(-1)
	select {
	case b.sem <- struct{}{}:
		if b.draining.Load() { // the drain began while it waited: it never started
			<-b.sem
			return slotDraining
		}
		return slotAcquired
	case <-b.drainCh:
		return slotDraining
	}
}

// waitLimit is how many requests may wait, counting this one (see
// maxWaiting).
func (b *Bridge) waitLimit(qos byte) int64 {
	if qos == 0 {
		return int64(b.s.MaxInFlight)
	}
	return maxWaiting
}

// translate calls the Service, turning a panic into an internal error: bad
// input must never take the daemon down, and a panic in a paho handler
// goroutine would.
func (b *Bridge) translate(ctx context.Context, req translate.Request) (res translate.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("mqtt: the translation service panicked", "panic", r, "stack", string(debug.Stack()))
			err = apierr.New(apierr.Internal, "internal error")
		}
	}()
	// MQTT replies are whole: streaming pieces as separate messages would
	// multiply the broker traffic small devices have to handle.
	return b.svc.Translate(ctx, req, func(string) error { return nil })
}

// shutdownAnswer handles a request that had not started when the drain
// began. With a persistent session and QoS 1/2 it is left unacknowledged: the
// broker keeps it in the session and delivers it again when the daemon is
// back. Otherwise (clean session, which the broker discards at disconnect,
// or QoS 0, which is never redelivered) leaving it would lose it, so it gets
// busy.
func (b *Bridge) shutdownAnswer(c paho.Client, m paho.Message, p parsed) {
	if !b.s.clean && m.Qos() > 0 {
		b.deferred.Add(1)
		b.log.Debug("mqtt: leaving a request for redelivery after the restart", "id", string(p.id))
		return
	}
	e := apierr.New(apierr.Busy, "the daemon is shutting down; retry later")
	b.answer(c, m, p, encodeError(p.id, e), e.Code)
}

// answer publishes a reply and, once the broker has it, acknowledges the
// request. If the broker does not confirm the reply in time the request is
// not acknowledged, so that a persistent session gets it again.
func (b *Bridge) answer(c paho.Client, m paho.Message, p parsed, reply []byte, code string) {
	if code != "" {
		b.errMu.Lock()
		b.errors[code]++
		b.errMu.Unlock()
	}
	if p.topic == "" {
		// Nothing to reply to; redelivery would not change that.
		b.unroutable.Add(1)
		b.warn("unroutable", "mqtt: cannot reply: the request has no usable reply_to or client_id", "topic", m.Topic(), "id", string(p.id), "code", code, "payload_bytes", len(m.Payload()))
		m.Ack()
		return
	}
	if err := b.wait(c.Publish(p.topic, b.s.QoS, false, reply)); err != nil {
		b.replyFailures.Add(1)
		b.log.Warn("mqtt: reply not confirmed by the broker; the request stays unacknowledged", "reply_topic", p.topic, "id", string(p.id), "err", err)
		return
	}
	m.Ack()
	b.replied.Add(1)
	if code == "" {
		b.translated.Add(1)
	}
}

func encodeError(id json.RawMessage, e *apierr.Error) []byte {
	out, _ := json.Marshal(wireError{ID: id, Error: e})
	return out
}

// warnLimiter keeps a flood of bad messages from flooding the journal: at
// most one warning of a kind per second, with the number suppressed.
type warnLimiter struct {
	mu         sync.Mutex
	last       map[string]time.Time
	suppressed map[string]int
}

func (b *Bridge) warn(kind, msg string, args ...any) {
	l := &b.warns
	now := time.Now()
	l.mu.Lock()
	if l.last == nil {
		l.last, l.suppressed = map[string]time.Time{}, map[string]int{}
	}
	if now.Sub(l.last[kind]) < time.Second {
		l.suppressed[kind]++
		l.mu.Unlock()
		return
	}
	n := l.suppressed[kind]
	l.last[kind], l.suppressed[kind] = now, 0
	l.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed_since_last", n)
	}
	b.log.Warn(msg, args...)
}
