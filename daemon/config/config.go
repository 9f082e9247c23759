package config

// The TOML library is github.com/pelletier/go-toml/v2 rather than
// github.com/BurntSushi/toml: with DisallowUnknownFields its decoder reports
// every unknown key, and every type error, as an error that carries the key
// and its line and column (StrictMissingError, DecodeError.Position).
// BurntSushi reports unknown keys only as MetaData.Undecoded(), without a
// position, so naming the line would mean re-scanning the document
// ourselves. Its unstable parser also gives us the position of every key,
// which the range checks after decoding use for their messages.

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// DefaultPath is where the packaged daemon reads its configuration.
const DefaultPath = "/etc/baylingd/baylingd.toml"

// Config is a validated configuration. The zero value is not valid: start
// from Default or Parse.
type Config struct {
	Model    Model
	Engine   Engine
	Limits   Limits
	Socket   Socket
	MQTT     MQTT
	Log      Log
	Daemon   Daemon
	Watchdog Watchdog

	// File is the file the configuration was read from ("" for Default).
	File string
	pos  map[string]position // key ("engine.threads") -> where it was set
}

// Model is the [model] section.
type Model struct {
	Path  string // GGUF file
	Warm  bool   // read every weight page before reporting ready
	Accel string // "auto", "cpu", "vulkan" or "rknpu"
}

// Engine is the [engine] section: how the scheduler is sized.
type Engine struct {
	Threads      int // 0: the performance cores
	ContextSize  int // KV positions for all sequences together; 0: the model's training context
	MaxSequences int // sequences decoded together (continuous batching)
	QueueLength  int // requests waiting for a slot before new ones get "busy"
	PrefillChunk int // prompt tokens one sequence feeds per forward pass
	MaxBatch     int // tokens in one forward pass
}

// Limits is the [limits] section: what one request may ask for.
type Limits struct {
	MaxInputBytes   int           // text (or chat messages) in bytes
	MaxOutputTokens int           // generated tokens; larger max_tokens are capped
	Deadline        time.Duration // from arrival to the last token
}

// MaxBodyBytes is the largest request body (HTTP or MQTT payload) worth
// reading for MaxInputBytes of text: JSON may escape one byte of text as six
// (\u0001), and the other fields (glossary, languages, chat roles) need
// room of their own.
func (l Limits) MaxBodyBytes() int64 { return 6*int64(l.MaxInputBytes) + 16<<10 }

// Socket is the [socket] section: the Unix-socket API.
type Socket struct {
	Path  string
	Mode  os.FileMode // permission bits of the socket file
	Group string      // group of the socket file ("": leave it)
}

// MQTT is the [mqtt] section.
type MQTT struct {
	Enabled        bool
	Broker         string // URL: tcp://, ssl://, mqtt://, mqtts://, ws://, wss://
	ClientID       string
	Username       string
	Password       string // from password or, after Load, password_file
	PasswordFile   string
	CAFile         string
	CertFile       string
	KeyFile        string
	RequestTopic   string
	SharedGroup    string // "": a plain subscription
	ResponsePrefix string
	StatusTopic    string
	QoS            int
	MaxInFlight    int
	CleanSession   bool // forced on by the bridge when SharedGroup is set
}

// Log is the [log] section.
type Log struct {
	Level  slog.Level
	Format string // "text" or "json"
}

// Daemon is the [daemon] section: the process's lifecycle.
type Daemon struct {
	DrainTimeout time.Duration // how long SIGTERM waits for accepted requests
}

// Watchdog is the [watchdog] section: the health check behind systemd's
// WATCHDOG=1 pings.
type Watchdog struct {
	StuckAfter   time.Duration // a forward pass running longer is "stuck"
	ProbeTimeout time.Duration // the self-request over the socket must answer within this
}

