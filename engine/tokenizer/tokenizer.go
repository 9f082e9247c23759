package tokenizer

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/baylingd/baylingd/engine/gguf"
)

// ErrMetadata is wrapped by every error about missing or inconsistent
// tokenizer metadata, so callers can tell a bad model file from an I/O error.
var ErrMetadata = errors.New("tokenizer metadata")

// GGUF token types (tokenizer.ggml.token_type), as llama.cpp's llama_token_type.
const (
	typeUndefined   = 0
	typeNormal      = 1
	typeUnknown     = 2
	typeControl     = 3
	typeUserDefined = 4
	typeUnused      = 5
	typeByte        = 6
)

// attr is a token's attribute bit set. llama.cpp keeps bits rather than the
// file's single type because it adds bits after loading (an EOG token that the
// file calls normal becomes control as well); the matching and rendering rules
// test bits, so we do the same to behave identically.
type attr uint8

const (
	attrUnknown attr = 1 << iota
	attrUnused
	attrNormal
	attrControl
	attrUserDefined
	attrByte
	// attrUndefined is the zero value: no bit set.
)

func attrFromType(t int32) attr {
	switch t {
	case typeNormal:
		return attrNormal
	case typeUnknown:
		return attrUnknown
	case typeControl:
		return attrControl
	case typeUserDefined:
		return attrUserDefined
	case typeUnused:
		return attrUnused
	case typeByte:
		return attrByte
	}
	return 0 // undefined (also for out-of-range types, as llama.cpp does)
}

type family uint8

const (
	familySPM family = iota + 1 // tokenizer.ggml.model = "llama"
	familyBPE                   // tokenizer.ggml.model = "gpt2"
)

// noToken marks an absent special token (llama.cpp's LLAMA_TOKEN_NULL).
const noToken int32 = -1

// Tokenizer turns text into token ids and back, exactly as llama.cpp does for
// the same GGUF vocabulary. It is immutable after FromGGUF and safe for
// concurrent use.
type Tokenizer struct {
	model string // "llama" or "gpt2"
	pre   string // tokenizer.ggml.pre as found ("" when absent)
	fam   family

	texts  []string
	scores []float32
	attrs  []attr
	vocab  map[string]int32

	// pieceBuf[pieceOff[i]:pieceOff[i+1]] is token i rendered with special
	// tokens shown (llama.cpp's token-to-piece cache). Piece hides control
	// and unknown tokens on top of it when asked.
	pieceBuf []byte
	pieceOff []uint32

	bos, eos, eot, eom, unk, pad int32
	fimPad, fimRep, fimSep       int32
	addBOS, addEOS               bool
	addSpacePrefix               bool
	eog                          []int32 // sorted
	eogSet                       map[int32]struct{}

	// specials are the ids matched by the special-token partitioner,
	// longest text first.
	specials []int32

	// SPM: the <0xNN> token of each byte (noToken when the vocab lacks it).
	byteTok [256]int32

	// BPE.
	ignoreMerges bool
	byteChar     [256]string // GPT-2 bytes_to_unicode, as UTF-8
	charTok      [256]int32  // token id of byteChar[b], or noToken
	merges       map[uint64]uint64
	mergesStr    map[string]uint64 // merges with a side that is no token (see buildMerges)
}

// Load opens a GGUF file, builds its tokenizer and closes the file.
func Load(path string) (*Tokenizer, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	t, err := FromGGUF(f)
	cerr := f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if cerr != nil {
		return nil, cerr
	}
	return t, nil
}

func metaErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMetadata, fmt.Sprintf(format, args...))
}

