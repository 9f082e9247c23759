package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/baylingd/baylingd/daemon/apierr"
)

// DefaultSocket is where the packaged daemon listens.
const DefaultSocket = "/run/baylingd/baylingd.sock"

// SocketFromEnv returns $BAYLINGD_SOCKET, or DefaultSocket.
func SocketFromEnv() string {
	if s := os.Getenv("BAYLINGD_SOCKET"); s != "" {
		return s
	}
	return DefaultSocket
}

// Client is a connection pool to one daemon. It is safe for concurrent use.
type Client struct {
	Socket string
	http   *http.Client
}

// New returns a client for the daemon at socketPath ("" means
// SocketFromEnv()).
func New(socketPath string) *Client {
	if socketPath == "" {
		socketPath = SocketFromEnv()
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath)
		},
		MaxIdleConnsPerHost: 16,
		DisableCompression:  true, // a local socket: gzip only costs CPU
	}
	// No overall timeout: translations on a board take as long as they
	// take (the daemon enforces its deadline); callers bound them with ctx.
	return &Client{Socket: socketPath, http: &http.Client{Transport: tr}}
}

// TranslateRequest is a translation request. Source is optional; Target is
// a code or name the daemon's language registry knows ("de", "German").
type TranslateRequest struct {
	Text        string   `json:"text"`
	Source      string   `json:"source,omitempty"`
	Target      string   `json:"target"`
	Glossary    []string `json:"glossary,omitempty"`
	Chinese     bool     `json:"chinese,omitempty"` // the Chinese phrasing of the instruction
	MaxTokens   int      `json:"max_tokens,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"` // nil: greedy
	TopP        *float64 `json:"top_p,omitempty"`
	Seed        uint64   `json:"seed,omitempty"`
}

// TranslateResponse is a finished translation.
type TranslateResponse struct {
	Translation  string  `json:"translation"`
	Source       string  `json:"source,omitempty"` // resolved code, if given
	Target       string  `json:"target"`           // resolved code
	Tokens       int     `json:"tokens"`           // generated
	PromptTokens int     `json:"prompt_tokens"`
	CachedTokens int     `json:"cached_tokens"`  // prompt tokens served from the prefix cache
	MS           int64   `json:"ms"`             // from arrival to the last token
	FirstTokenMS float64 `json:"first_token_ms"` // from arrival to the first token
}

