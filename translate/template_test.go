package translate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The templates of DESIGN.md ("The models"), byte for byte, with {msg}.
const (
	designLlama2 = "I am an intelligent language assistant developed by the NLP Group of ICT/CAS.\nBelow is a dialog consisting of instructions and responses. Write a response that completes the request.\n\n### Instruction:\n{msg}\n### Response:\n"
	designLlama3 = "<|start_header_id|>system<|end_header_id|>\n\nI am BayLing developed by the NLP Group of ICT/CAS.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n{msg}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
)

var families = []Family{Llama2, Llama3}

func TestPromptMatchesDesign(t *testing.T) {
	for _, msg := range []string{"{msg}", "Provide the German translation for this sentence: Hello", "", " x\n"} {
		if got, want := JoinSegments(Llama2.Prompt(msg)), strings.Replace(designLlama2, "{msg}", msg, 1); got != want {
			t.Errorf("Llama2.Prompt(%q) =\n%q\nwant\n%q", msg, got, want)
		}
		if got, want := JoinSegments(Llama3.Prompt(msg)), strings.Replace(designLlama3, "{msg}", msg, 1); got != want {
			t.Errorf("Llama3.Prompt(%q) =\n%q\nwant\n%q", msg, got, want)
		}
	}
}

func TestPromptSegments(t *testing.T) {
	msg := "Hallo <|eot_id|> </s> <|start_header_id|>"
	got := Llama2.Prompt(msg)
	want := []Segment{
		{Llama2System + "\n\n### Instruction:\n", true},
		{msg, false},
		{"\n### Response:\n", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Llama2.Prompt segments =\n%+v\nwant\n%+v", got, want)
	}
	got = Llama3.Prompt(msg)
	want = []Segment{
		{"<|start_header_id|>system<|end_header_id|>\n\n" + Llama3System + "<|eot_id|><|start_header_id|>user<|end_header_id|>", true},
		{"\n\n", true},
		{msg, false},
		{"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Llama3.Prompt segments =\n%+v\nwant\n%+v", got, want)
	}
}

func TestFixedPrefix(t *testing.T) {
	for _, f := range families {
		fp := f.FixedPrefix()
		if len(fp) == 0 {
			t.Fatalf("%v: empty FixedPrefix", f)
		}
		for _, s := range fp {
			if !s.Special {
				t.Errorf("%v: FixedPrefix has a non-special segment %q", f, s.Text)
			}
		}
		for _, msg := range []string{"", "x", "\n\nlead", "Provide the German translation for this sentence: Hi"} {
			p := f.Prompt(msg)
			if len(p) <= len(fp) || !reflect.DeepEqual(p[:len(fp)], fp) {
				t.Errorf("%v: FixedPrefix %+v is not a segment prefix of Prompt(%q) = %+v", f, fp, msg, p)
			}
			if !strings.HasPrefix(JoinSegments(p), JoinSegments(fp)) {
				t.Errorf("%v: FixedPrefix text is not a prefix of Prompt(%q)", f, msg)
			}
		}
		// The FixedPrefix must end at a token boundary (see its doc).
		text := JoinSegments(fp)
		switch f {
		case Llama2:
			if !strings.HasSuffix(text, "### Instruction:\n") {
				t.Errorf("Llama2 FixedPrefix ends %q", text[len(text)-20:])
			}
		case Llama3:
			if !strings.HasSuffix(text, "<|start_header_id|>user<|end_header_id|>") {
				t.Errorf("Llama3 FixedPrefix ends %q", text[len(text)-20:])
			}
		}
		// Callers may not modify the template through the returned slice.
		fp[0].Text = "changed"
		if f.FixedPrefix()[0].Text == "changed" {
			t.Errorf("%v: FixedPrefix returns shared memory", f)
		}
	}
}

// bayLingGetPrompt is a port of get_prompt of BayLing's conversation.py for
// SeparatorStyle.BAYLING with the BayLing template (system ending in "\n",
// roles "### Instruction:\n" / "### Response:\n", sep "\n", sep2 "</s>"),
// with the last message None (the assistant's turn to come).
func bayLingGetPrompt(system string, turns []string) string {
	roles := []string{"### Instruction:\n", "### Response:\n"}
	seps := []string{"\n", "</s>"}
	ret := system + seps[0]
	msgs := append(append([]string{}, turns...), "")
	for i, m := range msgs {
		role := roles[i%2]
		if m != "" {
			ret += role + m + seps[i%2]
			if i%2 == 1 {
				ret += "\n"
			}
		} else {
			ret += role
		}
	}
	return ret
}

func TestChatLlama2MatchesConversationPy(t *testing.T) {
	const pySystem = "I am an intelligent language assistant developed by the NLP Group of ICT/CAS.\nBelow is a dialog consisting of instructions and responses. Write a response that completes the request.\n"
	// conversation.py's own __main__ example.
	turns := []string{"Hello!", "Hi!", "How are you?"}
	got, err := Llama2.Chat([]Message{{RoleUser, "Hello!"}, {RoleAssistant, "Hi!"}, {RoleUser, "How are you?"}})
	if err != nil {
		t.Fatal(err)
	}
	want := Llama2System + "\n\n### Instruction:\nHello!\n### Response:\nHi!</s>\n### Instruction:\nHow are you?\n### Response:\n"
	if JoinSegments(got) != want || want != bayLingGetPrompt(pySystem, turns) {
		t.Errorf("Llama2.Chat =\n%q\nwant\n%q\npy\n%q", JoinSegments(got), want, bayLingGetPrompt(pySystem, turns))
	}
	wantSegs := []Segment{
		{Llama2System + "\n\n### Instruction:\n", true},
		{"Hello!", false},
		{"\n### Response:\n", true},
		{"Hi!", false},
		{"</s>\n### Instruction:\n", true},
		{"How are you?", false},
		{"\n### Response:\n", true},
	}
	if !reflect.DeepEqual(got, wantSegs) {
		t.Errorf("Llama2.Chat segments =\n%+v\nwant\n%+v", got, wantSegs)
	}
	// Random conversations (non-empty messages: conversation.py drops empty ones).
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + 2*rng.IntN(4)
		var msgs []Message
		var ts []string
		for i := range n {
			s := fmt.Sprintf("m%d %s", i, strings.Repeat("\nx", rng.IntN(3)))
			ts = append(ts, s)
			role := RoleUser
			if i%2 == 1 {
				role = RoleAssistant
			}
			msgs = append(msgs, Message{role, s})
		}
		segs, err := Llama2.Chat(msgs)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := JoinSegments(segs), bayLingGetPrompt(pySystem, ts); got != want {
			t.Fatalf("Llama2.Chat(%q) =\n%q\nconversation.py:\n%q", ts, got, want)
		}
	}
}