// FromGGUF builds the tokenizer from a GGUF file's tokenizer.ggml.* metadata,
// following llama.cpp's llama_vocab::load. The Tokenizer keeps no reference
// to f.
func FromGGUF(f *gguf.File) (t *Tokenizer, err error) {
	if f == nil {
		return nil, metaErr("no GGUF file")
	}
	// Metadata comes from user-supplied files: a bug of ours on an odd file
	// must surface as an error, not take the daemon down.
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, metaErr("internal error while building the tokenizer: %v", r)
		}
	}()

	t = &Tokenizer{
		bos: noToken, eos: noToken, eot: noToken, eom: noToken, unk: noToken, pad: noToken,
		fimPad: noToken, fimRep: noToken, fimSep: noToken,
	}
	model, ok := f.String("tokenizer.ggml.model")
	if !ok {
		if v, present := f.Get("tokenizer.ggml.model"); present {
			return nil, metaErr("tokenizer.ggml.model is %s, want a string", v.Type)
		}
		return nil, metaErr("tokenizer.ggml.model is missing (not a llama.cpp-converted model?)")
	}
	t.model = model
	t.pre, _ = f.String("tokenizer.ggml.pre")

	switch model {
	case "llama":
		t.fam = familySPM
		// llama.cpp's defaults for SentencePiece vocabularies.
		t.bos, t.eos, t.unk = 1, 2, 0
		t.addSpacePrefix = true
		t.addBOS = true
	case "gpt2":
		t.fam = familyBPE
		// llama.cpp's BPE defaults (id 11 is GPT-2's "," and is only ever
		// used when the file names no BOS/EOS).
		t.bos, t.eos = 11, 11
		switch t.pre {
		case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "dbrx", "smaug-bpe":
			// All of these use the Llama-3 pre-tokenizer regex; llama.cpp
			// sets ignore_merges and add_bos for the llama3 family only.
			switch t.pre {
			case "dbrx", "smaug-bpe":
			default:
				t.ignoreMerges = true
				t.addBOS = true
			}
		case "":
			return nil, metaErr("tokenizer.ggml.pre is missing for a gpt2 (BPE) vocabulary; only the Llama-3 pre-tokenizer (llama-bpe) is supported, re-convert the model with a current llama.cpp")
		default:
			return nil, metaErr("unsupported BPE pre-tokenizer %q (supported: llama-bpe and its aliases, as BayLing-2-llama-3-8B uses)", t.pre)
		}
	default:
		return nil, metaErr("unsupported tokenizer.ggml.model %q (want \"llama\" for SentencePiece or \"gpt2\" for byte-level BPE)", model)
	}
	if v, ok := f.Get("tokenizer.ggml.add_space_prefix"); ok {
		b, ok := v.Bool()
		if !ok {
			return nil, metaErr("tokenizer.ggml.add_space_prefix is %s, want bool", v.Type)
		}
		t.addSpacePrefix = b
	}

	if err := t.loadTokens(f); err != nil {
		return nil, err
	}
	if t.fam == familyBPE {
		if err := t.buildMerges(f); err != nil {
			return nil, err
		}
	} else {
		t.buildByteTokens()
	}
	if err := t.loadSpecialIDs(f); err != nil {
		return nil, err
	}
	t.detectSpecials()
	t.buildPieces()
	return t, nil
}

func (t *Tokenizer) loadTokens(f *gguf.File) error {
	v, ok := f.Get("tokenizer.ggml.tokens")
	if !ok {
		return metaErr("tokenizer.ggml.tokens is missing")
	}
	toks, ok := f.Strings("tokenizer.ggml.tokens")
	if !ok {
		return metaErr("tokenizer.ggml.tokens is %s, want an array of strings", v.Type)
	}
	n := len(toks)
	if n == 0 {
		return metaErr("tokenizer.ggml.tokens is empty")
	}
	if n > math.MaxInt32 {
		return metaErr("tokenizer.ggml.tokens has %d entries, more than token ids can address", n)
	}

	t.scores = make([]float32, n)
	if v, ok := f.Get("tokenizer.ggml.scores"); ok {
		if s, ok := f.Float32s("tokenizer.ggml.scores"); ok {
			if len(s) < n {
				return metaErr("tokenizer.ggml.scores has %d entries for %d tokens", len(s), n)
			}
			copy(t.scores, s)
		} else if s, ok := f.Int32s("tokenizer.ggml.scores"); ok {
			// llama.cpp accepts integer scores too.
			if len(s) < n {
				return metaErr("tokenizer.ggml.scores has %d entries for %d tokens", len(s), n)
			}
			for i := range t.scores {
				t.scores[i] = float32(s[i])
			}
		} else {
			return metaErr("tokenizer.ggml.scores is %s, want an array of float32 or int32", v.Type)
		}
	}

	t.attrs = make([]attr, n)
	if v, ok := f.Get("tokenizer.ggml.token_type"); ok {
		types, ok := f.Int32s("tokenizer.ggml.token_type")
		if !ok {
			return metaErr("tokenizer.ggml.token_type is %s, want an array of int32", v.Type)
		}
		if len(types) < n {
			return metaErr("tokenizer.ggml.token_type has %d entries for %d tokens", len(types), n)
		}
		for i := range t.attrs {
			t.attrs[i] = attrFromType(types[i])
		}
	} else {
		for i := range t.attrs {
			t.attrs[i] = attrNormal
		}
	}

	t.texts = make([]string, n)
	t.vocab = make(map[string]int32, n)
	for i, s := range toks {
		if s == "" {
			// llama.cpp renames empty tokens so that they stay distinct.
			s = fmt.Sprintf("[EMPTY_%d]", i)
		}
		if j, dup := t.vocab[s]; dup {
			return metaErr("duplicate token in vocabulary: %q has ids %d and %d", s, j, i)
		}
		t.vocab[s] = int32(i)
		t.texts[i] = s
	}
	return nil
}

