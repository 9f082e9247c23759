package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/baylingd/baylingd/daemon/apierr"
	"github.com/baylingd/baylingd/translate"
)

// translateRequest is the body of POST /v1/translate.
type translateRequest struct {
	Text        string   `json:"text"`
	Source      string   `json:"source"`
	Target      string   `json:"target"`
	Glossary    []string `json:"glossary"`
	Chinese     bool     `json:"chinese"`
	Stream      bool     `json:"stream"`
	MaxTokens   int      `json:"max_tokens"`
	Temperature *float64 `json:"temperature"`
	TopP        *float64 `json:"top_p"`
	Seed        uint64   `json:"seed"`
}

// translateResponse is its reply, and the last line of a stream.
type translateResponse struct {
	Translation  string  `json:"translation"`
	Source       string  `json:"source,omitempty"`
	Target       string  `json:"target"`
	Tokens       int     `json:"tokens"`        // generated
	PromptTokens int     `json:"prompt_tokens"` // of which cached_tokens came from the prefix cache
	CachedTokens int     `json:"cached_tokens"`
	MS           int64   `json:"ms"`             // from arrival to the last token
	FirstTokenMS float64 `json:"first_token_ms"` // from arrival to the first token (µs precision)
}

// decodeTranslate parses and checks a translation request. Unknown fields
// are errors: this is baylingd's own API, and a misspelt "glosary" must not
// be silently ignored.
func decodeTranslate(body []byte) (translateRequest, genOptions, error) {
	var r translateRequest
	if err := decodeJSON(body, &r, true); err != nil {
		return r, genOptions{}, err
	}
	o, err := sampling(r.MaxTokens, r.Temperature, r.TopP)
	o.Seed = r.Seed
	return r, o, err
}

func (r translateRequest) request() translate.Request {
	return translate.Request{Text: r.Text, Source: r.Source, Target: r.Target, Glossary: r.Glossary, Chinese: r.Chinese}
}

// chatRequest is the body of POST /v1/chat/completions: the OpenAI fields
// baylingd acts on. Other fields OpenAI clients send (user, logprobs,
// presence_penalty, ...) are accepted and ignored, as OpenAI-compatible
// servers do, so that existing clients work unchanged.
type chatRequest struct {
	Model               string        `json:"model"`
	Messages            []chatMessage `json:"messages"`
	MaxTokens           int           `json:"max_tokens"`
	MaxCompletionTokens int           `json:"max_completion_tokens"`
	Temperature         *float64      `json:"temperature"`
	TopP                *float64      `json:"top_p"`
	Stream              bool          `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Stop json.RawMessage `json:"stop"` // a string or up to 4 strings
	Seed *int64          `json:"seed"`
	N    *int            `json:"n"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"` // a string or an array of parts
}

// decodeChat parses and checks a chat completion request into the
// template's messages and the generation settings.
func decodeChat(body []byte) (chatRequest, []translate.Message, genOptions, error) {
	var r chatRequest
	if err := decodeJSON(body, &r, false); err != nil {
		return r, nil, genOptions{}, err
	}
	max := r.MaxTokens
	if r.MaxCompletionTokens != 0 {
		max = r.MaxCompletionTokens // the newer name wins
	}
	o, err := sampling(max, r.Temperature, r.TopP)
	if err != nil {
		return r, nil, o, err
	}
	if r.N != nil && *r.N != 1 {
		return r, nil, o, apierr.New(apierr.BadRequest, "n: only one choice is generated (n = 1)")
	}
	if r.Seed != nil {
		o.Seed = uint64(*r.Seed)
	}
	if len(r.Stop) > 0 && string(r.Stop) != "null" {
		var one string
		if json.Unmarshal(r.Stop, &one) == nil {
			o.Stop = []string{one}
		} else if err := json.Unmarshal(r.Stop, &o.Stop); err != nil {
			return r, nil, o, apierr.New(apierr.BadRequest, "stop: want a string or an array of strings")
		}
		if len(o.Stop) > 4 {
			return r, nil, o, apierr.New(apierr.BadRequest, "stop: at most 4 sequences")
		}
		for _, s := range o.Stop {
			if s == "" {
				return r, nil, o, apierr.New(apierr.BadRequest, "stop: empty stop sequence")
			}
		}
	}
	if len(r.Messages) == 0 {
		return r, nil, o, apierr.New(apierr.BadRequest, "messages: at least one message is required")
	}
	msgs := make([]translate.Message, len(r.Messages))
	for i, m := range r.Messages {
		role := m.Role
		if role == "developer" {
			role = translate.RoleSystem // OpenAI's newer name for it
		}
		text, err := content(m.Content)
		if err != nil {
			return r, nil, o, apierr.New(apierr.BadRequest, "messages[%d].content: %v", i, err)
		}
		msgs[i] = translate.Message{Role: role, Content: text}
	}
	return r, msgs, o, nil
}

// content accepts a message content as OpenAI clients send it: a string, or
// an array of parts of which only text parts are supported.
func content(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", errors.New("missing")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("want a string or an array of text parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", fmt.Errorf("part type %q is not supported (text only)", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// sampling checks the settings both endpoints share. Omitted temperature
// means greedy decoding (not OpenAI's default of 1): translations should be
// reproducible, and small quantized models drift at high temperatures.
func sampling(maxTokens int, temp, topP *float64) (genOptions, error) {
	var o genOptions
	if maxTokens < 0 {
		return o, apierr.New(apierr.BadRequest, "max_tokens: must not be negative")
	}
	o.MaxTokens = maxTokens
	if temp != nil {
		if math.IsNaN(*temp) || *temp < 0 || *temp > 2 {
			return o, apierr.New(apierr.BadRequest, "temperature: %g is out of range [0, 2]", *temp)
		}
		o.Temperature = float32(*temp)
	}
	if topP != nil {
		if math.IsNaN(*topP) || *topP <= 0 || *topP > 1 {
			return o, apierr.New(apierr.BadRequest, "top_p: %g is out of range (0, 1]", *topP)
		}
		o.TopP = float32(*topP)
	}
	return o, nil
}

// decodeJSON decodes exactly one JSON object.
func decodeJSON(body []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return apierr.New(apierr.BadRequest, "empty body: want a JSON object")
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return apierr.New(apierr.BadRequest, "%s: want %s, got JSON %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return apierr.New(apierr.BadRequest, "invalid JSON: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return apierr.New(apierr.BadRequest, "invalid JSON: more than one value in the body")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apierr.New(apierr.BadRequest, "invalid JSON: data after the object")
	}
	return nil
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "an integer"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "bool":
		return "true or false"
	case k == "string":
		return "a string"
	case k == "slice":
		return "an array"
	}
	return "an object"
}
