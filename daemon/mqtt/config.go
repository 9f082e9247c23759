package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Config configures a Bridge. The zero value of every field but Broker means
// "use the default".
type Config struct {
	// Broker is the broker's URL: tcp://host:1883 (also mqtt://), ssl://host:8883
	// (also tls://, mqtts://, tcps://), ws://host/path or wss://host/path.
	Broker string
	// ClientID is the MQTT client identifier; default "baylingd-" + hostname.
	// It must be stable: a persistent session, and the redelivery it brings,
	// is tied to it. Two boards with the same ClientID take turns kicking
	// each other off the broker.
	ClientID string
	// Username and Password authenticate to the broker (MQTT 3.1.1 allows a
	// username without a password, not the reverse).
	Username, Password string
	// CAFile is a PEM bundle of the CAs that sign the broker's certificate;
	// empty means the system roots. CertFile and KeyFile, both or neither,
	// are a PEM client certificate and key for brokers that require one.
	// They require a TLS broker URL: a CA file with tcp:// would silently
	// send everything in clear, so it is an error.
	CAFile, CertFile, KeyFile string
	// RequestTopic is the topic filter requests arrive on; default
	// "bayling/translate/request". Wildcards are allowed.
	RequestTopic string
	// SharedGroup, if set, subscribes to "$share/<group>/<RequestTopic>" so a
	// fleet of boards shares one request stream: the broker hands each
	// request to one member of the group.
	SharedGroup string
	// ResponsePrefix is where replies go when a request has no reply_to:
	// <ResponsePrefix>/<client_id of the request>; default
	// "bayling/translate/response".
	ResponsePrefix string
	// StatusTopic gets a retained "online" while the bridge serves and a
	// retained "offline" when it stops (published by the bridge on a clean
	// stop, by the broker as the last will otherwise); default
	// "bayling/status/<ClientID>".
	StatusTopic string
	// QoS is the quality of service of the request subscription and of the
	// replies: 1 (the default; 0 also means 1) or 2. QoS 0 is not offered:
	// the bridge's guarantees rest on the broker waiting for its
	// acknowledgement.
	QoS byte
	// MaxInFlight is how many requests are translated at once; default 4.
	// Requests beyond it wait (see the package documentation for what
	// bounds the wait).
	MaxInFlight int
	// MaxPayload is the largest request payload in bytes; default 64 KiB.
	// Larger payloads get a too_long error reply.
	MaxPayload int
	// CleanSession asks the broker to forget this client's session on
	// disconnect. It is always true when SharedGroup is set: a shared member
	// with a persistent session that goes away keeps receiving its
	// round-robin share, queued at the broker, instead of the live members
	// (Mosquitto, EMQX). Without a shared group the default (false) keeps a
	// persistent session, so requests that arrive while the daemon restarts,
	// and requests that were being translated when it crashed, are
	// delivered again. See the package documentation.
	CleanSession bool
	// RequestTimeout is the deadline of one request, from its arrival,
	// passed to the Service through the context; default 2 minutes.
	RequestTimeout time.Duration
}

// Defaults.
const (
	DefaultRequestTopic   = "bayling/translate/request"
	DefaultResponsePrefix = "bayling/translate/response"
	DefaultStatusPrefix   = "bayling/status" // StatusTopic is DefaultStatusPrefix + "/" + ClientID
	DefaultQoS            = 1
	DefaultMaxInFlight    = 4
	DefaultMaxPayload     = 64 << 10
	DefaultRequestTimeout = 2 * time.Minute
)

// Limits of the MQTT protocol and of this bridge.
const (
	maxTopicLen = 65535 // MQTT: a UTF-8 string is at most 65535 bytes
	maxIDLen    = 256   // bytes of a request id, as written in JSON
)

// settings is a validated Config with its defaults filled in.
type settings struct {
	Config
	clean    bool        // effective CleanSession
	subTopic string      // RequestTopic, with the $share prefix if any
	tls      *tls.Config // nil for plain transports
}