// buildByteTokens finds SPM byte-fallback tokens the way llama.cpp's
// byte_to_token does: "<0xNN>" first, then the one-byte token itself.
func (t *Tokenizer) buildByteTokens() {
	const hex = "0123456789ABCDEF"
	for b := 0; b < 256; b++ {
		if id, ok := t.vocab[string([]byte{'<', '0', 'x', hex[b>>4], hex[b&15], '>'})]; ok {
			t.byteTok[b] = id
		} else if id, ok := t.vocab[string([]byte{byte(b)})]; ok {
			t.byteTok[b] = id
		} else {
			t.byteTok[b] = noToken
		}
	}
}

func (t *Tokenizer) loadSpecialIDs(f *gguf.File) error {
	n := len(t.texts)
	// Defaults that fall outside the vocabulary are disabled, as in llama.cpp.
	for _, p := range []*int32{&t.bos, &t.eos, &t.unk} {
		if *p >= int32(n) {
			*p = noToken
		}
	}
	ids := []struct {
		key string
		p   *int32
	}{
		{"tokenizer.ggml.bos_token_id", &t.bos},
		{"tokenizer.ggml.eos_token_id", &t.eos},
		{"tokenizer.ggml.eot_token_id", &t.eot},
		{"tokenizer.ggml.eom_token_id", &t.eom},
		{"tokenizer.ggml.unknown_token_id", &t.unk},
		{"tokenizer.ggml.padding_token_id", &t.pad},
		{"tokenizer.ggml.fim_pad_token_id", &t.fimPad},
		{"tokenizer.ggml.fim_rep_token_id", &t.fimRep},
		{"tokenizer.ggml.fim_sep_token_id", &t.fimSep},
	}
	for _, e := range ids {
		v, ok := f.Get(e.key)
		if !ok {
			continue
		}
		u, ok := v.Uint()
		if !ok {
			return metaErr("%s is %s %v, want a non-negative integer", e.key, v.Type, v)
		}
		// llama.cpp warns and keeps the default for an id beyond the
		// vocabulary; so do we, since such files exist in the wild and
		// work there.
		if u < uint64(n) {
			*e.p = int32(u)
		}
	}
	for _, e := range []struct {
		key string
		p   *bool
	}{
		{"tokenizer.ggml.add_bos_token", &t.addBOS},
		{"tokenizer.ggml.add_eos_token", &t.addEOS},
	} {
		v, ok := f.Get(e.key)
		if !ok {
			continue
		}
		b, ok := v.Bool()
		if !ok {
			return metaErr("%s is %s, want bool", e.key, v.Type)
		}
		*e.p = b
	}
	if t.addBOS && t.bos == noToken {
		return metaErr("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set")
	}
	if t.addEOS && t.eos == noToken {
		return metaErr("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set")
	}
	return nil
}

// eotTexts and eogTexts are llama.cpp's text-based detection of end-of-turn
// and end-of-generation tokens (llama_vocab::load); converters do not always
// write the ids, so llama.cpp guesses from the text and so must we to stop
// where it stops.
var eotTexts = []string{
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
	"<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
}

var eogTexts = []string{
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
	"<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
	"<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
	"<｜end▁of▁sentence｜>", "[e~[",
}

func (t *Tokenizer) forceControl(id int32) {
	t.attrs[id] |= attrControl
}