// file is the document as decoded; durations, modes and levels are
// strings here and checked (with positions) in build.
type file struct {
	Model struct {
		Path  string `toml:"path"`
		Warm  bool   `toml:"warm"`
		Accel string `toml:"accel"`
	} `toml:"model"`
	Engine struct {
		Threads      int `toml:"threads"`
		ContextSize  int `toml:"context_size"`
		MaxSequences int `toml:"max_sequences"`
		QueueLength  int `toml:"queue_length"`
		PrefillChunk int `toml:"prefill_chunk"`
		MaxBatch     int `toml:"max_batch"`
	} `toml:"engine"`
	Limits struct {
		MaxInputBytes   int    `toml:"max_input_bytes"`
		MaxOutputTokens int    `toml:"max_output_tokens"`
		Deadline        string `toml:"deadline"`
	} `toml:"limits"`
	Socket struct {
		Path  string `toml:"path"`
		Mode  string `toml:"mode"`
		Group string `toml:"group"`
	} `toml:"socket"`
	MQTT struct {
		Enabled        bool   `toml:"enabled"`
		Broker         string `toml:"broker"`
		ClientID       string `toml:"client_id"`
		Username       string `toml:"username"`
		Password       string `toml:"password"`
		PasswordFile   string `toml:"password_file"`
		CAFile         string `toml:"ca_file"`
		CertFile       string `toml:"cert_file"`
		KeyFile        string `toml:"key_file"`
		RequestTopic   string `toml:"request_topic"`
		SharedGroup    string `toml:"shared_group"`
		ResponsePrefix string `toml:"response_prefix"`
		StatusTopic    string `toml:"status_topic"`
		QoS            int    `toml:"qos"`
		MaxInFlight    int    `toml:"max_in_flight"`
		CleanSession   bool   `toml:"clean_session"`
	} `toml:"mqtt"`
	Log struct {
		Level  string `toml:"level"`
		Format string `toml:"format"`
	} `toml:"log"`
	Daemon struct {
		DrainTimeout string `toml:"drain_timeout"`
	} `toml:"daemon"`
	Watchdog struct {
		StuckAfter   string `toml:"stuck_after"`
		ProbeTimeout string `toml:"probe_timeout"`
	} `toml:"watchdog"`
}

// defaults returns the document with every key at its default. The values
// and the reasons for them are in configs/baylingd.toml; a test checks that
// the two agree.
func defaults() file {
	var f file
	f.Model.Path = "/var/lib/baylingd/models/model.gguf"
	f.Model.Warm = true
	f.Model.Accel = "auto"
	f.Engine.ContextSize = 2048
	f.Engine.MaxSequences = 4
	f.Engine.QueueLength = 16
	f.Engine.PrefillChunk = 64
	f.Engine.MaxBatch = 256
	f.Limits.MaxInputBytes = 4096
	f.Limits.MaxOutputTokens = 512
	f.Limits.Deadline = "120s"
	f.Socket.Path = "/run/baylingd/baylingd.sock"
	f.Socket.Mode = "0660"
	f.Socket.Group = "baylingd"
	f.MQTT.Broker = "tcp://localhost:1883"
	f.MQTT.RequestTopic = "bayling/translate/request"
	f.MQTT.ResponsePrefix = "bayling/translate/response"
	f.MQTT.QoS = 1
	f.Log.Level = "info"
	f.Log.Format = "text"
	f.Daemon.DrainTimeout = "30s"
	f.Watchdog.StuckAfter = "120s"
	f.Watchdog.ProbeTimeout = "10s"
	return f
}

// Default returns the configuration with every key at its default.
func Default() *Config {
	c, err := build(defaults(), "", nil)
	if err != nil {
		panic("config: the defaults are invalid: " + err.Error())
	}
	return c
}

// Keys returns every key the file may set ("engine.threads"), sorted.
func Keys() []string {
	var keys []string
	t := reflect.TypeFor[file]()
	for i := range t.NumField() {
		sec := t.Field(i)
		for j := range sec.Type.NumField() {
			keys = append(keys, sec.Tag.Get("toml")+"."+sec.Type.Field(j).Tag.Get("toml"))
		}
	}
	sort.Strings(keys)
	return keys
}

// Load reads and validates the file at path, and reads the MQTT
// password_file when one is set.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if c.MQTT.PasswordFile != "" {
		b, err := os.ReadFile(c.MQTT.PasswordFile)
		if err != nil {
			return nil, Errors{c.errorf("mqtt.password_file", "%v", err)}
		}
		// A trailing newline is what editors and `echo` leave; it is never
		// part of a password.
		c.MQTT.Password = strings.TrimRight(string(b), "\r\n")
	}
	return c, nil
}

// Parse validates a configuration document; name is used in messages. It
// reads no files.
func Parse(name string, data []byte) (*Config, error) {
	f := defaults()
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, decodeErrors(name, err)
	}
	pos, err := positions(data)
	if err != nil {
		// The decoder accepted the document, so the parser should too;
		// report rather than guess.
		return nil, Errors{{File: name, Msg: err.Error()}}
	}
	return build(f, name, pos)
}

// Error is one problem in a configuration file.
type Error struct {
	File      string
	Line, Col int    // 0 when unknown
	Key       string // "engine.threads"; "" for syntax errors
	Msg       string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Col)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a file, in order; one per line.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Errorf makes an error about a key of c, with the line where the file set
