package mqtt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/baylingd/baylingd/daemon/apierr"
	"github.com/baylingd/baylingd/translate"
)

// wireRequest is a request payload as devices send it.
type wireRequest struct {
	ID       json.RawMessage `json:"id"` // a JSON string or number, echoed verbatim
	Text     string          `json:"text"`
	Source   string          `json:"source"`
	Target   string          `json:"target"`
	Glossary []string        `json:"glossary"`
	ReplyTo  string          `json:"reply_to"`
	ClientID string          `json:"client_id"`
}

// wireReply is a reply payload: a translation or an error.
type wireReply struct {
	ID          json.RawMessage `json:"id"` // null when the request's id could not be read
	Translation string          `json:"translation"`
	Source      string          `json:"source"`
	Target      string          `json:"target"`
	Tokens      int             `json:"tokens"`
	MS          int64           `json:"ms"`
}

type wireError struct {
	ID    json.RawMessage `json:"id"`
	Error *apierr.Error   `json:"error"`
}

// parsed is the outcome of decoding one payload.
type parsed struct {
	req   translate.Request
	id    json.RawMessage // verbatim JSON of the id; nil if it could not be read
	topic string          // where the reply goes; "" if nowhere
	err   *apierr.Error   // non-nil: the request is rejected with this error
}

// parseRequest decodes and validates a payload. It never fails outright: a
// payload that is too big, not JSON, or invalid gives parsed.err, and, when
// a reply topic can still be read from it, parsed.topic, so the device hears
// what was wrong. Validation is the translate package's own
// (translate.BuildInstruction), so an MQTT request is rejected exactly as a
// socket request would be, before it takes a worker.
func (s *settings) parseRequest(payload []byte) parsed {
	var p parsed
	if len(payload) > s.MaxPayload {
		p.id, p.topic = s.salvageRoute(payload)
		p.err = apierr.New(apierr.TooLong, "payload is %d bytes; the limit is %d", len(payload), s.MaxPayload)
		return p
	}
	var w wireRequest
	if err := json.Unmarshal(payload, &w); err != nil {
		p.id, p.topic = s.salvageRoute(payload)
		p.err = apierr.New(apierr.BadRequest, "%s", describeJSONError(err))
		return p
	}
	if validID(w.ID) {
		p.id = w.ID
	}
	var routeErr error
	p.topic, routeErr = s.route(w.ReplyTo, w.ClientID)
	switch {
	case routeErr != nil:
		p.err = apierr.New(apierr.BadRequest, "%v", routeErr)
		return p
	case p.topic == "":
		// Translating a request whose answer has nowhere to go would only
		// waste the board's time.
		p.err = apierr.New(apierr.BadRequest, "reply_to or client_id is required")
		return p
	case len(w.ID) == 0 || string(w.ID) == "null":
		p.err = apierr.New(apierr.BadRequest, "id: a request id (string or number) is required")
		return p
	case p.id == nil:
		p.err = apierr.New(apierr.BadRequest, "id: must be a string or a number of at most %d bytes", maxIDLen)
		return p
	}
	p.req = translate.Request{Text: w.Text, Source: w.Source, Target: w.Target, Glossary: w.Glossary}
	if _, err := translate.BuildInstruction(p.req); err != nil {
		p.err = apierr.From(err)
	}
	return p
}

// route picks the reply topic: reply_to if given, else
// ResponsePrefix/client_id. A reply_to or client_id that is present but
// unusable is an error; the error reply then goes to the other one if that
// is usable.
func (s *settings) route(replyTo, clientID string) (string, error) {
	var fallback string
	if clientID != "" && validClientID(clientID) {
		fallback = s.ResponsePrefix + "/" + clientID
		if checkTopicName(fallback) != nil { // too long together
			fallback = ""
		}
	}
	if replyTo != "" {
		if err := s.checkReplyTo(replyTo); err != nil {
			return fallback, fmt.Errorf("reply_to: %v", err)
		}
		return replyTo, nil
	}
	if clientID != "" && fallback == "" {
		return "", errors.New("client_id: must be a non-empty topic level without /, + or #")
	}
	return fallback, nil
}

// checkReplyTo rejects topics a reply must not go to: malformed ones (the
// broker would disconnect the bridge) and ones the bridge itself listens on
// (a reply would come back as a request).
func (s *settings) checkReplyTo(t string) error {
	if err := checkTopicName(t); err != nil {
		return err
	}
	if routeMatches(s.RequestTopic, t) {
		return errors.New("is the request topic")
	}
	return nil
}

// validClientID reports whether a request's client_id can be one level of
// the response topic.
func validClientID(c string) bool {
	return validUTF8Topic(c) && !strings.ContainsAny(c, "/+#") && !strings.HasPrefix(c, "$")
}

