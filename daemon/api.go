package daemon

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baylingd/baylingd/daemon/apierr"
	"github.com/baylingd/baylingd/daemon/metrics"
	"github.com/baylingd/baylingd/translate"
)

// handler is the HTTP API served on the Unix socket.
func (d *daemon) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/translate", d.handleTranslate)
	mux.HandleFunc("POST /v1/chat/completions", d.handleChat)
	mux.HandleFunc("GET /v1/languages", d.handleLanguages)
	mux.HandleFunc("GET /v1/models", d.handleModels)
	mux.HandleFunc("GET /v1/health", d.handleHealth)
	mux.HandleFunc("GET /metrics", d.handleMetrics)
	mux.HandleFunc("/", d.handleUnknown)
	return d.guard(mux)
}

var endpoints = map[string]string{
	"/v1/translate": "POST", "/v1/chat/completions": "POST", "/v1/languages": "GET",
	"/v1/models": "GET", "/v1/health": "GET", "/metrics": "GET",
}

// guard counts running handlers (the drain waits for them) and turns a
// panic into an internal error reply: bad input must never take the
// daemon down, and the client must get an answer with a code.
func (d *daemon) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.handlers.Add(1)
		defer d.handlers.Done()
		if d.svc.state.Load() == stateDraining {
			w.Header().Set("Connection", "close") // no keep-alive while stopping
		}
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			d.log.Error("panic while serving a request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if r.URL.Path == "/v1/translate" || r.URL.Path == "/v1/chat/completions" {
				d.metrics.requests.With(transportSocket, apierr.Internal).Inc()
			}
			if !tw.wrote {
				writeError(tw, apierr.New(apierr.Internal, "internal error (the daemon's log has the details)"))
			}
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter records whether the response has started.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's Flush.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// readBody reads a request body of at most the configured size.
func (d *daemon) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := d.cfg.Limits.MaxBodyBytes()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, apierr.New(apierr.TooLong, "the request body is over %d bytes (6 x limits.max_input_bytes + 16 KiB)", limit)
	case err != nil:
		return nil, apierr.New(apierr.Cancelled, "reading the request: %v", err)
	}
	return body, nil
}

// reject answers and counts a request refused before it reached the
// service.
func (d *daemon) reject(w http.ResponseWriter, err error) {
	d.metrics.observe(transportSocket, err, outcome{})
	writeError(w, err)
}

func (d *daemon) handleTranslate(w http.ResponseWriter, r *http.Request) {
	body, err := d.readBody(w, r)
	if err != nil {
		d.reject(w, err)
		return
	}
	req, o, err := decodeTranslate(body)
	if err != nil {
		d.reject(w, err)
		return
	}
	reply := func(res translate.Result, out outcome) translateResponse {
		return translateResponse{
			Translation: res.Translation, Source: res.Source, Target: res.Target, Tokens: res.Tokens,
			PromptTokens: out.Engine.PromptTokens, CachedTokens: out.Engine.CachedTokens,
			MS: out.Elapsed.Milliseconds(), FirstTokenMS: float64(out.Engine.FirstToken.Microseconds()) / 1000,
		}
	}
	if !req.Stream {
		res, out, err := d.svc.translate(r.Context(), transportSocket, req.request(), o, nil)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, reply(res, out))
		return
	}
	// NDJSON: {"delta": ...} lines, then the full result (or an error).
	// The 200 is sent with the first piece, so a request that fails before
	// producing anything still gets a fitting status.
	st := &stream{w: w, contentType: "application/x-ndjson"}
	res, out, err := d.svc.translate(r.Context(), transportSocket, req.request(), o, func(piece string) error {
		return st.send(struct {
			Delta string `json:"delta"`
		}{piece}, "", "\n")
	})
	switch {
	case err != nil && !st.started:
		writeError(w, err)
	case err != nil:
		st.send(errorBody{apierr.From(err)}, "", "\n")
	default:
		st.send(reply(res, out), "", "\n")
	}
}

