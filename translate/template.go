package translate

import (
	"fmt"
	"strconv"
	"strings"
)

// Family is a BayLing 2 prompt-template family. The zero value is invalid.
type Family int

const (
	// Llama2 is BayLing-2-7B and BayLing-2-13B (Llama-2-Chat base,
	// SentencePiece tokenizer, GGUF tokenizer.ggml.model "llama"): the
	// "### Instruction:/### Response:" template of BayLing's conversation.py.
	Llama2 Family = iota + 1
	// Llama3 is BayLing-2-llama-3-8B (Llama-3-8B-Instruct base, byte-level
	// BPE tokenizer, GGUF tokenizer.ggml.model "gpt2"): the Llama 3 header
	// template.
	Llama3
)

// Default system texts of the two families, as BayLing ships them.
const (
	Llama2System = "I am an intelligent language assistant developed by the NLP Group of ICT/CAS.\n" +
		"Below is a dialog consisting of instructions and responses. Write a response that completes the request."
	Llama3System = "I am BayLing developed by the NLP Group of ICT/CAS."
)

// Template pieces.
const (
	l2SystemEnd   = "\n\n"                // after the system text
	l2Instruction = "### Instruction:\n"  // opens a user turn
	l2Response    = "\n### Response:\n"   // closes a user turn, opens the assistant's
	l2TurnEnd     = "</s>\n"              // closes an assistant turn in the history
	l3HeaderStart = "<|start_header_id|>" // 128006
	l3HeaderEnd   = "<|end_header_id|>"   // 128007
	l3HeaderSep   = "\n\n"                // between a header and its content
	l3EOT         = "<|eot_id|>"          // 128009, ends every message
)

// Segment is a piece of a prompt. A prompt is the concatenation of its
// segments' Text. Special tells the tokenizer whether special-token strings
// (<|eot_id|>, </s>, ...) in Text are to be recognised as special tokens:
// true for template text, false for text that came from a user (messages,
// text to translate), which must be tokenized as plain text whatever it
// contains, so that a request cannot forge turns or end-of-text tokens.
//
// Segment boundaries are not token boundaries: a tokenizer must produce the
// tokens of the concatenated text, recognising special tokens only inside
// Special segments (llama.cpp's tokenizer with parse_special, applied per
// segment to find special tokens, with the plain text between two special
// tokens tokenized as one piece even when it spans segments). BOS is not part
// of any segment; the tokenizer adds it as the model's GGUF metadata says
// (both families add it).
type Segment struct {
	Text    string
	Special bool
}

// JoinSegments returns the prompt text: the concatenation of the segments.
func JoinSegments(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.Text)
	}
	return b.String()
}

// Chat roles.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"` // RoleSystem, RoleUser or RoleAssistant
	Content string `json:"content"`
}

// Valid reports whether f is Llama2 or Llama3.
func (f Family) Valid() bool { return f == Llama2 || f == Llama3 }