// validID reports whether raw is a JSON string or number short enough to be
// echoed in the reply.
func validID(raw json.RawMessage) bool {
	if len(raw) == 0 || len(raw) > maxIDLen {
		return false
	}
	if c := raw[0]; c != '"' && c != '-' && (c < '0' || c > '9') {
		return false
	}
	return json.Valid(raw)
}

// routeMatches reports whether topic matches the subscription filter.
func routeMatches(filter, topic string) bool {
	f := strings.Split(filter, "/")
	t := strings.Split(topic, "/")
	for i, l := range f {
		switch {
		case l == "#":
			return true
		case i >= len(t):
			return false
		case l != "+" && l != t[i]:
			return false
		}
	}
	return len(f) == len(t)
}

// describeJSONError turns a json.Unmarshal error into a message for the
// device, naming the field where encoding/json knows it.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("%s: wrong type (got JSON %s, want %s)", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
		}
		return fmt.Sprintf("the payload must be a JSON object, not %s", te.Value)
	}
	return "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	}
	return goKind
}

// salvageRoute reads the id and reply topic of a payload that was rejected
// before it could be decoded, so the error can still reach the device.
func (s *settings) salvageRoute(payload []byte) (json.RawMessage, string) {
	id, replyTo, clientID := salvage(payload)
	if !validID(id) {
		id = nil
	}
	topic, _ := s.route(replyTo, clientID)
	return id, topic
}

// salvage extracts the top-level "id", "reply_to" and "client_id" members of
// a JSON object that may be oversized, malformed or truncated. It reads
// members in order and stops at the first syntax error, so the members
// before the error are found. Keys match as encoding/json matches them
// (case-insensitively; the last duplicate wins), so for a payload that
// json.Unmarshal accepts, salvage agrees with it. It skips every other value
// without decoding it: a huge "text" costs one pass over its bytes, no
// allocation.
func salvage(b []byte) (id json.RawMessage, replyTo, clientID string) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return
		}
		kEnd, ok := scanString(b, i)
		if !ok {
			return
		}
		key := b[i:kEnd]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return
		}
		vStart := skipSpace(b, i+1)
		vEnd, ok := skipValue(b, vStart)
		if !ok {
			return
		}
		val := b[vStart:vEnd]
		switch keyName(key) {
		case "id":
			id = val
		case "reply_to":
			if string(val) != "null" { // null leaves a field unchanged in encoding/json too
				replyTo = stringValue(val)
			}
		case "client_id":
			if string(val) != "null" {
				clientID = stringValue(val)
			}
		}
		i = skipSpace(b, vEnd)
		if i >= len(b) {
			return
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		default: // '}' ends the object; anything else is a syntax error
			return
		}
	}
}

// keyName returns the name of a quoted key if it is one salvage looks for,
// else "".
func keyName(quoted []byte) string {
	if len(quoted) > 2+len("client_id")*6 { // no spelling of a wanted key is longer (\uXXXX each)
		return ""
	}
	var k string
	if bytes.IndexByte(quoted, '\\') < 0 {
		k = string(quoted[1 : len(quoted)-1])
	} else if json.Unmarshal(quoted, &k) != nil {
		return ""
	}
	k = foldName(k)
	for _, want := range []string{"id", "reply_to", "client_id"} {
		if k == foldName(want) {
			return want
		}
	}
	return ""
}

// foldName folds a key as encoding/json does when it matches keys to field
// names: ASCII letters to upper case, other runes to the smallest rune of
// their simple case-folding orbit (so the Kelvin sign matches 'k').
func foldName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			continue
		}
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stringValue decodes a JSON string value; anything else gives "".
func stringValue(raw []byte) string {
	if len(raw) < 2 || raw[0] != '"' || len(raw) > 2+maxTopicLen*6 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index after the string that starts at b[i] == '"'.
func scanString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '\\':
			j++ // skip the escaped byte; a \u's hex digits are ordinary bytes
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return 0, false // control characters must be escaped in JSON
		}
	}
	return 0, false
}

// skipValue returns the index after the JSON value that starts at b[i]. It
// checks only what it needs to find the value's end (strings, and bracket
// nesting for objects and arrays); whether the value is well-formed inside
// does not matter to salvage. It does not recurse, so nesting depth costs no
// stack.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return scanString(b, i)
	case '{', '[':
		var stack []byte // expected closers
		for i < len(b) {
			switch c := b[i]; c {
			case '"':
				end, ok := scanString(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{':
				stack = append(stack, '}')
			case '[':
				stack = append(stack, ']')
			case '}', ']':
				if len(stack) == 0 || stack[len(stack)-1] != c {
					return 0, false
				}
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	default: // number, true, false, null
		start := i
		for i < len(b) {
			c := b[i]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '{' || c == '[' || c == ':' {
				break
			}
			i++
		}
		if i == start || !json.Valid(b[start:i]) {
			return 0, false
		}
		return i, true
	}
}