func TestChatLlama3(t *testing.T) {
	got, err := Llama3.Chat([]Message{{RoleUser, "Hello!"}, {RoleAssistant, "Hi!"}, {RoleUser, "How are you?"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "<|start_header_id|>system<|end_header_id|>\n\nI am BayLing developed by the NLP Group of ICT/CAS.<|eot_id|>" +
		"<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>" +
		"<|start_header_id|>assistant<|end_header_id|>\n\nHi!<|eot_id|>" +
		"<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>" +
		"<|start_header_id|>assistant<|end_header_id|>\n\n"
	if JoinSegments(got) != want {
		t.Errorf("Llama3.Chat =\n%q\nwant\n%q", JoinSegments(got), want)
	}
	for _, s := range got {
		if !s.Special && s.Text != "Hello!" && s.Text != "Hi!" && s.Text != "How are you?" {
			t.Errorf("unexpected plain segment %q", s.Text)
		}
		if s.Special && (strings.Contains(s.Text, "Hello") || strings.Contains(s.Text, "Hi!")) {
			t.Errorf("message text in a special segment %q", s.Text)
		}
	}
}

func TestChatSystem(t *testing.T) {
	tests := []struct {
		f    Family
		sys  string
		want string
	}{
		{Llama2, "You translate.", "You translate.\n\n### Instruction:\nHi\n### Response:\n"},
		{Llama2, "", "### Instruction:\nHi\n### Response:\n"},
		{Llama2, Llama2System, strings.Replace(designLlama2, "{msg}", "Hi", 1)},
		{Llama3, "You translate.", "<|start_header_id|>system<|end_header_id|>\n\nYou translate.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{Llama3, "", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{Llama3, Llama3System, strings.Replace(designLlama3, "{msg}", "Hi", 1)},
	}
	for _, tt := range tests {
		segs, err := tt.f.Chat([]Message{{RoleSystem, tt.sys}, {RoleUser, "Hi"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := JoinSegments(segs); got != tt.want {
			t.Errorf("%v system %q:\n%q\nwant\n%q", tt.f, tt.sys, got, tt.want)
		}
		for _, s := range segs {
			if s.Special && tt.sys != "" && tt.sys != tt.f.DefaultSystem() && strings.Contains(s.Text, tt.sys) {
				t.Errorf("%v: caller's system text in a special segment", tt.f)
			}
		}
	}
}

func TestChatSingleTurnIsPrompt(t *testing.T) {
	for _, f := range families {
		for _, msg := range []string{"", "a", "Provide the German translation for this sentence: x"} {
			segs, err := f.Chat([]Message{{RoleUser, msg}})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(segs, f.Prompt(msg)) {
				t.Errorf("%v: Chat(user %q) = %+v, Prompt = %+v", f, msg, segs, f.Prompt(msg))
			}
		}
	}
}

func TestChatErrors(t *testing.T) {
	u := Message{RoleUser, "u"}
	a := Message{RoleAssistant, "a"}
	s := Message{RoleSystem, "s"}
	bad := map[string][]Message{
		"none":              nil,
		"only system":       {s},
		"assistant first":   {a, u},
		"two users":         {u, u},
		"ends in assistant": {u, a},
		"system later":      {u, a, s, u},
		"two systems":       {s, s, u},
		"unknown role":      {{"tool", "x"}},
		"capitalised role":  {{"User", "x"}},
	}
	for _, f := range families {
		for name, msgs := range bad {
			_, err := f.Chat(msgs)
			var re *RequestError
			if !errors.As(err, &re) || ErrorCode(err) != CodeBadRequest || re.Field != "messages" {
				t.Errorf("%v %s: error %v, want a bad_request on messages", f, name, err)
			}
		}
	}
	if _, err := Family(0).Chat([]Message{u}); err == nil {
		t.Error("invalid family: no error")
	}
}

func TestStopStringsAndTokens(t *testing.T) {
	if got := Llama2.StopStrings(); !reflect.DeepEqual(got, []string{"</s>", "### Instruction:", "### Response:"}) {
		t.Errorf("Llama2.StopStrings = %q", got)
	}
	if got := Llama3.StopStrings(); !reflect.DeepEqual(got, []string{"<|eot_id|>", "<|end_of_text|>", "<|start_header_id|>"}) {
		t.Errorf("Llama3.StopStrings = %q", got)
	}
	if got := Llama2.StopTokens(); !reflect.DeepEqual(got, []string{"</s>"}) {
		t.Errorf("Llama2.StopTokens = %q", got)
	}
	if got := Llama3.StopTokens(); !reflect.DeepEqual(got, []string{"<|end_of_text|>", "<|eot_id|>"}) {
		t.Errorf("Llama3.StopTokens = %q", got)
	}
	s := Llama2.StopStrings()
	s[0] = "x"
	if Llama2.StopStrings()[0] != "</s>" {
		t.Error("StopStrings returns shared memory")
	}
}

func TestFamilyNames(t *testing.T) {
	for in, want := range map[string]Family{"llama": Llama2, "gpt2": Llama3} {
		if f, err := FamilyForTokenizer(in); err != nil || f != want {
			t.Errorf("FamilyForTokenizer(%q) = %v, %v", in, f, err)
		}
	}
	for _, in := range []string{"", "bert", "LLAMA", "t5"} {
		if _, err := FamilyForTokenizer(in); err == nil {
			t.Errorf("FamilyForTokenizer(%q): no error", in)
		}
	}
	for in, want := range map[string]Family{"llama2": Llama2, " Llama-2 ": Llama2, "LLAMA3": Llama3, "llama-3": Llama3} {
		if f, err := ParseFamily(in); err != nil || f != want {
			t.Errorf("ParseFamily(%q) = %v, %v", in, f, err)
		}
	}
	if _, err := ParseFamily("llama4"); err == nil {
		t.Error("ParseFamily(llama4): no error")
	}
	if Llama2.String() != "llama2" || Llama3.String() != "llama3" || Family(7).String() != "Family(7)" {
		t.Error("String")
	}
	var cfg struct{ Family Family }
	if err := json.Unmarshal([]byte(`{"Family":"llama3"}`), &cfg); err != nil || cfg.Family != Llama3 {
		t.Errorf("UnmarshalText: %v %v", cfg.Family, err)
	}
	if b, err := json.Marshal(cfg); err != nil || string(b) != `{"Family":"llama3"}` {
		t.Errorf("MarshalText: %s %v", b, err)
	}
	if _, err := json.Marshal(struct{ F Family }{}); err == nil {
		t.Error("MarshalText of the zero Family: no error")
	}
	if Family(0).Valid() || !Llama2.Valid() || !Llama3.Valid() || Family(3).Valid() {
		t.Error("Valid")
	}
}

func TestInvalidFamilyPanics(t *testing.T) {
	for name, fn := range map[string]func(){
		"Prompt":        func() { Family(0).Prompt("x") },
		"FixedPrefix":   func() { Family(0).FixedPrefix() },
		"StopStrings":   func() { Family(9).StopStrings() },
		"StopTokens":    func() { Family(9).StopTokens() },
		"DefaultSystem": func() { Family(-1).DefaultSystem() },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s on an invalid family did not panic", name)
				}
			}()
			fn()
		}()
	}
}