func (t *Tokenizer) detectSpecials() {
	// EOT / EOM by text when the file does not name them. llama.cpp walks an
	// unordered map, so with several candidates its choice is unspecified;
	// we take them in the order of the list above, which is deterministic.
	if t.eot == noToken {
		for _, s := range eotTexts {
			if id, ok := t.vocab[s]; ok {
				t.eot = id
				t.forceControl(id)
				break
			}
		}
	}
	if t.eom == noToken {
		if id, ok := t.vocab["<|eom_id|>"]; ok {
			t.eom = id
			t.forceControl(id)
		}
	}
	// Control tokens whose text says "unused" are unused (llama.cpp marks them
	// so that nothing treats them as meaningful).
	for i, s := range t.texts {
		if t.attrs[i]&attrControl != 0 && strings.Contains(s, "unused") {
			t.attrs[i] |= attrUnused
		}
	}

	t.eogSet = make(map[int32]struct{})
	// Fill-in-the-middle pad/repo/file-separator tokens end generation in
	// llama.cpp (a FIM completion must stop at them).
	for _, fim := range []struct {
		id    int32
		texts []string
	}{
		{t.fimPad, []string{"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"}},
		{t.fimRep, []string{"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"}},
		{t.fimSep, []string{"<|file_sep|>"}},
	} {
		id := fim.id
		if id == noToken {
			for _, s := range fim.texts {
				if j, ok := t.vocab[s]; ok {
					id = j
					t.forceControl(id)
					break
				}
			}
		}
		if id != noToken {
			t.eogSet[id] = struct{}{}
		}
	}
	for _, s := range eogTexts {
		if id, ok := t.vocab[s]; ok {
			t.eogSet[id] = struct{}{}
			t.forceControl(id)
		}
	}
	for _, id := range []int32{t.eos, t.eot, t.eom} {
		if id != noToken {
			t.eogSet[id] = struct{}{}
		}
	}
	// llama.cpp's workaround for vocabularies (o200k_harmony, solar-open)
	// where <|end|> separates turns without ending generation.
	has := func(s string) bool {
		id, ok := t.vocab[s]
		if !ok {
			return false
		}
		_, in := t.eogSet[id]
		return in
	}
	if (has("<|return|>") && has("<|call|>") || has("<|calls|>") && has("<|flush|>")) && has("<|end|>") {
		id := t.vocab["<|end|>"]
		delete(t.eogSet, id)
		t.attrs[id] = attrUserDefined
	}
	if has("<|tool_response>") && has("</s>") {
		id := t.vocab["</s>"]
		delete(t.eogSet, id)
		t.attrs[id] = attrNormal
	}
	for id := range t.eogSet {
		t.eog = append(t.eog, id)
	}
	sort.Slice(t.eog, func(i, j int) bool { return t.eog[i] < t.eog[j] })

	for i, a := range t.attrs {
		if a&(attrControl|attrUserDefined|attrUnknown) != 0 {
			t.specials = append(t.specials, int32(i))
		}
	}
	// Longest text first, so that a token is never cut by a shorter one that
	// is its prefix. llama.cpp uses an unstable sort here; ties are broken by
	// id so that our order is at least deterministic (ties only matter for
	// two equally long special tokens that overlap in the text).
	sort.SliceStable(t.specials, func(i, j int) bool {
		a, b := t.specials[i], t.specials[j]
		if la, lb := len(t.texts[a]), len(t.texts[b]); la != lb {
			return la > lb
		}
		return a < b
	})
}

// NumTokens is the vocabulary size.
func (t *Tokenizer) NumTokens() int { return len(t.texts) }

// TokenText is the raw vocabulary string of id ("" when id is out of range):
// "▁the" for SPM, "Ġthe" for byte-level BPE.
func (t *Tokenizer) TokenText(id int32) string {
	if id < 0 || int(id) >= len(t.texts) {
		return ""
	}
	return t.texts[id]
}

// Lookup finds the token whose vocabulary string is exactly text.
func (t *Tokenizer) Lookup(text string) (int32, bool) {
	id, ok := t.vocab[text]
	return id, ok
}

// BOS is the beginning-of-sequence token, or -1.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS is the end-of-sequence token, or -1.
func (t *Tokenizer) EOS() int32 { return t.eos }

// EOT is the end-of-turn token (<|eot_id|> for Llama-3), or -1.
func (t *Tokenizer) EOT() int32 { return t.eot }

// IsEOG reports whether id ends generation (llama.cpp's llama_vocab_is_eog).
func (t *Tokenizer) IsEOG(id int32) bool {
	_, ok := t.eogSet[id]
	return ok
}

// EOGs lists the end-of-generation tokens in ascending order.
func (t *Tokenizer) EOGs() []int32 { return append([]int32(nil), t.eog...) }

// AddBOS is the file's tokenizer.ggml.add_bos_token (or llama.cpp's default
// for the vocabulary type): whether prompts should start with BOS.
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// Model is tokenizer.ggml.model: "llama" (SentencePiece) or "gpt2" (byte-level BPE).
func (t *Tokenizer) Model() string { return t.model }

// IsControl reports whether id is a control or unknown token, the kinds that
// render as nothing unless asked for (llama.cpp's attr_special).
func (t *Tokenizer) IsControl(id int32) bool {
	if id < 0 || int(id) >= len(t.attrs) {
		return false
	}
	return t.attrs[id]&(attrControl|attrUnknown) != 0
}
