package mqtt

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Duplicate requests are normal under QoS 1: after a reconnect the broker
// sends again every request whose acknowledgement it did not get (with the
// DUP flag), while the bridge may still be translating the first copy or may
// already have replied; and devices that time out publish the same request
// again. Translating is what costs on a board, so identical payloads share
// one translation: a copy that arrives while the first is being served
// waits for its result, and a copy that arrives shortly after gets the
// stored reply. Either way the copy is answered (its own reply, its own
// acknowledgement), so a device can see the same reply twice; it
// recognises it by id.

// Sizes of the recent-reply store. A redelivery follows a reconnect within
// seconds to minutes; 256 replies of a few KiB each is small on a board.
const (
	recentReplies = 256
	recentTTL     = 10 * time.Minute
)

// payloadKey identifies a request by its exact payload, which carries the
// device's id and reply route: a redelivered copy is byte-identical, and two
// devices cannot collide unless they send the same id to the same reply
// topic, in which case the same answer is right for both.
type payloadKey [sha256.Size]byte

// flight is one request being served, for copies to wait on.
type flight struct {
	done  chan struct{} // closed when reply and code are set
	reply []byte        // nil: the request was left for the broker to redeliver
	code  string        // apierr code of an error reply; "" for a translation
}

type recentReply struct {
	reply []byte
	code  string
	at    time.Time
}

type dedupe struct {
	mu       sync.Mutex
	inflight map[payloadKey]*flight
	recent   map[payloadKey]recentReply
	order    []payloadKey // recent keys, oldest first
	now      func() time.Time
}

func newDedupe() *dedupe {
	return &dedupe{
		inflight: map[payloadKey]*flight{},
		recent:   map[payloadKey]recentReply{},
		now:      time.Now,
	}
}

// join looks k up. It returns a stored reply (cached != nil), or a flight
// to wait on (leader false), or a new flight that the caller must finish
// (leader true).
func (d *dedupe) join(k payloadKey) (cached *recentReply, f *flight, leader bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.recent[k]; ok {
		if d.now().Sub(r.at) < recentTTL {
			return &r, nil, false
		}
		delete(d.recent, k)
	}
	if f, ok := d.inflight[k]; ok {
		return nil, f, false
	}
	f = &flight{done: make(chan struct{})}
	d.inflight[k] = f
	return nil, f, true
}

// finish publishes the outcome of f to the copies waiting on it and, if
// keep is set, stores the reply for copies still to come. Only outcomes that
// a retry would reproduce are kept: a translation or a rejection of the
// request itself, not busy, timeout or cancelled.
func (d *dedupe) finish(k payloadKey, f *flight, reply []byte, code string, keep bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f.reply, f.code = reply, code
	close(f.done)
	delete(d.inflight, k)
	if !keep || reply == nil {
		return
	}
	if _, ok := d.recent[k]; !ok {
		d.order = append(d.order, k)
	}
	d.recent[k] = recentReply{reply: reply, code: code, at: d.now()}
	for len(d.recent) > recentReplies && len(d.order) > 0 {
		delete(d.recent, d.order[0])
		d.order = d.order[1:]
	}
	if len(d.order) > 2*recentReplies { // entries deleted on expiry leave stale keys behind
		live := d.order[:0]
		for _, key := range d.order {
			if _, ok := d.recent[key]; ok {
				live = append(live, key)
			}
		}
		d.order = live
	}
}