// OpenAI's wire format for chat completions.
type (
	chatCompletion struct {
		ID      string       `json:"id"`
		Object  string       `json:"object"`
		Created int64        `json:"created"`
		Model   string       `json:"model"`
		Choices []chatChoice `json:"choices"`
		Usage   *chatUsage   `json:"usage,omitempty"`
	}
	chatChoice struct {
		Index        int          `json:"index"`
		Message      *chatContent `json:"message,omitempty"`
		Delta        *chatContent `json:"delta,omitempty"`
		FinishReason *string      `json:"finish_reason"`
	}
	chatContent struct {
		Role    string `json:"role,omitempty"`
		Content string `json:"content"`
	}
	chatUsage struct {
		PromptTokens        int `json:"prompt_tokens"`
		CompletionTokens    int `json:"completion_tokens"`
		TotalTokens         int `json:"total_tokens"`
		PromptTokensDetails struct {
			CachedTokens int `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	}
)

func usage(out outcome) *chatUsage {
	u := &chatUsage{PromptTokens: out.Engine.PromptTokens, CompletionTokens: out.Engine.Tokens}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	u.PromptTokensDetails.CachedTokens = out.Engine.CachedTokens
	return u
}

func (d *daemon) handleChat(w http.ResponseWriter, r *http.Request) {
	body, err := d.readBody(w, r)
	if err != nil {
		d.reject(w, err)
		return
	}
	req, msgs, o, err := decodeChat(body)
	if err != nil {
		d.reject(w, err)
		return
	}
	c := chatCompletion{ID: "chatcmpl-" + randomID(), Created: time.Now().Unix(), Model: d.modelID()}
	finish := func(out outcome) *string {
		s := string(out.Engine.Reason) // "stop" or "length": others are errors
		return &s
	}
	if !req.Stream {
		text, out, err := d.svc.chat(r.Context(), transportSocket, msgs, o, nil)
		if err != nil {
			writeError(w, err)
			return
		}
		c.Object = "chat.completion"
		c.Choices = []chatChoice{{Message: &chatContent{Role: "assistant", Content: text}, FinishReason: finish(out)}}
		c.Usage = usage(out)
		writeJSON(w, http.StatusOK, c)
		return
	}
	// Server-sent events, as OpenAI streams: chunks with choices[0].delta,
	// a last chunk with the finish reason, optionally one with the usage,
	// then "data: [DONE]".
	c.Object = "chat.completion.chunk"
	st := &stream{w: w, contentType: "text/event-stream"}
	chunk := func(delta *chatContent, fin *string) chatCompletion {
		k := c
		k.Choices = []chatChoice{{Delta: delta, FinishReason: fin}}
		return k
	}
	var u utf8Joiner
	role := "assistant" // on the first chunk only
	emit := func(piece string) error {
		piece = u.push(piece)
		if piece == "" {
			return nil
		}
		err := st.send(chunk(&chatContent{Role: role, Content: piece}, nil), "data: ", "\n\n")
		role = ""
		return err
	}
	_, out, err := d.svc.chat(r.Context(), transportSocket, msgs, o, emit)
	if err == nil {
		if rest := u.flush(); rest != "" {
			err = emit(rest)
		}
	}
	switch {
	case err != nil && !st.started:
		writeError(w, err)
		return
	case err != nil:
		st.send(errorBody{apierr.From(err)}, "data: ", "\n\n")
		return
	}
	if st.send(chunk(&chatContent{Role: role}, finish(out)), "data: ", "\n\n") != nil {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		k := c
		k.Choices, k.Usage = []chatChoice{}, usage(out)
		st.send(k, "data: ", "\n\n")
	}
	st.raw("data: [DONE]\n\n")
}

// modelID names the model in OpenAI replies: its general.name, or the file
// name.
func (d *daemon) modelID() string {
	// The model is set before the state leaves loading; reading the state
	// first orders the two.
	if m := d.svc.model; d.svc.state.Load() != stateLoading && m != nil {
		if m.Name != "" {
			return m.Name
		}
		return strings.TrimSuffix(filepath.Base(m.Path), ".gguf")
	}
	return strings.TrimSuffix(filepath.Base(d.cfg.Model.Path), ".gguf")
}

func (d *daemon) handleModels(w http.ResponseWriter, r *http.Request) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	writeJSON(w, http.StatusOK, struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{"list", []model{{d.modelID(), "model", d.started.Unix(), "baylingd"}}})
}

func (d *daemon) handleLanguages(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Languages []translate.Language `json:"languages"`
	}{translate.All()})
}

// healthResponse is the body of GET /v1/health.
type healthResponse struct {
	Status        string        `json:"status"` // ok, loading, draining, unhealthy
	Version       string        `json:"version"`
	Model         string        `json:"model"`
	Family        string        `json:"family,omitempty"`
	UptimeS       float64       `json:"uptime_s"`
	LoadPercent   int           `json:"load_percent"`
	Queue         int           `json:"queue"`
	Active        int           `json:"active"`
	MaxSequences  int           `json:"max_sequences"`
	MQTTConnected *bool         `json:"mqtt_connected,omitempty"` // absent when [mqtt] is disabled
	Error         *apierr.Error `json:"error,omitempty"`
}

// health reports the daemon's state; the error is nil only when requests
// can be served.
func (d *daemon) health() (healthResponse, *apierr.Error) {
	h := healthResponse{
		Status: "ok", Version: Version, Model: d.modelID(),
		UptimeS:      time.Since(d.started).Round(time.Millisecond).Seconds(),
		LoadPercent:  int(d.loadPercent.Load()),
		MaxSequences: d.cfg.Engine.MaxSequences,
	}
	if d.cfg.MQTT.Enabled {
		b := d.metrics.bridge.Load()
		c := b != nil && b.Connected()
		h.MQTTConnected = &c
	}
	var err *apierr.Error
	switch d.svc.state.Load() {
	case stateLoading:
		h.Status, err = "loading", apierr.New(apierr.Busy, "the model is loading (%d%%)", h.LoadPercent)
		return h, err
	case stateDraining:
		h.Status, err = "draining", apierr.New(apierr.Busy, "the daemon is shutting down")
	}
	rn := d.metrics.runner.Load()
	if rn == nil { // the model failed to load; the daemon is exiting
		return h, err
	}
	h.Family = d.svc.family.String()
	st := rn.Stats()
	h.Queue, h.Active = st.Waiting, st.Active
	if herr := rn.Health(); herr != nil && err == nil {
		h.Status, err = "unhealthy", apierr.New(apierr.Internal, "the engine is unhealthy: %v", herr)
	}
	return h, err
}

func (d *daemon) handleHealth(w http.ResponseWriter, r *http.Request) {
	h, err := d.health()
	h.Error = err
	status := http.StatusOK
	if err != nil {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, h)
}

func (d *daemon) handleMetrics(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	if err := d.metrics.reg.WriteText(&b); err != nil {
		writeError(w, apierr.New(apierr.Internal, "metrics: %v", err))
		return
	}
	w.Header().Set("Content-Type", metrics.ContentType)
	w.Write(b.Bytes())
}

func (d *daemon) handleUnknown(w http.ResponseWriter, r *http.Request) {
	if m, ok := endpoints[r.URL.Path]; ok {
		w.Header().Set("Allow", m)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{apierr.New(apierr.BadRequest, "%s %s: use %s", r.Method, r.URL.Path, m)})
		return
	}
	writeJSON(w, http.StatusNotFound, errorBody{apierr.New(apierr.BadRequest, "no such endpoint: %s", r.URL.Path)})
}

// errorBody is the error reply: {"error": {"code", "message"}}.
type errorBody struct {
	Error *apierr.Error `json:"error"`
}

func writeError(w http.ResponseWriter, err error) {
	e := apierr.From(err)
	if e.Code == apierr.Busy {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, apierr.Status(e.Code), errorBody{e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = marshal(errorBody{apierr.New(apierr.Internal, "encoding the reply: %v", err)})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// marshal encodes without escaping <, > and & (JSON does not need it, and
// translations of HTML snippets stay readable).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// stream writes a streamed reply: the 200 and the content type go out with
// the first message, and every message is flushed at once.
type stream struct {
	w           http.ResponseWriter
	contentType string
	started     bool
}

func (s *stream) send(v any, prefix, suffix string) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	return s.raw(prefix + string(b) + suffix)
}

func (s *stream) raw(text string) error {
	if !s.started {
		s.started = true
		h := s.w.Header()
		h.Set("Content-Type", s.contentType)
		h.Set("Cache-Control", "no-cache")
		s.w.WriteHeader(http.StatusOK)
	}
	if _, err := io.WriteString(s.w, text); err != nil {
		return apierr.New(apierr.Cancelled, "the client went away: %v", err)
	}
	if err := http.NewResponseController(s.w).Flush(); err != nil {
		return apierr.New(apierr.Cancelled, "the client went away: %v", err)
	}
	return nil
}

// utf8Joiner holds back an incomplete UTF-8 sequence at the end of a piece
// until the next piece completes it: raw model output may split a
// character between tokens, and JSON would turn each half into U+FFFD.
type utf8Joiner struct{ held string }

func (u *utf8Joiner) push(piece string) string {
	s := u.held + piece
	u.held = ""
	// Look at most 3 bytes back for the start of a sequence that is not
	// complete yet.
	for i := len(s) - 1; i >= 0 && i >= len(s)-3; i-- {
		if !utf8.RuneStart(s[i]) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(s[i:]); r == utf8.RuneError && !utf8.FullRuneInString(s[i:]) {
			u.held = s[i:]
			return s[:i]
		}
		break
	}
	return s
}

func (u *utf8Joiner) flush() string {
	s := u.held
	u.held = ""
	return s
}

func randomID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