// it (for problems found after loading, like a model file that does not
// load).
func (c *Config) Errorf(key, format string, a ...any) error {
	return c.errorf(key, format, a...)
}

func (c *Config) errorf(key, format string, a ...any) *Error {
	e := &Error{File: c.File, Key: key, Msg: fmt.Sprintf(format, a...)}
	if p, ok := c.pos[key]; ok {
		e.Line, e.Col = p.line, p.col
	}
	return e
}

// Set reports whether the file set key explicitly.
func (c *Config) Set(key string) bool {
	_, ok := c.pos[key]
	return ok
}

type position struct{ line, col int }

// decodeErrors turns the decoder's errors into ours, naming the key and the
// expected type in words instead of Go's struct types.
func decodeErrors(name string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var es Errors
		for i := range strict.Errors {
			de := &strict.Errors[i]
			line, col := de.Position()
			key := strings.Join(de.Key(), ".")
			es = append(es, &Error{File: name, Line: line, Col: col, Key: key, Msg: "unknown key" + suggest(key)})
		}
		return es
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		key := strings.Join(de.Key(), ".")
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if strings.HasPrefix(msg, "cannot decode TOML ") {
			got, _, _ := strings.Cut(strings.TrimPrefix(msg, "cannot decode TOML "), " ")
			if want := wantType(key); want != "" {
				msg = "want " + want + ", got " + article(got)
			}
		}
		return Errors{{File: name, Line: line, Col: col, Key: key, Msg: msg}}
	}
	return Errors{{File: name, Msg: strings.TrimPrefix(err.Error(), "toml: ")}}
}