// tlsSchemes and plainSchemes are the URL schemes paho.mqtt.golang dials.
var (
	tlsSchemes   = map[string]bool{"ssl": true, "tls": true, "mqtts": true, "mqtt+ssl": true, "tcps": true, "wss": true}
	plainSchemes = map[string]bool{"tcp": true, "mqtt": true, "ws": true}
)

// resolve validates c and fills in the defaults. Errors name the field (and
// the file, for TLS files).
func (c Config) resolve() (*settings, error) {
	s := &settings{Config: c}
	if err := s.resolveBroker(); err != nil {
		return nil, err
	}
	if s.ClientID == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			return nil, fmt.Errorf("mqtt: ClientID is empty and the hostname cannot supply one: %v", err)
		}
		s.ClientID = "baylingd-" + host
	}
	if !utf8.ValidString(s.ClientID) || len(s.ClientID) > maxTopicLen || strings.ContainsRune(s.ClientID, 0) {
		return nil, fmt.Errorf("mqtt: ClientID %q is not a valid MQTT client identifier", s.ClientID)
	}
	if s.Password != "" && s.Username == "" {
		return nil, errors.New("mqtt: Password is set without Username (MQTT 3.1.1 does not allow it)")
	}

	if s.RequestTopic == "" {
		s.RequestTopic = DefaultRequestTopic
	}
	if err := checkTopicFilter(s.RequestTopic); err != nil {
		return nil, fmt.Errorf("mqtt: RequestTopic %q: %v", s.RequestTopic, err)
	}
	if strings.HasPrefix(s.RequestTopic, "$share/") {
		return nil, fmt.Errorf("mqtt: RequestTopic %q: set SharedGroup instead of writing $share/ into the topic", s.RequestTopic)
	}
	s.subTopic = s.RequestTopic
	if s.SharedGroup != "" {
		if strings.ContainsAny(s.SharedGroup, "/+#") || !validUTF8Topic(s.SharedGroup) {
			return nil, fmt.Errorf("mqtt: SharedGroup %q: must be one topic level without wildcards", s.SharedGroup)
		}
		s.subTopic = "$share/" + s.SharedGroup + "/" + s.RequestTopic
	}
	if s.ResponsePrefix == "" {
		s.ResponsePrefix = DefaultResponsePrefix
	}
	s.ResponsePrefix = strings.TrimSuffix(s.ResponsePrefix, "/")
	if err := checkTopicName(s.ResponsePrefix); err != nil {
		return nil, fmt.Errorf("mqtt: ResponsePrefix %q: %v", s.ResponsePrefix, err)
	}
	if s.StatusTopic == "" {
		s.StatusTopic = DefaultStatusPrefix + "/" + s.ClientID
	}
	if err := checkTopicName(s.StatusTopic); err != nil {
		return nil, fmt.Errorf("mqtt: StatusTopic %q: %v", s.StatusTopic, err)
	}

	switch s.QoS {
	case 0:
		s.QoS = DefaultQoS
	case 1, 2:
	default:
		return nil, fmt.Errorf("mqtt: QoS %d: must be 1 or 2", s.QoS)
	}
	switch {
	case s.MaxInFlight < 0:
		return nil, fmt.Errorf("mqtt: MaxInFlight %d: must not be negative", s.MaxInFlight)
	case s.MaxInFlight == 0:
		s.MaxInFlight = DefaultMaxInFlight
	}
	switch {
	case s.MaxPayload < 0:
		return nil, fmt.Errorf("mqtt: MaxPayload %d: must not be negative", s.MaxPayload)
	case s.MaxPayload == 0:
		s.MaxPayload = DefaultMaxPayload
	}
	switch {
	case s.RequestTimeout < 0:
		return nil, fmt.Errorf("mqtt: RequestTimeout %v: must not be negative", s.RequestTimeout)
	case s.RequestTimeout == 0:
		s.RequestTimeout = DefaultRequestTimeout
	}
	s.clean = s.CleanSession || s.SharedGroup != ""
	return s, nil
}

