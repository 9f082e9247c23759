package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baylingd/baylingd/daemon/apierr"
)

// serve runs handler on a Unix socket; the real daemon is tested with this
// client in package daemon.
func serve(t *testing.T, h http.HandlerFunc) *Client {
	dir, err := os.MkdirTemp("", "cl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return New(path)
}

func TestSocketFromEnv(t *testing.T) {
	t.Setenv("BAYLINGD_SOCKET", "")
	if New("").Socket != DefaultSocket {
		t.Error("default")
	}
	t.Setenv("BAYLINGD_SOCKET", "/tmp/x.sock")
	if New("").Socket != "/tmp/x.sock" || New("/y").Socket != "/y" {
		t.Error("env or explicit path ignored")
	}
}

func TestErrors(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/translate":
			w.WriteHeader(503)
			w.Write([]byte(`{"error":{"code":"busy","message":"full"}}`))
		case "/v1/chat/completions":
			w.WriteHeader(502)
			w.Write([]byte("bad gateway"))
		}
	})
	_, err := c.Translate(context.Background(), TranslateRequest{Text: "a", Target: "de"}, nil)
	var e *apierr.Error
	if !errors.As(err, &e) || e.Code != apierr.Busy || e.Message != "full" {
		t.Errorf("got %v", err)
	}
	_, err = c.Chat(context.Background(), ChatRequest{}, nil)
	if !errors.As(err, &e) || e.Code != apierr.Internal || !strings.Contains(e.Message, "502") {
		t.Errorf("got %v", err)
	}
	_, err = New("/nonexistent/baylingd.sock").Health(context.Background())
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/baylingd.sock") {
		t.Errorf("unreachable daemon: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Languages(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestStreams(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/translate":
			w.Write([]byte("{\"delta\":\"Hal\"}\n{\"delta\":\"lo\"}\n{\"error\":{\"code\":\"timeout\",\"message\":\"late\"}}\n"))
		case "/v1/chat/completions":
			w.Write([]byte("data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n" +
				"data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\" there\"},\"finish_reason\":\"length\"}]}\n\n" +
				"data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\ndata: [DONE]\n\n"))
		}
	})
	var got []string
	_, err := c.Translate(context.Background(), TranslateRequest{Text: "a", Target: "de"}, func(p string) { got = append(got, p) })
	var e *apierr.Error
	if !errors.As(err, &e) || e.Code != apierr.Timeout || strings.Join(got, "") != "Hallo" {
		t.Errorf("translate stream: %v, %q", err, got)
	}
	got = nil
	res, err := c.Chat(context.Background(), ChatRequest{Messages: []Message{{Role: "user", Content: "x"}}}, func(p string) { got = append(got, p) })
	if err != nil || res.Content != "Hi there" || res.FinishReason != "length" || res.Usage.TotalTokens != 5 || len(got) != 2 {
		t.Errorf("chat stream: %+v, %v, %q", res, err, got)
	}
}
