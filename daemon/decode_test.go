package daemon

import (
	"errors"
	"testing"

	"github.com/baylingd/baylingd/daemon/apierr"
)

func TestDecodeChat(t *testing.T) {
	_, msgs, o, err := decodeChat([]byte(`{"model":"m","messages":[{"role":"developer","content":"sys"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
		"max_tokens":5,"max_completion_tokens":7,"temperature":0.5,"top_p":0.9,"stop":"END","seed":3,"n":1,"presence_penalty":0}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Role != "system" || msgs[1].Content != "ab" || o.MaxTokens != 7 || o.Temperature != 0.5 || o.TopP != 0.9 || len(o.Stop) != 1 || o.Seed != 3 {
		t.Errorf("%+v %+v", msgs, o)
	}
	for _, bad := range []string{
		`{"messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]}`,
		`{"messages":[{"role":"user","content":"x"}],"stop":[""]}`,
		`{"messages":[{"role":"user","content":"x"}],"stop":5}`,
		`{"messages":[{"role":"user"}]}`,
		`{"messages":[{"role":"user","content":"x"}],"top_p":0}`,
		`{"messages":"x"}`,
	} {
		if _, _, _, err := decodeChat([]byte(bad)); code(err) != apierr.BadRequest {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// FuzzDecodeTranslate: no body makes the decoder panic, and every refusal
// is a bad_request with a message.
func FuzzDecodeTranslate(f *testing.F) {
	for _, s := range []string{
		`{"text":"hi","target":"de"}`,
		`{"text":"hi","source":"en","target":"de","glossary":["a"],"chinese":true,"stream":true,"max_tokens":3,"temperature":0.2,"top_p":1,"seed":9}`,
		`{"text":"hi","target":"de"} x`, `[]`, `null`, `{"max_tokens":1e99}`, `{"temperature":"hot"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, o, err := decodeTranslate(body)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if o.MaxTokens < 0 || o.Temperature < 0 || o.Temperature > 2 || o.TopP < 0 || o.TopP > 1 {
			t.Fatalf("accepted %+v from %q", o, body)
		}
		_ = r.request()
	})
}

// FuzzDecodeChat: the same for chat completions.
func FuzzDecodeChat(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"x","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"t"}]}],"stream":true,"stream_options":{"include_usage":true},"stop":["a"],"n":1,"seed":-1}`,
		`{"messages":[{"role":"user","content":null}]}`, `{"stop":{}}`, `{"messages":[{"content":[{"type":"image_url"}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, msgs, o, err := decodeChat(body)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if len(msgs) == 0 || len(o.Stop) > 4 || o.MaxTokens < 0 {
			t.Fatalf("accepted %+v %+v from %q", msgs, o, body)
		}
	})
}

func checkRefusal(t *testing.T, err error) {
	var e *apierr.Error
	if !errors.As(err, &e) || e.Code != apierr.BadRequest || e.Message == "" {
		t.Fatalf("refusal %v is not a bad_request *apierr.Error", err)
	}
}