// resolveBroker checks the broker URL and loads the TLS files.
func (s *settings) resolveBroker() error {
	if s.Broker == "" {
		return errors.New("mqtt: Broker is empty (want e.g. tcp://localhost:1883)")
	}
	if !strings.Contains(s.Broker, "://") {
		return fmt.Errorf("mqtt: Broker %q: no scheme (want e.g. tcp://%s)", s.Broker, s.Broker)
	}
	u, err := url.Parse(s.Broker)
	if err != nil {
		return fmt.Errorf("mqtt: Broker: %v", err)
	}
	scheme := strings.ToLower(u.Scheme)
	secure := tlsSchemes[scheme]
	if !secure && !plainSchemes[scheme] {
		return fmt.Errorf("mqtt: Broker %q: unsupported scheme %q (tcp, ssl, ws, wss and aliases)", s.Broker, u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("mqtt: Broker %q: no host", s.Broker)
	}
	if !secure {
		for _, f := range []struct{ name, path string }{{"CAFile", s.CAFile}, {"CertFile", s.CertFile}, {"KeyFile", s.KeyFile}} {
			if f.path != "" {
				return fmt.Errorf("mqtt: %s %s is set but Broker %q is not a TLS URL (use ssl:// or wss://)", f.name, f.path, s.Broker)
			}
		}
		return nil
	}
	s.tls, err = loadTLS(s.CAFile, s.CertFile, s.KeyFile)
	return err
}

// loadTLS builds the client's TLS configuration. The files are read now,
// not at connect time, so a typo fails at start-up with the file's name
// instead of as an endless reconnect loop.
func loadTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt: CAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt: CAFile %s: no PEM certificate found", caFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case certFile == "" && keyFile == "":
	case certFile == "":
		return nil, fmt.Errorf("mqtt: KeyFile %s is set without CertFile", keyFile)
	case keyFile == "":
		return nil, fmt.Errorf("mqtt: CertFile %s is set without KeyFile", certFile)
	default:
		certPEM, err := os.ReadFile(certFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt: CertFile: %w", err)
		}
		keyPEM, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt: KeyFile: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("mqtt: CertFile %s, KeyFile %s: %v", certFile, keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// validUTF8Topic reports whether s is a string Mosquitto accepts in a topic:
// 1 to 65535 bytes of valid UTF-8 without NUL or control characters.
// Mosquitto disconnects a client that publishes to a malformed topic, so a
// device must never be able to make the bridge do that through reply_to.
func validUTF8Topic(s string) bool {
	if s == "" || len(s) > maxTopicLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0xfffe || r == 0xffff {
			return false
		}
	}
	return true
}

// checkTopicName checks a topic to publish to: no wildcards, and not a
// broker-reserved "$" topic.
func checkTopicName(s string) error {
	switch {
	case !validUTF8Topic(s):
		return errors.New("not a valid topic (empty, too long, invalid UTF-8 or control characters)")
	case strings.ContainsAny(s, "+#"):
		return errors.New("wildcards + and # are not allowed in a topic to publish to")
	case strings.HasPrefix(s, "$"):
		return errors.New("topics starting with $ are reserved for the broker")
	}
	return nil
}

// checkTopicFilter checks a subscription filter: + must be a whole level,
// # a whole last level.
func checkTopicFilter(s string) error {
	if !validUTF8Topic(s) {
		return errors.New("not a valid topic filter (empty, too long, invalid UTF-8 or control characters)")
	}
	levels := strings.Split(s, "/")
	for i, l := range levels {
		if strings.ContainsAny(l, "+#") && len(l) > 1 {
			return errors.New("wildcards + and # must stand alone in a topic level")
		}
		if l == "#" && i != len(levels)-1 {
			return errors.New("# must be the last topic level")
		}
	}
	return nil
}