// Translate translates. With onPiece set, the translation is streamed:
// onPiece gets each piece as it is generated (pieces never split a UTF-8
// character), and the response still carries the whole text. Cancelling
// ctx cancels the request in the daemon.
func (c *Client) Translate(ctx context.Context, req TranslateRequest, onPiece func(string)) (*TranslateResponse, error) {
	body := struct {
		TranslateRequest
		Stream bool `json:"stream,omitempty"`
	}{req, onPiece != nil}
	resp, err := c.post(ctx, "/v1/translate", body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if onPiece == nil {
		var out TranslateResponse
		return &out, decode(resp.Body, &out)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var msg struct {
			Delta *string       `json:"delta"`
			Error *apierr.Error `json:"error"`
			TranslateResponse
		}
		if err := json.Unmarshal(line, &msg); err != nil {
			return nil, fmt.Errorf("baylingd: bad stream line %q: %w", line, err)
		}
		switch {
		case msg.Error != nil:
			return nil, msg.Error
		case msg.Delta != nil:
			onPiece(*msg.Delta)
		default:
			out := msg.TranslateResponse
			return &out, nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, c.wrap(ctx, err)
	}
	return nil, errors.New("baylingd: the stream ended without a result")
}

// Message is one chat message: role "system", "user" or "assistant".
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is an OpenAI-style chat completion request.
type ChatRequest struct {
	Model       string    `json:"model,omitempty"` // ignored: the daemon serves one model
	Messages    []Message `json:"messages"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	Temperature *float64  `json:"temperature,omitempty"` // nil: greedy
	TopP        *float64  `json:"top_p,omitempty"`
	Stop        []string  `json:"stop,omitempty"`
}

// ChatResponse is a finished chat completion.
type ChatResponse struct {
	ID           string
	Model        string
	Content      string
	FinishReason string // "stop" or "length"
	Usage        Usage
}

// Usage counts the tokens of a chat completion.
type Usage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

type chatWire struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message      *Message `json:"message"`
		Delta        *Message `json:"delta"`
		FinishReason *string  `json:"finish_reason"`
	} `json:"choices"`
	Usage *Usage        `json:"usage"`
	Error *apierr.Error `json:"error"`
}

// Chat runs a chat completion (POST /v1/chat/completions). With onPiece
// set it streams (server-sent events) and onPiece gets each piece.
func (c *Client) Chat(ctx context.Context, req ChatRequest, onPiece func(string)) (*ChatResponse, error) {
	type streamOpts struct {
		IncludeUsage bool `json:"include_usage"`
	}
	body := struct {
		ChatRequest
		Stream        bool        `json:"stream,omitempty"`
		StreamOptions *streamOpts `json:"stream_options,omitempty"`
	}{ChatRequest: req}
	if onPiece != nil {
		body.Stream, body.StreamOptions = true, &streamOpts{true}
	}
	resp, err := c.post(ctx, "/v1/chat/completions", body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if onPiece == nil {
		var w chatWire
		if err := decode(resp.Body, &w); err != nil {
			return nil, err
		}
		if len(w.Choices) != 1 || w.Choices[0].Message == nil {
			return nil, errors.New("baylingd: a chat completion without a message")
		}
		out := &ChatResponse{ID: w.ID, Model: w.Model, Content: w.Choices[0].Message.Content}
		if f := w.Choices[0].FinishReason; f != nil {
			out.FinishReason = *f
		}
		if w.Usage != nil {
			out.Usage = *w.Usage
		}
		return out, nil
	}
	out := &ChatResponse{}
	var text strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue // blank separators, comments
		}
		if data == "[DONE]" {
			out.Content = text.String()
			return out, nil
		}
		var w chatWire
		if err := json.Unmarshal([]byte(data), &w); err != nil {
			return nil, fmt.Errorf("baylingd: bad event %q: %w", data, err)
		}
		if w.Error != nil {
			return nil, w.Error
		}
		out.ID, out.Model = w.ID, w.Model
		if w.Usage != nil {
			out.Usage = *w.Usage
		}
		for _, ch := range w.Choices {
			if ch.Delta != nil && ch.Delta.Content != "" {
				text.WriteString(ch.Delta.Content)
				onPiece(ch.Delta.Content)
			}
			if ch.FinishReason != nil {
				out.FinishReason = *ch.FinishReason
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, c.wrap(ctx, err)
	}
	return nil, errors.New("baylingd: the stream ended without [DONE]")
}

// Language is one entry of the daemon's language registry.
type Language struct {
	Code     string `json:"code"`     // ISO 639-1 where one exists
	ISO639_3 string `json:"iso639_3"` // ISO 639-3
	Name     string `json:"name"`     // English name, as prompts use it
	Native   string `json:"native"`
	Chinese  string `json:"chinese"`
	Script   string `json:"script"` // ISO 15924
}

// Languages lists the languages the daemon translates between.
func (c *Client) Languages(ctx context.Context) ([]Language, error) {
	var out struct {
		Languages []Language `json:"languages"`
	}
	if err := c.get(ctx, "/v1/languages", &out); err != nil {
		return nil, err
	}
	return out.Languages, nil
}

// Health is the daemon's state.
type Health struct {
	Status        string  `json:"status"` // ok, loading, draining, unhealthy
	Version       string  `json:"version"`
	Model         string  `json:"model"`
	Family        string  `json:"family"`
	UptimeS       float64 `json:"uptime_s"`
	LoadPercent   int     `json:"load_percent"`
	Queue         int     `json:"queue"`
	Active        int     `json:"active"`
	MaxSequences  int     `json:"max_sequences"`
	MQTTConnected *bool   `json:"mqtt_connected"` // nil when MQTT is disabled
}

// Health asks how the daemon is. It returns the Health whenever the daemon
// answered, and with it an *apierr.Error when the daemon cannot serve
// (loading, draining, unhealthy).
func (c *Client) Health(ctx context.Context) (*Health, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v1/health", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Health
		Error *apierr.Error `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("baylingd: health: %w", err)
	}
	if out.Error != nil {
		return &out.Health, out.Error
	}
	return &out.Health, nil
}

// Metrics returns the Prometheus text of GET /metrics.
func (c *Client) Metrics(ctx context.Context) (string, error) {
	resp, err := c.do(ctx, http.MethodGet, "/metrics", nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", c.wrap(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", apiError(resp.StatusCode, b)
	}
	return string(b), nil
}

func (c *Client) get(ctx context.Context, path string, out any) error {
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(resp.Body, out)
}

// post sends a JSON body; a reply other than 200 becomes an
// *apierr.Error.
func (c *Client) post(ctx context.Context, path string, body any) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPost, path, b)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, apiError(resp.StatusCode, data)
	}
	return resp, nil
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	// The host is a placeholder: the transport dials the socket.
	req, err := http.NewRequestWithContext(ctx, method, "http://baylingd"+path, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.wrap(ctx, err)
	}
	return resp, nil
}

// wrap names the socket in transport errors; ctx's own error is returned
// as is.
func (c *Client) wrap(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("baylingd at %s: %w", c.Socket, err)
}

func decode(r io.Reader, out any) error {
	if err := json.NewDecoder(r).Decode(out); err != nil {
		return fmt.Errorf("baylingd: bad reply: %w", err)
	}
	return nil
}

// apiError reads an error reply.
func apiError(status int, body []byte) error {
	var e struct {
		Error *apierr.Error `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != nil && e.Error.Code != "" {
		return e.Error
	}
	return apierr.New(apierr.Internal, "HTTP %d: %s", status, bytes.TrimSpace(body))
}