// wantType describes the Go type behind a key, for type errors.
func wantType(key string) string {
	sec, k, ok := strings.Cut(key, ".")
	t := reflect.TypeFor[file]()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("toml") != sec {
			continue
		}
		if !ok {
			return "a table"
		}
		st := t.Field(i).Type
		for j := range st.NumField() {
			if st.Field(j).Tag.Get("toml") == k {
				switch st.Field(j).Type.Kind() {
				case reflect.Int:
					return "an integer"
				case reflect.Bool:
					return "true or false"
				case reflect.String:
					return "a string"
				}
			}
		}
	}
	return ""
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// suggest proposes the known key closest to an unknown one.
func suggest(key string) string {
	best, bestD := "", 3 // at most two edits away
	_, last, _ := strings.Cut(key, ".")
	for _, k := range Keys() {
		d := distance(key, k)
		if _, kl, _ := strings.Cut(k, "."); kl == last && last != "" {
			d = 1 // the right key in the wrong section
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// positions maps every key set in the document ("engine.threads", and
// tables as "engine") to where it is.
func positions(data []byte) (map[string]position, error) {
	pos := map[string]position{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	at := func(n *unstable.Node) position {
		s := p.Shape(n.Raw)
		return position{s.Start.Line, s.Start.Column}
	}
	var keyval func(prefix []string, n *unstable.Node)
	keyval = func(prefix []string, n *unstable.Node) {
		path := append([]string(nil), prefix...)
		it := n.Key()
		var first *unstable.Node
		for it.Next() {
			if first == nil {
				first = it.Node()
			}
			path = append(path, string(it.Node().Data))
		}
		if first == nil {
			return
		}
		if _, dup := pos[strings.Join(path, ".")]; !dup {
			pos[strings.Join(path, ".")] = at(first)
		}
		if v := n.Value(); v.Kind == unstable.InlineTable {
			ch := v.Children()
			for ch.Next() {
				if ch.Node().Kind == unstable.KeyValue {
					keyval(path, ch.Node())
				}
			}
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = table[:0]
			it := e.Key()
			var first *unstable.Node
			for it.Next() {
				if first == nil {
					first = it.Node()
				}
				table = append(table, string(it.Node().Data))
			}
			if first != nil {
				if _, dup := pos[strings.Join(table, ".")]; !dup {
					pos[strings.Join(table, ".")] = at(first)
				}
			}
		case unstable.KeyValue:
			keyval(table, e)
		}
	}
	return pos, p.Error()
}

// build checks the decoded values and converts them.
func build(f file, name string, pos map[string]position) (*Config, error) {
	c := &Config{File: name, pos: pos}
	var es Errors
	bad := func(key, format string, a ...any) { es = append(es, c.errorf(key, format, a...)) }
	intIn := func(key string, v, lo, hi int) int {
		if v < lo || v > hi {
			bad(key, "%d is out of range [%d, %d]", v, lo, hi)
		}
		return v
	}
	dur := func(key, s string, lo, hi time.Duration) time.Duration {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			bad(key, "%q is not a duration (write it like \"30s\", \"2m\" or \"1h30m\")", s)
		case d < lo || d > hi:
			bad(key, "%s is out of range [%s, %s]", d, lo, hi)
		}
		return d
	}

	c.Model = Model{Path: f.Model.Path, Warm: f.Model.Warm, Accel: f.Model.Accel}
	if c.Model.Path == "" {
		bad("model.path", "must be set to a GGUF model file")
	}
	switch c.Model.Accel {
	case "auto", "cpu", "vulkan", "rknpu":
	default:
		bad("model.accel", "%q is not one of auto, cpu, vulkan, rknpu", c.Model.Accel)
	}

	e := f.Engine
	c.Engine = Engine{
		Threads:      intIn("engine.threads", e.Threads, 0, 1024),
		ContextSize:  e.ContextSize,
		MaxSequences: intIn("engine.max_sequences", e.MaxSequences, 1, 64),
		QueueLength:  intIn("engine.queue_length", e.QueueLength, 1, 4096),
		PrefillChunk: intIn("engine.prefill_chunk", e.PrefillChunk, 1, 4096),
		MaxBatch:     intIn("engine.max_batch", e.MaxBatch, 1, 8192),
	}
	if e.ContextSize != 0 && (e.ContextSize < 64 || e.ContextSize > 1<<20) {
		bad("engine.context_size", "%d is out of range: 0 (the model's training context) or [64, %d]", e.ContextSize, 1<<20)
	}

	c.Limits = Limits{
		MaxInputBytes:   intIn("limits.max_input_bytes", f.Limits.MaxInputBytes, 1, 1<<20),
		MaxOutputTokens: intIn("limits.max_output_tokens", f.Limits.MaxOutputTokens, 1, 1<<16),
		Deadline:        dur("limits.deadline", f.Limits.Deadline, time.Millisecond, 24*time.Hour),
	}

	c.Socket = Socket{Path: f.Socket.Path, Group: f.Socket.Group}
	switch {
	case c.Socket.Path == "":
		bad("socket.path", "must be set")
	case len(c.Socket.Path) > 107:
		// sun_path holds 108 bytes with the terminating NUL.
		bad("socket.path", "%d bytes is longer than a Unix socket path may be (107)", len(c.Socket.Path))
	}
	if m, err := strconv.ParseUint(f.Socket.Mode, 8, 32); err != nil || m > 0o777 {
		bad("socket.mode", "%q is not an octal permission like \"0660\"", f.Socket.Mode)
	} else {
		c.Socket.Mode = os.FileMode(m)
		if m&0o600 != 0o600 {
			bad("socket.mode", "%s: the owner (baylingd itself) needs read and write", f.Socket.Mode)
		}
	}

	m := f.MQTT
	c.MQTT = MQTT{
		Enabled: m.Enabled, Broker: m.Broker, ClientID: m.ClientID,
		Username: m.Username, Password: m.Password, PasswordFile: m.PasswordFile,
		CAFile: m.CAFile, CertFile: m.CertFile, KeyFile: m.KeyFile,
		RequestTopic: m.RequestTopic, SharedGroup: m.SharedGroup,
		ResponsePrefix: strings.TrimSuffix(m.ResponsePrefix, "/"), StatusTopic: m.StatusTopic,
		QoS:          m.QoS,
		MaxInFlight:  intIn("mqtt.max_in_flight", m.MaxInFlight, 0, 4096),
		CleanSession: m.CleanSession,
	}
	if m.QoS != 1 && m.QoS != 2 {
		// The bridge acknowledges a request only after its reply is
		// published; at QoS 0 the broker would not wait for that.
		bad("mqtt.qos", "%d: must be 1 or 2 (QoS 0 could lose requests)", m.QoS)
	}
	if u, err := url.Parse(m.Broker); err != nil || u.Host == "" {
		bad("mqtt.broker", "%q is not a broker URL like tcp://host:1883 or ssl://host:8883", m.Broker)
	} else {
		switch u.Scheme {
		case "tcp", "mqtt", "ws":
			if m.CAFile != "" || m.CertFile != "" {
				key := "mqtt.ca_file"
				if m.CAFile == "" {
					key = "mqtt.cert_file"
				}
				bad(key, "TLS files need a TLS broker URL (ssl://, mqtts://, wss://); %s would send everything in clear", u.Scheme)
			}
		case "ssl", "tls", "mqtts", "mqtt+ssl", "tcps", "wss":
		default:
			bad("mqtt.broker", "scheme %q is not one of tcp, mqtt, ws (plain) or ssl, tls, mqtts, tcps, wss (TLS)", u.Scheme)
		}
	}
	if m.Password != "" && m.PasswordFile != "" {
		bad("mqtt.password_file", "set password or password_file, not both")
	}
	if (m.Password != "" || m.PasswordFile != "") && m.Username == "" {
		key := "mqtt.password"
		if m.PasswordFile != "" {
			key = "mqtt.password_file"
		}
		bad(key, "a password needs a username (MQTT 3.1.1)")
	}
	if (m.CertFile == "") != (m.KeyFile == "") {
		key := "mqtt.key_file"
		if m.CertFile == "" {
			key = "mqtt.cert_file"
		}
		bad(key, "a client certificate needs both cert_file and key_file")
	}
	topic := func(key, t string, required, filter bool) {
		switch {
		case t == "":
			if required {
				bad(key, "must be set")
			}
		case strings.ContainsRune(t, 0):
			bad(key, "%q: a topic may not contain NUL", t)
		case !filter && strings.ContainsAny(t, "+#"):
			bad(key, "%q: may not contain the wildcards + or #", t)
		case filter && !validFilter(t):
			bad(key, "%q: + and # must each be a whole topic level, and # the last", t)
		case strings.HasPrefix(t, "$"):
			bad(key, "%q: topics starting with $ are the broker's (use mqtt.shared_group for a shared subscription)", t)
		case len(t) > 65535:
			bad(key, "longer than an MQTT topic may be")
		}
	}
	topic("mqtt.request_topic", m.RequestTopic, true, true)
	topic("mqtt.response_prefix", c.MQTT.ResponsePrefix, true, false)
	topic("mqtt.status_topic", m.StatusTopic, false, false)
	if strings.ContainsAny(m.SharedGroup, "/+#\x00") {
		bad("mqtt.shared_group", "%q: a share name may not contain /, + or #", m.SharedGroup)
	}
	if c.MQTT.ClientID == "" {
		host, _ := os.Hostname()
		c.MQTT.ClientID = "baylingd-" + sanitize(host)
	}
	if c.MQTT.StatusTopic == "" {
		c.MQTT.StatusTopic = "bayling/status/" + c.MQTT.ClientID
	}
	if c.MQTT.MaxInFlight == 0 {
		// Twice the active sequences keeps the next request queued when
		// one finishes, and leaves the rest of the queue to socket clients.
		c.MQTT.MaxInFlight = min(2*c.Engine.MaxSequences, c.Engine.MaxSequences+c.Engine.QueueLength)
	} else if n := c.Engine.MaxSequences + c.Engine.QueueLength; c.MQTT.MaxInFlight > n {
		bad("mqtt.max_in_flight", "%d is more than the engine can hold (max_sequences + queue_length = %d): the rest would be answered busy", c.MQTT.MaxInFlight, n)
	}

	switch strings.ToLower(f.Log.Level) {
	case "debug":
		c.Log.Level = slog.LevelDebug
	case "info":
		c.Log.Level = slog.LevelInfo
	case "warn", "warning":
		c.Log.Level = slog.LevelWarn
	case "error":
		c.Log.Level = slog.LevelError
	default:
		bad("log.level", "%q is not one of debug, info, warn, error", f.Log.Level)
	}
	c.Log.Format = f.Log.Format
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "%q is not one of text, json", f.Log.Format)
	}

	c.Daemon.DrainTimeout = dur("daemon.drain_timeout", f.Daemon.DrainTimeout, 0, time.Hour)
	c.Watchdog.StuckAfter = dur("watchdog.stuck_after", f.Watchdog.StuckAfter, time.Second, 24*time.Hour)
	c.Watchdog.ProbeTimeout = dur("watchdog.probe_timeout", f.Watchdog.ProbeTimeout, 10*time.Millisecond, time.Hour)

	if len(es) > 0 {
		sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
		return nil, es
	}
	return c, nil
}

// validFilter checks the wildcards of an MQTT topic filter.
func validFilter(t string) bool {
	levels := strings.Split(t, "/")
	for i, l := range levels {
		if strings.ContainsAny(l, "+#") && len(l) != 1 {
			return false
		}
		if l == "#" && i != len(levels)-1 {
			return false
		}
	}
	return true
}

// sanitize keeps a host name usable in a client id and a topic.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "host"
	}
	return b.String()
}

// Changed names the sections ("model", "engine", ...) whose settings differ
// between a and b, for telling what a reload could not apply.
func Changed(a, b *Config) []string {
	var out []string
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	t := va.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Name == "File" {
			continue
		}
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, strings.ToLower(f.Name))
		}
	}
	return out
}
