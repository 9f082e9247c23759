package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/baylingd/baylingd/daemon/apierr"
	"github.com/baylingd/baylingd/daemon/client"
	"github.com/baylingd/baylingd/daemon/config"
	"github.com/baylingd/baylingd/translate"
)

// TestSocketAPI runs the endpoints against the real engine on the fixture
// model, over a real Unix socket, with the client package and with raw
// HTTP where the wire format matters.
func TestSocketAPI(t *testing.T) {
	td := startDaemon(t, testConfig(t), options{})
	ctx := context.Background()

	t.Run("translate", func(t *testing.T) {
		req := client.TranslateRequest{Text: "Hello, world. How are you today?", Source: "en", Target: "German"}
		whole, err := td.c.Translate(ctx, req, nil)
		if err != nil {
			t.Fatal(err)
		}
		if whole.Target != "de" || whole.Source != "en" || whole.Tokens <= 0 || whole.Tokens > td.cfg.Limits.MaxOutputTokens ||
			whole.PromptTokens <= whole.CachedTokens || whole.CachedTokens <= 0 || whole.MS <= 0 {
			t.Errorf("unexpected reply %+v", whole)
		}
		t.Logf("translation (random weights): %q, %d tokens, %d prompt tokens (%d cached), %d ms, first token %.1f ms",
			whole.Translation, whole.Tokens, whole.PromptTokens, whole.CachedTokens, whole.MS, whole.FirstTokenMS)

		var pieces []string
		streamed, err := td.c.Translate(ctx, req, func(p string) { pieces = append(pieces, p) })
		if err != nil {
			t.Fatal(err)
		}
		// Greedy decoding of the same prompt: the same text, whole or
		// streamed, and the pieces add up to it.
		if streamed.Translation != whole.Translation || strings.Join(pieces, "") != whole.Translation {
			t.Errorf("streamed %q in pieces %q; whole %q", streamed.Translation, pieces, whole.Translation)
		}
		for _, p := range pieces {
			if !utf8.ValidString(p) {
				t.Errorf("piece %q splits a character", p)
			}
		}
	})

	t.Run("ndjson-wire", func(t *testing.T) {
		resp, err := td.http.Post("http://x/v1/translate", "application/json", strings.NewReader(`{"text":"Good morning!","target":"fr","stream":true}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var lines []map[string]any
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			lines = append(lines, m)
		}
		if len(lines) < 2 {
			t.Fatalf("want deltas and a result, got %v", lines)
		}
		var text string
		for _, l := range lines[:len(lines)-1] {
			d, ok := l["delta"].(string)
			if !ok || len(l) != 1 {
				t.Fatalf("not a delta line: %v", l)
			}
			text += d
		}
		last := lines[len(lines)-1]
		if last["translation"] != text || last["target"] != "fr" || last["tokens"].(float64) <= 0 {
			t.Errorf("last line %v, deltas %q", last, text)
		}
	})

	t.Run("chat", func(t *testing.T) {
		body := `{"model":"whatever","messages":[{"role":"system","content":"You translate."},{"role":"user","content":[{"type":"text","text":"Translate to German: good night"}]}],"max_tokens":12,"temperature":0,"user":"ignored-field"}`
		resp, err := td.http.Post("http://x/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Created int64  `json:"created"`
			Model   string `json:"model"`
			Choices []struct {
				Index   int `json:"index"`
				Message struct {
					Role    string `json:"role"`
					Content string `json:"content"`
				} `json:"message"`
				FinishReason string `json:"finish_reason"`
			} `json:"choices"`
			Usage struct {
				PromptTokens     int `json:"prompt_tokens"`
				CompletionTokens int `json:"completion_tokens"`
				TotalTokens      int `json:"total_tokens"`
			} `json:"usage"`
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(b, &c); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
		}
		if !strings.HasPrefix(c.ID, "chatcmpl-") || c.Object != "chat.completion" || c.Created == 0 || c.Model == "" || len(c.Choices) != 1 ||
			c.Choices[0].Message.Role != "assistant" || (c.Choices[0].FinishReason != "stop" && c.Choices[0].FinishReason != "length") ||
			c.Usage.PromptTokens <= 0 || c.Usage.CompletionTokens <= 0 || c.Usage.CompletionTokens > 12 || c.Usage.TotalTokens != c.Usage.PromptTokens+c.Usage.CompletionTokens {
			t.Errorf("unexpected completion %s", b)
		}

		// The same request streamed: OpenAI's server-sent events.
		body = strings.Replace(body, `"max_tokens":12`, `"max_tokens":12,"stream":true,"stream_options":{"include_usage":true}`, 1)
		resp, err = td.http.Post("http://x/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var events []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				continue
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				t.Fatalf("not an SSE data line: %q", line)
			}
			events = append(events, data)
		}
		if len(events) < 4 || events[len(events)-1] != "[DONE]" {
			t.Fatalf("events %q", events)
		}
		var text, finish string
		var usage map[string]any
		for i, e := range events[:len(events)-1] {
			var k struct {
				ID      string `json:"id"`
				Object  string `json:"object"`
				Choices []struct {
					Delta struct {
						Role    *string `json:"role"`
						Content string  `json:"content"`
					} `json:"delta"`
					FinishReason *string `json:"finish_reason"`
				} `json:"choices"`
				Usage map[string]any `json:"usage"`
			}
			if err := json.Unmarshal([]byte(e), &k); err != nil {
				t.Fatal(err)
			}
			if k.Object != "chat.completion.chunk" || !strings.HasPrefix(k.ID, "chatcmpl-") {
				t.Errorf("chunk %s", e)
			}
			if k.Usage != nil {
				usage = k.Usage
				continue
			}
			if len(k.Choices) != 1 {
				t.Fatalf("chunk %s", e)
			}
			ch := k.Choices[0]
			if (i == 0) != (ch.Delta.Role != nil && *ch.Delta.Role == "assistant") {
				t.Errorf("role in chunk %d: %s", i, e)
			}
			text += ch.Delta.Content
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
		if text != c.Choices[0].Message.Content || finish != c.Choices[0].FinishReason || usage["completion_tokens"].(float64) != float64(c.Usage.CompletionTokens) {
			t.Errorf("streamed %q (%s, usage %v); whole %q (%s)", text, finish, usage, c.Choices[0].Message.Content, c.Choices[0].FinishReason)
		}

		// And through the client package.
		got, err := td.c.Chat(ctx, client.ChatRequest{Messages: []client.Message{{Role: "user", Content: "Hi"}}, MaxTokens: 5}, func(string) {})
		if err != nil || got.FinishReason == "" || got.Usage.CompletionTokens == 0 {
			t.Errorf("client chat: %+v, %v", got, err)
		}
	})

	t.Run("languages-health-models", func(t *testing.T) {
		langs, err := td.c.Languages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, l := range langs {
			found = found || (l.Code == "de" && l.Name == "German" && l.Script == "Latn")
		}
		if len(langs) < 100 || !found {
			t.Errorf("%d languages, German found: %v", len(langs), found)
		}
		h, err := td.c.Health(ctx)
		if err != nil || h.Status != "ok" || h.Model == "" || h.Family != "llama2" || h.MaxSequences != 4 || h.MQTTConnected != nil || h.LoadPercent != 100 {
			t.Errorf("health %+v, %v", h, err)
		}
		resp, err := td.http.Get("http://x/v1/models")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"object":"list"`) || !strings.Contains(string(b), h.Model) {
			t.Errorf("models: %s", b)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp, err := td.http.Get("http://x/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Errorf("content type %q", ct)
		}
		ss := td.metrics()
		for _, c := range []struct {
			name   string
			labels []string
			min    float64
		}{
			{"baylingd_requests_total", []string{"transport", "socket", "code", "ok"}, 5},
			{"baylingd_generated_tokens_total", nil, 10},
			{"baylingd_prompt_tokens_total", nil, 10},
			{"baylingd_cached_prompt_tokens_total", nil, 10},
			{"baylingd_request_duration_seconds_count", []string{"transport", "socket"}, 5},
			{"baylingd_time_to_first_token_seconds_count", []string{"transport", "socket"}, 5},
			{"baylingd_model_info", []string{"family", "llama2", "file", "tiny-llama2-q4_0.gguf"}, 1},
			{"baylingd_kv_cache_bytes", nil, 1},
			{"baylingd_model_bytes", nil, 1e6},
			{"baylingd_ready", nil, 1},
			{"baylingd_build_info", []string{"version", Version}, 1},
		} {
			if v, ok := ss.Get(c.name, c.labels...); !ok || v < c.min {
				t.Errorf("%s%v = %v (present %v), want >= %v", c.name, c.labels, v, ok, c.min)
			}
		}
		for _, name := range []string{"baylingd_queue_depth", "baylingd_active_sequences", "baylingd_mqtt_connected", "baylingd_tokens_per_second"} {
			if v, ok := ss.Get(name); !ok || v < 0 {
				t.Errorf("%s = %v (present %v)", name, v, ok)
			}
		}
		if v, _ := ss.Get("baylingd_mqtt_connected"); v != 0 {
			t.Errorf("mqtt_connected = %v without MQTT", v)
		}
	})
}

// TestErrorCodes: each kind of bad request gets its stable code and status,
// and is counted.
func TestErrorCodes(t *testing.T) {
	cfg := testConfig(t)
	cfg.Limits.MaxInputBytes = 100
	td := startDaemon(t, cfg, options{})
	post := func(path, body string) (int, apierr.Error, http.Header) {
		t.Helper()
		resp, err := td.http.Post("http://x"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ Error apierr.Error }
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s %s: not JSON: %s", path, body, b)
		}
		return resp.StatusCode, e.Error, resp.Header
	}
	cases := []struct {
		path, body string
		status     int
		code       string
	}{
		{"/v1/translate", `{"text": "hi", "target": "de"`, 400, apierr.BadRequest},
		{"/v1/translate", ``, 400, apierr.BadRequest},
		{"/v1/translate", `[1,2]`, 400, apierr.BadRequest},
		{"/v1/translate", `{"text": "hi", "target": "de"} {}`, 400, apierr.BadRequest},
		{"/v1/translate", `{"text": "hi", "target": "de", "glosary": ["x"]}`, 400, apierr.BadRequest},
		{"/v1/translate", `{"text": 5, "target": "de"}`, 400, apierr.BadRequest},
		{"/v1/translate", `{"text": "", "target": "de"}`, 400, apierr.BadRequest},
		{"/v1/translate", `{"text": "hi", "target": "de", "max_tokens": -1}`, 400, apierr.BadRequest},
		{"/v1/translate", `{"text": "hi", "target": "de", "temperature": 7}`, 400, apierr.BadRequest},
		{"/v1/translate", `{"text": "hi", "target": "klingonish"}`, 400, apierr.UnknownLanguage},
		{"/v1/translate", `{"text": "hi", "source": "xx", "target": "de"}`, 400, apierr.UnknownLanguage},
		{"/v1/translate", `{"text": "` + strings.Repeat("a", 101) + `", "target": "de"}`, 413, apierr.TooLong},
		{"/v1/translate", `{"text": "` + strings.Repeat("a", 20000) + `", "target": "de"}`, 413, apierr.TooLong}, // over the body limit
		{"/v1/chat/completions", `{"messages": []}`, 400, apierr.BadRequest},
		{"/v1/chat/completions", `{"messages": [{"role": "assistant", "content": "hi"}]}`, 400, apierr.BadRequest},
		{"/v1/chat/completions", `{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}`, 400, apierr.BadRequest},
		{"/v1/chat/completions", `{"messages": [{"role": "user", "content": "hi"}], "n": 2}`, 400, apierr.BadRequest},
		{"/v1/chat/completions", `{"messages": [{"role": "user", "content": "` + strings.Repeat("b", 101) + `"}]}`, 413, apierr.TooLong},
	}
	for _, c := range cases {
		status, e, _ := post(c.path, c.body)
		if status != c.status || e.Code != c.code || e.Message == "" {
			t.Errorf("%s %.60s: %d %+v, want %d %s", c.path, c.body, status, e, c.status, c.code)
		}
	}
	// Wrong method and unknown path: JSON errors too.
	resp, err := td.http.Get("http://x/v1/translate")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET /v1/translate: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if status, e, _ := post("/v2/nothing", "{}"); status != 404 || e.Code != apierr.BadRequest {
		t.Errorf("unknown path: %d %+v", status, e)
	}
	ss := td.metrics()
	for code, want := range map[string]float64{apierr.BadRequest: 13, apierr.UnknownLanguage: 2, apierr.TooLong: 3} {
		if v, _ := ss.Get("baylingd_requests_total", "transport", "socket", "code", code); v != want {
			t.Errorf("requests_total{code=%s} = %v, want %v", code, v, want)
		}
	}
	// The client reports them as *apierr.Error.
	_, err = td.c.Translate(context.Background(), client.TranslateRequest{Text: "hi", Target: "xx-nope"}, nil)
	if code(err) != apierr.UnknownLanguage {
		t.Errorf("client: %v", err)
	}
	_, err = td.c.Translate(context.Background(), client.TranslateRequest{Text: "hi", Target: "xx-nope"}, func(string) {})
	if code(err) != apierr.UnknownLanguage {
		t.Errorf("client, streaming: %v", err)
	}
}

// TestBusy fills the engine (one sequence, a queue of one) and checks that
// the next request is refused at once with busy, not queued or dropped.
func TestBusy(t *testing.T) {
	cfg := testConfig(t)
	cfg.Model.Path = slowModel(t)
	cfg.Engine.MaxSequences, cfg.Engine.QueueLength = 1, 1
	cfg.Limits.MaxOutputTokens = 2000
	td := startDaemon(t, cfg, options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	long := client.TranslateRequest{Text: longText, Target: "de", MaxTokens: 1500}

	started := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		var once sync.Once
		_, errs[0] = td.c.Translate(ctx, long, func(string) { once.Do(func() { close(started) }) })
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the first request produced nothing")
	}
	go func() { defer wg.Done(); _, errs[1] = td.c.Translate(ctx, long, nil) }()
	td.waitMetric(1, "baylingd_queue_depth")

	start := time.Now()
	_, err := td.c.Translate(context.Background(), long, nil)
	if code(err) != apierr.Busy || time.Since(start) > 2*time.Second {
		t.Errorf("third request: %v after %s, want busy at once", err, time.Since(start))
	}
	resp, err := td.http.Post("http://x/v1/translate", "application/json", strings.NewReader(`{"text":"x","target":"de"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("busy: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if h, _ := td.c.Health(context.Background()); h.Queue != 1 || h.Active != 1 {
		t.Errorf("health while full: %+v", h)
	}
	cancel()
	wg.Wait()
	for i, err := range errs {
		if err != context.Canceled {
			t.Errorf("request %d: %v, want context.Canceled (it was still running)", i, err)
		}
	}
	td.waitMetric(2, "baylingd_requests_total", "transport", "socket", "code", apierr.Busy)
	td.waitMetric(2, "baylingd_requests_total", "transport", "socket", "code", apierr.Cancelled)
	td.waitMetric(0, "baylingd_active_sequences")
	td.waitMetric(0, "baylingd_queue_depth")
}

// TestTimeout: a request over the deadline is stopped and answered
// timeout.
func TestTimeout(t *testing.T) {
	cfg := testConfig(t)
	cfg.Limits.Deadline = 50 * time.Millisecond
	cfg.Limits.MaxOutputTokens = 2000
	td := startDaemon(t, cfg, options{})
	for _, stream := range []bool{false, true} {
		var onPiece func(string)
		if stream {
			onPiece = func(string) {}
		}
		start := time.Now()
		_, err := td.c.Translate(context.Background(), client.TranslateRequest{Text: longText, Target: "de", MaxTokens: 1500}, onPiece)
		if code(err) != apierr.Timeout || time.Since(start) > 5*time.Second {
			t.Errorf("stream %v: %v after %s, want timeout", stream, err, time.Since(start))
		}
	}
	td.waitMetric(2, "baylingd_requests_total", "transport", "socket", "code", apierr.Timeout)
	td.waitMetric(2, "baylingd_engine_finished_total", "reason", "timeout")
}

// TestClientDisconnect: a client that goes away mid-stream has its request
// cancelled in the engine, and it is counted as cancelled.
func TestClientDisconnect(t *testing.T) {
	cfg := testConfig(t)
	cfg.Model.Path = slowModel(t) // the request must outlast the disconnect
	cfg.Limits.MaxOutputTokens = 2000
	td := startDaemon(t, cfg, options{})
	for _, path := range []string{"/v1/translate", "/v1/chat/completions"} {
		body := `{"text":"` + longText + `","target":"de","max_tokens":1500,"stream":true}`
		if path == "/v1/chat/completions" {
			body = `{"messages":[{"role":"user","content":"` + longText + `"}],"max_tokens":1500,"stream":true}`
		}
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://x"+path, strings.NewReader(body))
		resp, err := td.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		if err != nil || !strings.Contains(line, "delta") {
			t.Fatalf("%s: first line %q, %v", path, line, err)
		}
		cancel() // closes the connection
		resp.Body.Close()
	}
	td.waitMetric(2, "baylingd_requests_total", "transport", "socket", "code", apierr.Cancelled)
	td.waitMetric(2, "baylingd_engine_finished_total", "reason", "cancelled")
	td.waitMetric(0, "baylingd_active_sequences")
}

// TestDrain: cancelling Run (SIGTERM) lets a running request finish, turns
// new ones away, and returns nil; with a short drain timeout the request is
// answered cancelled instead.
func TestDrain(t *testing.T) {
	for _, short := range []bool{false, true} {
		cfg := testConfig(t)
		cfg.Limits.MaxOutputTokens = 2000
		max := 40
		if short {
			cfg.Model.Path = slowModel(t)
			cfg.Daemon.DrainTimeout = 100 * time.Millisecond
			max = 1500
		}
		td := startDaemon(t, cfg, options{})
		started := make(chan struct{})
		var once sync.Once
		done := make(chan error, 1)
		var res *client.TranslateResponse
		go func() {
			var err error
			res, err = td.c.Translate(context.Background(), client.TranslateRequest{Text: longText, Target: "de", MaxTokens: max}, func(string) { once.Do(func() { close(started) }) })
			done <- err
		}()
		<-started
		stopped := make(chan error, 1)
		go func() { stopped <- td.stop() }()
		// While draining: health says so, new requests are refused.
		deadline := time.Now().Add(5 * time.Second)
		for td.d.svc.state.Load() != stateDraining && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if err := td.d.svc.available(context.Background()); code(err) != apierr.Busy {
			t.Errorf("while draining: %v", err)
		}
		err := <-done
		if short {
			if code(err) != apierr.Cancelled {
				t.Errorf("short drain: %v, want cancelled", err)
			}
		} else if err != nil || res.Tokens != max {
			t.Errorf("drain: %+v, %v; want all %d tokens", res, err, max)
		}
		if err := <-stopped; err != nil {
			t.Errorf("Run: %v", err)
		}
		if _, err := td.c.Health(context.Background()); err == nil {
			t.Error("the socket still answers after Run returned")
		}
	}
}

// TestPanicRecovery: a handler panic is answered internal, and counted.
func TestPanicRecovery(t *testing.T) {
	d := &daemon{cfg: config.Default(), log: testLogger(t)}
	d.svc = &service{cfg: d.cfg, settled: make(chan struct{})}
	d.metrics = newMetrics(d.svc, time.Now())
	h := d.guard(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/translate", nil))
	var e struct{ Error apierr.Error }
	if json.Unmarshal(rec.Body.Bytes(), &e); rec.Code != 500 || e.Error.Code != apierr.Internal {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	if v := d.metrics.requests.With(transportSocket, apierr.Internal).Value(); v != 1 {
		t.Errorf("internal count %v", v)
	}
}

// TestMQTTServicePath: the bridge's Service runs the same path, counted
// under its transport.
func TestMQTTServicePath(t *testing.T) {
	cfg := testConfig(t)
	cfg.MQTT.Enabled = false // the bridge itself is tested in daemon/mqtt
	td := startDaemon(t, cfg, options{})
	svc := mqttService{td.d.svc}
	res, err := svc.Translate(context.Background(), translate.Request{Text: "Hello", Target: "es"}, func(string) error { return nil })
	if err != nil || res.Target != "es" || res.Tokens == 0 {
		t.Fatalf("%+v, %v", res, err)
	}
	_, err = svc.Translate(context.Background(), translate.Request{Text: strings.Repeat("x", cfg.Limits.MaxInputBytes+1), Target: "es"}, nil)
	if code(err) != apierr.TooLong {
		t.Errorf("too long over MQTT: %v", err)
	}
	if v := td.metric("baylingd_requests_total", "transport", "mqtt", "code", "ok"); v != 1 {
		t.Errorf("mqtt ok = %v", v)
	}
}

func TestUTF8Joiner(t *testing.T) {
	text := "Grüße, 世界! 🎉 ok"
	for split := 1; split <= 4; split++ {
		var u utf8Joiner
		var out bytes.Buffer
		for i := 0; i < len(text); i += split {
			p := u.push(text[i:min(i+split, len(text))])
			if !utf8.ValidString(p) {
				t.Fatalf("split %d: invalid piece %q", split, p)
			}
			out.WriteString(p)
		}
		out.WriteString(u.flush())
		if out.String() != text {
			t.Errorf("split %d: %q", split, out.String())
		}
	}
	var u utf8Joiner
	if got := u.push("a\xff"); got != "a\xff" { // invalid bytes pass through
		t.Errorf("%q", got)
	}
}
