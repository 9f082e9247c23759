// Package mqtt is baylingd's MQTT bridge: it takes translation requests
// that IoT devices publish to a broker, has the daemon's Service translate
// them, and publishes the replies, with paho.mqtt.golang (MQTT 3.1.1).
//
// # Protocol
//
// Requests arrive on Config.RequestTopic (default bayling/translate/request),
// or on $share/<SharedGroup>/<RequestTopic> when a fleet of boards shares the
// load, as JSON:
//
//	{"id": "42", "text": "Hello", "source": "en", "target": "de",
//	 "glossary": ["Welt"], "reply_to": "dev/7/tr", "client_id": "dev7"}
//
// id (a string or number, echoed verbatim), text and target are required;
// source and glossary are optional and validated as the socket API validates
// them (translate.BuildInstruction). The reply goes to reply_to, or, without
// one, to <ResponsePrefix>/<client_id> (default
// bayling/translate/response/<client_id>):
//
//	{"id": "42", "translation": "Hallo", "source": "en", "target": "de", "tokens": 3, "ms": 812}
//	{"id": "42", "error": {"code": "unknown_language", "message": "..."}}
//
// Error codes are apierr's: bad_request, unknown_language, too_long, busy,
// timeout, cancelled, internal. A payload over MaxPayload (too_long) or not
// valid JSON (bad_request) is still answered when its reply route can be
// read: the decoder salvages id, reply_to and client_id from the members
// before the first syntax error. A request with no usable route cannot be
// answered: it is acknowledged, counted (Stats.Unroutable) and logged, at
// most one warning per second. reply_to must be a plain topic (no
// wildcards, no $ prefix, not the request topic), because Mosquitto
// disconnects a client that publishes to a malformed topic; the broker's ACL
// for the bridge's user is what limits where replies may go. Retained
// requests are ignored: the broker would replay them after every reconnect.
//
// # Delivery guarantees
//
// The bridge subscribes and replies with QoS 1 (Config.QoS may raise it to
// 2), disables paho's automatic acknowledgement
// (ClientOptions.SetAutoAckDisabled) and acknowledges a request only after
// the broker has acknowledged its reply (the publish token completed). A
// request is therefore never acknowledged and then lost; what happens to an
// unacknowledged one depends on the session:
//
//   - Persistent session (the default without a SharedGroup; stable
//     ClientID, SetCleanSession(false)). The broker keeps the subscription
//     and every unacknowledged or queued request while the bridge is away. A
//     request accepted by the broker is answered at least once across a lost
//     connection, a crash or restart of the daemon (the broker redelivers to
//     the next connection with the same ClientID), and a broker restart in
//     which the broker keeps its state (Mosquitto: persistence true; a clean
//     stop saves it, a crash loses what changed since the last autosave).
//     Requests published while the daemon is down are queued for it (up to
//     Mosquitto's max_queued_messages, default 1000).
//   - Clean session (always with a SharedGroup; optional otherwise). The
//     broker forgets the session at disconnect. A lost connection is still
//     survived while the process lives: translations continue, and replies
//     published while reconnecting are kept by paho and sent after the
//     reconnect. But requests the broker had handed to a member that
//     crashed are gone (Mosquitto does not re-dispatch them to the other
//     members of the group, eclipse-mosquitto/mosquitto#2662), and nothing
//     is queued while no member is connected. Devices must retry after a
//     timeout.
//
// Duplicates are part of at-least-once. After a reconnect the broker
// redelivers unacknowledged requests (DUP flag) that the bridge may still be
// translating, or may already have answered (the acknowledgement of a
// request received on a dropped connection cannot be sent on the new one:
// paho drops it, rightly, since packet ids are per connection). Devices also
// resend after timeouts. Identical payloads therefore share one
// translation: a copy that arrives while the original is in flight waits
// for its result, and one that arrives within ten minutes gets the stored
// reply (translations and rejections only; busy, timeout and cancelled are
// not stored). Each copy still gets its own reply, so a device may receive
// the same reply, same id, twice, and should keep the first.
//
// # Concurrency and memory
//
// paho runs each message handler in its own goroutine
// (SetOrderMatters(false)), so a handler may block without stalling the
// keepalive or other requests. Translations are limited by an explicit
// semaphore of MaxInFlight slots; a request that finds them taken waits in
// its handler. What bounds the waiting handlers should be the broker's
// in-flight window (Mosquitto max_inflight_messages, default 20): every
// delivery stays unacknowledged until it is answered. Mosquitto 2.0.11, the
// version in Debian 12 and Raspberry Pi OS, stops enforcing that window once
// acknowledgements flow (measured: 185 of 200 outstanding against a window
// of 20; eclipse-mosquitto/mosquitto#2301), so the bridge also bounds the
// wait itself: at most 64 QoS 1/2 requests (and MaxInFlight QoS 0 requests,
// which have no window at all) wait; beyond that a request is answered busy
// at once, like the daemon's full queue. Memory is thus at most about
// (MaxInFlight + 64) × MaxPayload for payloads, plus the recent-reply store
// (256 replies).
//
// # Connection and status
//
// Run connects with exponential backoff and jitter (1 s doubling to 30 s;
// paho's own ConnectRetry has a fixed interval), then paho reconnects by
// itself (SetAutoReconnect, SetMaxReconnectInterval 30 s). The subscription
// is made in the OnConnect handler, so it is renewed after every reconnect,
// including to a broker that lost the session; messages go to the default
// publish handler because a persistent session delivers queued requests
// before OnConnect has subscribed, and paho drops messages that match no
// route. Once subscribed, the bridge publishes a retained "online" on
// StatusTopic; the last will (retained "offline", QoS 1) covers a crash or a
// lost connection, and Run publishes "offline" itself when it stops, since a
// clean DISCONNECT discards the will. Connected reports "connected and
// subscribed". Username/password and TLS (CAFile, or the system roots;
// optional client certificate) are loaded by New, so a bad file fails at
// start-up with its name.
//
// # Shutdown
//
// When Run's context ends: with a clean session the bridge unsubscribes
// first (the broker would drop its share at disconnect anyway, and the other
// members of a group take over); a persistent session keeps its subscription
// so requests are queued for the daemon's return. Requests being translated
// finish under their own deadline (RequestTimeout, from arrival), publish
// their replies and are acknowledged. Requests still waiting for a worker
// get busy, except QoS 1/2 requests of a persistent session, which are left
// unacknowledged for the broker to redeliver after the restart
// (Stats.Deferred). Then "offline" is published and the client disconnects.
// To bound the drain, have the Service cancel its requests (they are then
// answered cancelled).
package mqtt