// String returns "llama2", "llama3", or "Family(n)" for an invalid value.
func (f Family) String() string {
	switch f {
	case Llama2:
		return "llama2"
	case Llama3:
		return "llama3"
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (f Family) MarshalText() ([]byte, error) {
	if !f.Valid() {
		return nil, fmt.Errorf("translate: invalid family %d", int(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseFamily.
func (f *Family) UnmarshalText(b []byte) error {
	v, err := ParseFamily(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// ParseFamily parses "llama2" or "llama3" (case-insensitive; "llama-2",
// "llama-3" and "llama3.0" also accepted).
func ParseFamily(s string) (Family, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "llama2", "llama-2":
		return Llama2, nil
	case "llama3", "llama-3", "llama3.0":
		return Llama3, nil
	}
	return 0, fmt.Errorf("translate: unknown template family %q (want llama2 or llama3)", s)
}

// FamilyForTokenizer picks the family from a GGUF file's tokenizer.ggml.model
// value: "llama" (SentencePiece) is Llama2, "gpt2" (byte-level BPE) is Llama3.
// This, not the file name, is how a model's template is chosen.
func FamilyForTokenizer(model string) (Family, error) {
	switch model {
	case "llama":
		return Llama2, nil
	case "gpt2":
		return Llama3, nil
	}
	return 0, fmt.Errorf("translate: tokenizer model %q is not a BayLing 2 tokenizer (want llama or gpt2)", model)
}

// DefaultSystem returns the family's default system text.
func (f Family) DefaultSystem() string {
	f.mustValid()
	if f == Llama2 {
		return Llama2System
	}
	return Llama3System
}

// StopStrings returns the texts that end the assistant's turn when the model
// writes them as text rather than as a stop token (a detokenizer that renders
// special tokens, or a model that spells a turn marker out):
//
//	Llama2: "</s>", "### Instruction:", "### Response:"
//	Llama3: "<|eot_id|>", "<|end_of_text|>", "<|start_header_id|>"
//
// A bare "###" is deliberately not a stop string: translations of Markdown
// contain it. The returned slice is a copy.
func (f Family) StopStrings() []string {
	f.mustValid()
	if f == Llama2 {
		return []string{"</s>", "### Instruction:", "### Response:"}
	}
	return []string{l3EOT, "<|end_of_text|>", l3HeaderStart}
}

// StopTokens returns the texts of the special tokens on which generation must
// stop; the engine looks their ids up in the model's vocabulary. The expected
// ids are:
//
//	Llama2: "</s>" = 2 (tokenizer.ggml.eos_token_id)
//	Llama3: "<|end_of_text|>" = 128001 (eos_token_id), "<|eot_id|>" = 128009
//	        (eot_token_id; Llama-3-Instruct models end turns with it)
func (f Family) StopTokens() []string {
	f.mustValid()
	if f == Llama2 {
		return []string{"</s>"}
	}
	return []string{"<|end_of_text|>", l3EOT}
}

// FixedPrefix returns the part of every single-turn prompt (Prompt) that does
// not depend on the message, so that the engine can compute its KV cache once
// and share it. Prompt(msg) is FixedPrefix() followed by further segments,
// segment for segment.
//
// The boundary is chosen to be a token boundary whatever the message is, so
// the tokens of FixedPrefix are a prefix of the tokens of every prompt:
//
//	Llama2: up to and including "### Instruction:\n". The Llama SentencePiece
//	        vocabulary has no piece containing "\n" (it is the byte token
//	        <0x0A>), so nothing merges across it.
//	Llama3: up to and including the user header's "<|end_header_id|>", a
//	        special token. The "\n\n" that follows is left out because the BPE
//	        pre-tokenizer would merge it with a message that starts with a
//	        newline ("\n\n\n" is one token); it costs one token per request.
func (f Family) FixedPrefix() []Segment {
	f.mustValid()
	var b segBuilder
	f.openConversation(&b, f.DefaultSystem())
	return b.segs
}

// Prompt returns the single-turn prompt for msg with the default system text,
// byte for byte the template of DESIGN.md:
//
//	Llama2: I am an intelligent language assistant developed by the NLP Group of ICT/CAS.\nBelow is a dialog consisting of instructions and responses. Write a response that completes the request.\n\n### Instruction:\n{msg}\n### Response:\n
//	Llama3: <|start_header_id|>system<|end_header_id|>\n\nI am BayLing developed by the NLP Group of ICT/CAS.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n{msg}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n
//
// msg is one non-special segment, written verbatim (not trimmed). Prompt
// equals Chat with the single message {RoleUser, msg}. It panics if f is not
// valid.
func (f Family) Prompt(msg string) []Segment {
	segs, err := f.Chat([]Message{{Role: RoleUser, Content: msg}})
	if err != nil {
		panic(err) // unreachable for a valid family
	}
	return segs
}

// Chat returns the prompt for a conversation that the assistant is to
// continue: an optional system message first, then user and assistant
// messages alternating, starting and ending with a user message. A system
// message replaces the default system text; an empty one removes the system
// part altogether. Contents are written verbatim as non-special segments.
//
// Llama2 follows BayLing's conversation.py (SeparatorStyle.BAYLING, sep "\n",
// sep2 "</s>"): the system text, "\n\n", then per exchange
//
//	### Instruction:\n{user}\n### Response:\n{assistant}</s>\n
//
// and finally "### Instruction:\n{user}\n### Response:\n". The "</s>" is
// template text, tokenized as the EOS token as BayLing's Hugging Face
// tokenizer does. The Llama2 format is plain text: a user message that
// contains "\n### Response:\n" can imitate a turn; only special tokens are
// protected (this is a property of the model's format, not of this code).
//
// Llama3 is the Llama 3 header format: per message
// "<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>", then
// "<|start_header_id|>assistant<|end_header_id|>\n\n". Contents are not
// trimmed (Meta's template trims them; BayLing's documented single-turn
// template does not, and Prompt must equal it).
//
// Errors are *RequestError with Field "messages".
func (f Family) Chat(msgs []Message) ([]Segment, error) {
	if !f.Valid() {
		return nil, fmt.Errorf("translate: invalid family %d", int(f))
	}
	system := f.DefaultSystem()
	if len(msgs) > 0 && msgs[0].Role == RoleSystem {
		system = msgs[0].Content
		msgs = msgs[1:]
	}
	if len(msgs) == 0 {
		return nil, badRequest("messages", "no user message")
	}
	for i, m := range msgs {
		want := RoleUser
		if i%2 == 1 {
			want = RoleAssistant
		}
		if m.Role != want {
			switch m.Role {
			case RoleSystem:
				return nil, badRequest("messages", "a system message must be the first message")
			case RoleUser, RoleAssistant:
				return nil, badRequest("messages", fmt.Sprintf("message %d is from %s, want %s: user and assistant messages must alternate, starting with user", i+1, m.Role, want))
			}
			return nil, badRequest("messages", fmt.Sprintf("message %d has unknown role %s", i+1, quote(m.Role)))
		}
	}
	if len(msgs)%2 == 0 {
		return nil, badRequest("messages", "the last message must be from the user")
	}

	var b segBuilder
	f.openConversation(&b, system)
	b.seal() // FixedPrefix ends here (for the default system text)
	for i, m := range msgs {
		user := i%2 == 0
		switch {
		case f == Llama2 && user:
			if i > 0 {
				b.add(l2Instruction, true)
			}
			b.add(m.Content, false)
			b.add(l2Response, true)
		case f == Llama2:
			b.add(m.Content, false)
			b.add(l2TurnEnd, true)
		default:
			if i > 0 {
				b.add(l3HeaderStart+m.Role+l3HeaderEnd, true)
			}
			b.add(l3HeaderSep, true)
			b.add(m.Content, false)
			b.add(l3EOT, true)
		}
	}
	if f == Llama3 {
		b.add(l3HeaderStart+RoleAssistant+l3HeaderEnd+l3HeaderSep, true)
	}
	return b.segs, nil
}

// openConversation writes the system part and the opening of the first user
// turn, up to the FixedPrefix boundary.
func (f Family) openConversation(b *segBuilder, system string) {
	// The default system text is template text; a caller's is user input.
	custom := system != f.DefaultSystem()
	if f == Llama2 {
		if system != "" {
			b.add(system, !custom)
			b.add(l2SystemEnd, true)
		}
		b.add(l2Instruction, true)
		return
	}
	if system != "" {
		b.add(l3HeaderStart+RoleSystem+l3HeaderEnd+l3HeaderSep, true)
		b.add(system, !custom)
		b.add(l3EOT, true)
	}
	b.add(l3HeaderStart+RoleUser+l3HeaderEnd, true)
}

func (f Family) mustValid() {
	if !f.Valid() {
		panic(fmt.Sprintf("translate: invalid family %d", int(f)))
	}
}

// segBuilder accumulates segments, merging adjacent segments of the same kind
// unless seal was called between them.
type segBuilder struct {
	segs   []Segment
	sealed bool
}

func (b *segBuilder) add(text string, special bool) {
	if text == "" {
		return
	}
	if n := len(b.segs); n > 0 && !b.sealed && b.segs[n-1].Special == special {
		b.segs[n-1].Text += text
	} else {
		b.segs = append(b.segs, Segment{Text: text, Special: special})
	}
	b.sealed = false
}

func (b *segBuilder) seal() { b.sealed = true }
