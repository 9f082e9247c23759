package mqtt

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/baylingd/baylingd/daemon/apierr"
)

func testSettings(t testing.TB) *settings {
	t.Helper()
	s, err := Config{Broker: "tcp://h:1883", ClientID: "c", MaxPayload: 1024}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseRequest(t *testing.T) {
	s := testSettings(t)
	resp := DefaultResponsePrefix + "/"
	cases := []struct {
		name, payload string
		code          string // "" means valid
		id, topic     string
	}{
		{"valid reply_to", `{"id":"a","text":"Hello","source":"en","target":"de","glossary":["Welt"],"reply_to":"x/y"}`, "", `"a"`, "x/y"},
		{"valid client_id", `{"id":7,"text":"Hello","target":"German","client_id":"dev1"}`, "", `7`, resp + "dev1"},
		{"reply_to wins", `{"id":"a","text":"t","target":"de","reply_to":"x","client_id":"d"}`, "", `"a"`, "x"},
		{"unknown fields ignored", `{"id":"a","text":"t","target":"de","client_id":"d","stream":true}`, "", `"a"`, resp + "d"},
		{"too long", `{"id":"big","client_id":"d","text":"` + strings.Repeat("y", 1100) + `"}`, apierr.TooLong, `"big"`, resp + "d"},
		{"syntax", `{"id":"a","client_id":"d","text":}`, apierr.BadRequest, `"a"`, resp + "d"},
		{"truncated", `{"id":"a","reply_to":"r/1","text":"abc`, apierr.BadRequest, `"a"`, "r/1"},
		{"not an object", `[1,2]`, apierr.BadRequest, "", ""},
		{"wrong type", `{"id":"a","client_id":"d","glossary":"w","text":"t","target":"de"}`, apierr.BadRequest, `"a"`, resp + "d"},
		{"no id", `{"client_id":"d","text":"t","target":"de"}`, apierr.BadRequest, "", resp + "d"},
		{"null id", `{"id":null,"client_id":"d","text":"t","target":"de"}`, apierr.BadRequest, "", resp + "d"},
		{"object id", `{"id":{"x":1},"client_id":"d","text":"t","target":"de"}`, apierr.BadRequest, "", resp + "d"},
		{"long id", `{"id":"` + strings.Repeat("i", 300) + `","client_id":"d","text":"t","target":"de"}`, apierr.BadRequest, "", resp + "d"},
		{"no target", `{"id":"a","client_id":"d","text":"t"}`, apierr.BadRequest, `"a"`, resp + "d"},
		{"empty text", `{"id":"a","client_id":"d","text":"  ","target":"de"}`, apierr.BadRequest, `"a"`, resp + "d"},
		{"same languages", `{"id":"a","client_id":"d","text":"t","source":"de","target":"German"}`, apierr.BadRequest, `"a"`, resp + "d"},
		{"unknown target", `{"id":"a","client_id":"d","text":"t","target":"xx-yy"}`, apierr.UnknownLanguage, `"a"`, resp + "d"},
		{"unknown source", `{"id":"a","client_id":"d","text":"t","source":"qq","target":"de"}`, apierr.UnknownLanguage, `"a"`, resp + "d"},
		{"no route", `{"id":"a","text":"t","target":"de"}`, apierr.BadRequest, `"a"`, ""},
		{"wildcard reply_to", `{"id":"a","text":"t","target":"de","reply_to":"x/#","client_id":"d"}`, apierr.BadRequest, `"a"`, resp + "d"},
		{"$ reply_to", `{"id":"a","text":"t","target":"de","reply_to":"$SYS/x"}`, apierr.BadRequest, `"a"`, ""},
		{"reply_to is request topic", `{"id":"a","text":"t","target":"de","reply_to":"` + DefaultRequestTopic + `"}`, apierr.BadRequest, `"a"`, ""},
		{"client_id with slash", `{"id":"a","text":"t","target":"de","client_id":"a/b"}`, apierr.BadRequest, `"a"`, ""},
		{"not JSON", `hello`, apierr.BadRequest, "", ""},
		{"empty", ``, apierr.BadRequest, "", ""},
	}
	for _, c := range cases {
		p := s.parseRequest([]byte(c.payload))
		code := ""
		if p.err != nil {
			code = p.err.Code
			if p.err.Message == "" {
				t.Errorf("%s: empty message", c.name)
			}
		}
		if code != c.code || string(p.id) != c.id || p.topic != c.topic {
			t.Errorf("%s: got code %q id %s topic %q (err %v), want %q %s %q", c.name, code, p.id, p.topic, p.err, c.code, c.id, c.topic)
		}
	}
	p := s.parseRequest([]byte(`{"id":"a","text":" Hi\n","source":"en","target":"zh","glossary":["世界"],"client_id":"d"}`))
	if p.err != nil || p.req.Text != " Hi\n" || p.req.Source != "en" || p.req.Target != "zh" || len(p.req.Glossary) != 1 {
		t.Errorf("request fields: %+v", p)
	}
	if m := s.parseRequest([]byte(`{"id":"a","client_id":"d","glossary":"w","text":"t","target":"de"}`)).err.Message; !strings.Contains(m, "glossary") {
		t.Errorf("type error message does not name the field: %q", m)
	}
}

func TestSalvage(t *testing.T) {
	cases := []struct {
		in, id, replyTo, clientID string
	}{
		{`{"id":"x","reply_to":"a/b","text":"unterminated`, `"x"`, "a/b", ""},
		{`{"text":"` + strings.Repeat("z", 5000) + `","REPLY_TO":"late","Client_ID":"c"}`, "", "late", "c"},
		{`{"\u0069d":12,"reply_to":"r"}`, "12", "r", ""},
		{`{"glossary":["a",{"b":"}]"}],"reply_to":"r","id":-1.5e3}`, "-1.5e3", "r", ""},
		{`{"reply_to":"a","reply_to":null,"client_id":"c","client_id":"d"}`, "", "a", "d"},
		{`{"reply_to":"esc\"aped\u00e9"}`, "", "esc\"apedé", ""},
		{`{"id":"a" "reply_to":"r"}`, `"a"`, "", ""}, // missing comma: stop
		{`{"id":tru,"reply_to":"r"}`, "", "", ""},    // bad literal: stop
		{`{"reply_to":5}`, "", "", ""},
		{` {"id" : "s" , "client_id" : "c" } trailing`, `"s"`, "", "c"},
		{`["reply_to","r"]`, "", "", ""},
		{`{"a":[[[[[[[[[[` + strings.Repeat("[", 10000), "", "", ""},
		{``, "", "", ""},
	}
	for _, c := range cases {
		id, rt, cid := salvage([]byte(c.in))
		if string(id) != c.id || rt != c.replyTo || cid != c.clientID {
			t.Errorf("salvage(%.60q) = %s, %q, %q; want %s, %q, %q", c.in, id, rt, cid, c.id, c.replyTo, c.clientID)
		}
	}
}

func TestDedupe(t *testing.T) {
	d := newDedupe()
	now := time.Unix(1000, 0)
	d.now = func() time.Time { return now }
	k1 := payloadKey{1}
	cached, f, leader := d.join(k1)
	if cached != nil || f == nil || !leader {
		t.Fatal("first join is not the leader")
	}
	if _, f2, leader2 := d.join(k1); f2 != f || leader2 {
		t.Fatal("second join does not wait on the first")
	}
	d.finish(k1, f, []byte("r1"), "", true)
	<-f.done
	if cached, _, _ := d.join(k1); cached == nil || string(cached.reply) != "r1" {
		t.Fatal("finished reply not kept")
	}
	now = now.Add(recentTTL)
	if cached, f, leader := d.join(k1); cached != nil || !leader {
		t.Fatal("expired reply served")
	} else {
		d.finish(k1, f, []byte("busy"), apierr.Busy, false)
	}
	if cached, f, _ := d.join(k1); cached != nil {
		t.Fatal("a reply not meant to be kept was kept")
	} else {
		d.finish(k1, f, nil, "", true)
	}
	for i := range 3 * recentReplies {
		k := payloadKey{2, byte(i), byte(i >> 8)}
		_, f, _ := d.join(k)
		d.finish(k, f, []byte{1}, "", true)
	}
	if len(d.recent) != recentReplies || len(d.order) > 2*recentReplies || len(d.inflight) != 0 {
		t.Errorf("store not bounded: %d recent, %d keys, %d in flight", len(d.recent), len(d.order), len(d.inflight))
	}
}

// FuzzParseRequest: the decoder never panics; whatever it returns is safe
// to act on (a reply topic the broker accepts and that is not the request
// topic, an id that is valid JSON, a complete request only from valid JSON
// within the size limit); and its salvage path agrees with encoding/json
// wherever encoding/json accepts the payload.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []string{
		`{"id":"a","text":"Hello","source":"en","target":"de","glossary":["Welt"],"reply_to":"x/y"}`,
		`{"id":7,"text":"t","target":"fr","client_id":"dev1"}`,
		`{"id":"a","reply_to":"r/1","text":"abc`,
		`{"ID":"a","Reply_To":"q","reply_to":null}`,
		`{"\u0069d":"k","client_id":"c\u00e9"}`,
		`{"glossary":["a",{"b":"}]"}],"reply_to":"r","id":-1.5e3}`,
		`{"id":"x","text":"t","target":"de","reply_to":"a/#"}`,
		`{"id":"x","text":"t","target":"de","reply_to":"` + DefaultRequestTopic + `"}`,
		`[]`, `null`, `"s"`, ``, `{`, `{"id":1e999}`,
	} {
		f.Add([]byte(seed))
	}
	s, err := Config{Broker: "tcp://h:1883", ClientID: "c", MaxPayload: 512}.resolve()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := s.parseRequest(data)
		if p.topic != "" {
			if err := checkTopicName(p.topic); err != nil {
				t.Fatalf("reply topic %q: %v", p.topic, err)
			}
			if routeMatches(s.RequestTopic, p.topic) {
				t.Fatalf("reply topic %q is the request topic", p.topic)
			}
		}
		if p.id != nil && !validID(p.id) {
			t.Fatalf("invalid id %q", p.id)
		}
		if p.err == nil {
			if !json.Valid(data) || len(data) > s.MaxPayload || p.topic == "" || p.id == nil || p.req.Target == "" {
				t.Fatalf("accepted %q: %+v", data, p)
			}
		} else if !json.Valid(encodeError(p.id, p.err)) {
			t.Fatalf("error reply is not JSON: %q", encodeError(p.id, p.err))
		}

		id, replyTo, clientID := salvage(data)
		var w struct {
			ID       json.RawMessage `json:"id"`
			ReplyTo  string          `json:"reply_to"`
			ClientID string          `json:"client_id"`
		}
		if json.Unmarshal(data, &w) == nil {
			if !bytes.Equal(id, w.ID) || replyTo != w.ReplyTo || clientID != w.ClientID {
				t.Fatalf("salvage(%q) = %s %q %q; encoding/json: %s %q %q", data, id, replyTo, clientID, w.ID, w.ReplyTo, w.ClientID)
			}
		}
	})
}
