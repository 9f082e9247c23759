package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/baylingd/baylingd/engine/gguf"
)

// GGUF token types (llama.cpp's llama_token_type, the SentencePiece
// numbering).
const (
	tokNormal      int32 = 1
	tokUnknown     int32 = 2
	tokControl     int32 = 3
	tokUserDefined int32 = 4
	tokUnused      int32 = 5
	tokByte        int32 = 6
)

// vocab is the tokenizer as GGUF stores it.
type vocab struct {
	Model  string // tokenizer.ggml.model: "llama" (SentencePiece) or "gpt2" (byte-level BPE)
	Pre    string // tokenizer.ggml.pre
	Tokens []string
	Scores []float32 // SentencePiece only
	Types  []int32
	Merges []string // BPE only

	// Special ids, -1 when not set.
	BOS, EOS, EOT, EOM, UNK, PAD int
	AddBOS, AddEOS               *bool
	ChatTemplate                 string
}

// llama3Split is the pre-tokenizer regex of Llama 3's tokenizer.json; with
// it (and a ByteLevel step without its own regex) the pre-tokenizer is
// llama.cpp's "llama-bpe", the only BPE pre-tokenizer of BayLing 2 and of
// this project's tokenizer.
const llama3Split = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// hfAddedToken is an entry of tokenizer.json's added_tokens.
type hfAddedToken struct {
	ID      int    `json:"id"`
	Content string `json:"content"`
	Special bool   `json:"special"`
}

// hfTokenizer is the part of tokenizer.json read here; the model (vocab
// and merges, the bulk of the file) is decoded only for BPE conversion.
type hfTokenizer struct {
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         json.RawMessage `json:"model"`
}

// tokConfig is tokenizer_config.json.
type tokConfig struct {
	AddBOS, AddEOS *bool
	Special        map[string]string // "bos" -> its text, ...
	ChatTemplate   string
	AddedDecoder   map[int]hfAddedToken // added_tokens_decoder
}

func loadTokConfig(path string) (*tokConfig, error) {
	tc := &tokConfig{Special: map[string]string{}}
	var raw map[string]json.RawMessage
	if err := readJSON(path, &raw); err != nil {
		return nil, err
	}
	for _, k := range []string{"add_bos_token", "add_eos_token"} {
		v, ok := raw[k]
		if !ok {
			continue
		}
		var b bool
		if json.Unmarshal(v, &b) != nil {
			continue // null or an odd value: the Python converter ignores it too
		}
		if k == "add_bos_token" {
			tc.AddBOS = &b
		} else {
			tc.AddEOS = &b
		}
	}
	for _, typ := range []string{"bos", "eos", "unk", "pad"} {
		v, ok := raw[typ+"_token"]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			tc.Special[typ] = s
			continue
		}
		var obj struct {
			Content *string `json:"content"`
		}
		if json.Unmarshal(v, &obj) == nil && obj.Content != nil {
			tc.Special[typ] = *obj.Content
		}
	}
	if v, ok := raw["chat_template"]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			tc.ChatTemplate = s
		} else {
			// A list of named templates: the default one is the template.
			var named []struct{ Name, Template string }
			if err := json.Unmarshal(v, &named); err != nil {
				return nil, fmt.Errorf("%s: chat_template is neither a string nor a list of named templates", path)
			}
			for _, n := range named {
				if n.Name == "default" || tc.ChatTemplate == "" {
					tc.ChatTemplate = n.Template
				}
			}
		}
	}
	if v, ok := raw["added_tokens_decoder"]; ok {
		var m map[string]hfAddedToken
		if err := decodeJSON(path, v, &m); err != nil {
			return nil, err
		}
		tc.AddedDecoder = map[int]hfAddedToken{}
		for k, t := range m {
			id, err := strconv.Atoi(k)
			if err != nil || id < 0 {
				return nil, fmt.Errorf("%s: added_tokens_decoder has key %q, want a token id", path, k)
			}
			t.ID = id
			tc.AddedDecoder[id] = t
		}
	}
	return tc, nil
}

// looksSpecial is llama.cpp's does_token_look_special: added tokens that
// some models forget to mark special but that are control tokens.
func looksSpecial(s string) bool {
	switch s {
	case "<pad>", "<mask>", "<2mass>", "[@BOS@]":
		return true
	}
	return strings.HasPrefix(s, "<|") && strings.HasSuffix(s, "|>") ||
		strings.HasPrefix(s, "<｜") && strings.HasSuffix(s, "｜>") ||
		strings.HasPrefix(s, "<unused") && strings.HasSuffix(s, ">")
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// loadVocab builds the GGUF tokenizer of the checkpoint in dir, as
// llama.cpp's LlamaModel.set_vocab does: SentencePiece from tokenizer.model
// when there is one, else Llama 3's byte-level BPE from tokenizer.json,
// with special tokens from tokenizer_config.json, tokenizer.json and
// config.json, and the end-of-generation ids of generation_config.json.
func loadVocab(dir string, cfg *Config, chatTemplate string) (*vocab, error) {
	var tc *tokConfig
	tcPath := filepath.Join(dir, "tokenizer_config.json")
	if exists(tcPath) {
		var err error
		if tc, err = loadTokConfig(tcPath); err != nil {
			return nil, err
		}
	} else {
		tc = &tokConfig{Special: map[string]string{}}
	}
	var tj *hfTokenizer
	tjPath := filepath.Join(dir, "tokenizer.json")
	if exists(tjPath) {
		tj = new(hfTokenizer)
		if err := readJSON(tjPath, tj); err != nil {
			return nil, err
		}
	}
	v := &vocab{BOS: -1, EOS: -1, EOT: -1, EOM: -1, UNK: -1, PAD: -1}
	var sp *spModel
	spPath := filepath.Join(dir, "tokenizer.model")
	switch {
	case exists(spPath):
		b, err := os.ReadFile(spPath)
		if err != nil {
			return nil, err
		}
		if sp, err = parseSentencePiece(b); err != nil {
			return nil, fmt.Errorf("%s: %w", spPath, err)
		}
		if err := v.fromSentencePiece(sp, cfg, dir, tc); err != nil {
			return nil, err
		}
	case tj != nil:
		if err := v.fromBPE(tj, tjPath, cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s: no tokenizer.model or tokenizer.json", dir)
	}
	v.special(tc, tj, cfg, sp)

	switch {
	case chatTemplate != "":
		v.ChatTemplate = chatTemplate
	case tc.ChatTemplate != "":
		v.ChatTemplate = tc.ChatTemplate
	default:
		if b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
			v.ChatTemplate = string(b)
		} else if errors.Is(err, fs.ErrNotExist) {
			if v.Model == "llama" {
				v.ChatTemplate = bayLingLlama2Template
			} else {
				v.ChatTemplate = bayLingLlama3Template
			}
		} else {
			return nil, err
		}
	}
	return v, nil
}

// fromSentencePiece is _create_vocab_sentencepiece: vocab_size entries
// (config.json), unused "[PADn]" placeholders where the model has no
// piece, pieces typed by their SentencePiece type (user-defined pieces
// become normal, as in llama.cpp), then added_tokens.json and
// tokenizer_config.json's added_tokens_decoder on top, scored -1000.
func (v *vocab) fromSentencePiece(sp *spModel, cfg *Config, dir string, tc *tokConfig) error {
	v.Model, v.Pre = "llama", "default"
	n := cfg.VocabSize
	v.Tokens = make([]string, n)
	v.Scores = make([]float32, n)
	v.Types = make([]int32, n)
	for i := range v.Tokens {
		v.Tokens[i] = "[PAD" + strconv.Itoa(i) + "]"
		v.Scores[i] = -10000
		v.Types[i] = tokUnused
	}
	for id, p := range sp.Pieces {
		if id >= n {
			break // llama.cpp ignores pieces beyond vocab_size
		}
		typ := tokNormal
		switch p.Type {
		case spUnknown:
			typ = tokUnknown
		case spControl:
			typ = tokControl
		case spUnused:
			typ = tokUnused
		case spByte:
			typ = tokByte
		}
		v.Tokens[id], v.Scores[id], v.Types[id] = p.Piece, p.Score, typ
	}
	atPath := filepath.Join(dir, "added_tokens.json")
	if exists(atPath) {
		var added map[string]int
		if err := readJSON(atPath, &added); err != nil {
			return err
		}
		for text, id := range added {
			if id < 0 || id >= n {
				continue
			}
			v.Tokens[id], v.Scores[id], v.Types[id] = text, -1000, tokUserDefined
		}
	}
	ids := make([]int, 0, len(tc.AddedDecoder))
	for id := range tc.AddedDecoder {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		if id >= n {
			continue
		}
		t := tc.AddedDecoder[id]
		text := t.Content
		if t.Special || looksSpecial(text) {
			v.Types[id] = tokControl
		} else {
			text = strings.ReplaceAll(text, "▁", " ") // user-defined pieces are pre-normalized
			v.Types[id] = tokUserDefined
		}
		v.Tokens[id], v.Scores[id] = text, -1000
	}
	return nil
}

// fromBPE reads a byte-level BPE tokenizer.json (Llama 3), as llama.cpp's
// _set_vocab_gpt2 / get_vocab_base: the model's vocabulary and added
// tokens by id, "[PADn]" (unused) for missing ids, added tokens as control
// tokens when special (or looking special) and user-defined otherwise,
// and the merges, with either JSON form of them.
func (v *vocab) fromBPE(tj *hfTokenizer, path string, cfg *Config) error {
	var model struct {
		Type         string          `json:"type"`
		Vocab        map[string]int  `json:"vocab"`
		Merges       json.RawMessage `json:"merges"`
		ByteFallback bool            `json:"byte_fallback"`
	}
	if len(tj.Model) == 0 {
		return fmt.Errorf("%s: no model section", path)
	}
	if err := decodeJSON(path, tj.Model, &model); err != nil {
		return err
	}
	if model.Type != "BPE" || model.ByteFallback {
		return fmt.Errorf("%s: %w: tokenizer model %q (byte_fallback %v); only byte-level BPE tokenizers (Llama 3) are read from tokenizer.json, SentencePiece ones need tokenizer.model",
			path, ErrUnsupported, model.Type, model.ByteFallback)
	}
	var dec struct {
		Type string `json:"type"`
	}
	if len(tj.Decoder) > 0 && json.Unmarshal(tj.Decoder, &dec) == nil && dec.Type != "" && dec.Type != "ByteLevel" {
		return fmt.Errorf("%s: %w: decoder %q, want ByteLevel", path, ErrUnsupported, dec.Type)
	}
	pre, err := bpePre(tj.PreTokenizer)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// model.ignore_merges is not checked: llama.cpp's llama-bpe tokenizer
	// always ignores merges for words that are tokens themselves, which is
	// what Llama 3's tokenizer.json asks for with ignore_merges: true, and
	// files saved by transformers older than that flag omit it.
	v.Model, v.Pre = "gpt2", pre
	n := cfg.VocabSize
	v.Tokens = make([]string, n)
	v.Types = make([]int32, n)
	set := make([]bool, n)
	for text, id := range model.Vocab {
		if id < 0 || id >= n {
			return fmt.Errorf("%s: token %q has id %d, outside vocab_size %d of config.json", path, text, id, n)
		}
		if set[id] && v.Tokens[id] != text {
			return fmt.Errorf("%s: id %d is both %q and %q", path, id, v.Tokens[id], text)
		}
		v.Tokens[id], v.Types[id], set[id] = text, tokNormal, true
	}
	added := map[string]bool{}
	special := map[int]bool{}
	for _, a := range tj.AddedTokens {
		if a.ID < 0 || a.ID >= n {
			return fmt.Errorf("%s: added token %q has id %d, outside vocab_size %d of config.json", path, a.Content, a.ID, n)
		}
		added[a.Content] = true
		special[a.ID] = special[a.ID] || a.Special
		v.Tokens[a.ID], set[a.ID] = a.Content, true
	}
	for id := range v.Tokens {
		switch {
		case !set[id]:
			v.Tokens[id], v.Types[id] = "[PAD"+strconv.Itoa(id)+"]", tokUnused
		case added[v.Tokens[id]]:
			if special[id] || looksSpecial(v.Tokens[id]) {
				v.Types[id] = tokControl
			} else {
				v.Tokens[id] = strings.ReplaceAll(v.Tokens[id], "▁", " ")
				v.Types[id] = tokUserDefined
			}
		default:
			v.Types[id] = tokNormal
		}
	}
	v.Merges, err = bpeMerges(model.Merges)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(v.Merges) == 0 {
		return fmt.Errorf("%s: no merges", path)
	}
	return nil
}

// bpeMerges accepts merges as ["a b", ...] or, since transformers 4.45,
// as [["a", "b"], ...]; the pair form is joined with a space, a space
// inside a part written as U+0120 as llama.cpp's gguf-py does.
func bpeMerges(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var flat []string
	if err := json.Unmarshal(raw, &flat); err == nil {
		return flat, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, errors.New("model.merges is neither a list of strings nor a list of pairs")
	}
	out := make([]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("merge %d has %d parts, want 2", i, len(p))
		}
		out[i] = strings.ReplaceAll(p[0], " ", "\u0120") + " " + strings.ReplaceAll(p[1], " ", "\u0120")
	}
	return out, nil
}

// bpePre identifies the pre-tokenizer. llama.cpp recognises it by hashing
// the tokenization of a probe text with transformers; without Python the
// configuration itself is compared: Llama 3's split regex, then ByteLevel
// without a regex of its own.
func bpePre(raw json.RawMessage) (string, error) {
	var pt struct {
		Type          string `json:"type"`
		Pretokenizers []struct {
			Type    string `json:"type"`
			Pattern struct {
				Regex string `json:"Regex"`
			} `json:"pattern"`
			Behavior string `json:"behavior"`
			Invert   bool   `json:"invert"`
			UseRegex *bool  `json:"use_regex"`
		} `json:"pretokenizers"`
	}
	if err := json.Unmarshal(raw, &pt); err == nil && pt.Type == "Sequence" && len(pt.Pretokenizers) == 2 {
		s, b := pt.Pretokenizers[0], pt.Pretokenizers[1]
		if s.Type == "Split" && s.Pattern.Regex == llama3Split && s.Behavior == "Isolated" && !s.Invert &&
			b.Type == "ByteLevel" && b.UseRegex != nil && !*b.UseRegex {
			return "llama-bpe", nil
		}
	}
	return "", fmt.Errorf("%w: pre_tokenizer is not Llama 3's (llama-bpe), the only byte-level BPE pre-tokenizer supported", ErrUnsupported)
}

// special sets the special token ids and add_bos/add_eos flags, following
// gguf-py's SpecialVocab (tokenizer_config.json's token texts looked up in
// tokenizer.json's added tokens, TemplateProcessing for add_bos/add_eos,
// then config.json's ids for what is still unset), plus what the Python
// converter leaves to llama.cpp's loader or does not read:
//   - SentencePiece models fall back to the trainer spec's ids;
//   - the end-of-sequence ids of generation_config.json beyond the first
//     become the end-of-turn (or end-of-message) id, as Llama-3-Instruct
//     models stop on <|eot_id|> as well as <|end_of_text|>;
//   - add_bos defaults to true and add_eos to false, the defaults of
//     llama.cpp's loader for both tokenizers, written out.
func (v *vocab) special(tc *tokConfig, tj *hfTokenizer, cfg *Config, sp *spModel) {
	n := len(v.Tokens)
	ids := map[string]int{}
	set := func(typ string, id int) {
		if _, done := ids[typ]; done || id < 0 || id >= n {
			return
		}
		ids[typ] = id
	}
	var addBOS, addEOS *bool
	if tj != nil {
		find := func(text string) int {
			for _, a := range tj.AddedTokens {
				if a.Content == text {
					return a.ID
				}
			}
			return -1
		}
		addBOS, addEOS = templateAdds(tj.PostProcessor, tc.Special["bos"], tc.Special["eos"])
		for _, typ := range []string{"bos", "eos", "unk", "pad"} {
			if text, ok := tc.Special[typ]; ok {
				set(typ, find(text))
			}
		}
	}
	if tc.AddBOS != nil {
		addBOS = tc.AddBOS
	}
	if tc.AddEOS != nil {
		addEOS = tc.AddEOS
	}
	for typ, p := range map[string]*int{"bos": cfg.BOSTokenID, "eos": cfg.EOSTokenID, "pad": cfg.PadTokenID} {
		if p != nil {
			set(typ, *p)
		}
	}
	if sp != nil {
		// The unknown piece, even where added_tokens_decoder retyped it.
		if id := int(sp.UnkID); id >= 0 && id < len(sp.Pieces) && sp.Pieces[id].Type == spUnknown {
			set("unk", id)
		}
		set("bos", int(sp.BOSID))
		set("eos", int(sp.EOSID))
	}
	get := func(typ string) int {
		if id, ok := ids[typ]; ok {
			return id
		}
		return -1
	}
	v.BOS, v.EOS, v.UNK, v.PAD = get("bos"), get("eos"), get("unk"), get("pad")
	for _, id := range cfg.EOSTokenIDs {
		if id == v.EOS || id < 0 || id >= n {
			continue
		}
		if v.Tokens[id] == "<|eom_id|>" {
			if v.EOM < 0 {
				v.EOM = id
			}
		} else if v.EOT < 0 {
			v.EOT = id
		}
	}
	t, f := true, false
	if addBOS == nil {
		addBOS = &t
	}
	if addEOS == nil {
		addEOS = &f
	}
	v.AddBOS, v.AddEOS = addBOS, addEOS
}

// templateAdds reads a TemplateProcessing post-processor (alone or in a
// Sequence): does the single-sequence template start with the BOS token,
// end with the EOS token? nil where it says nothing.
func templateAdds(raw json.RawMessage, bosText, eosText string) (addBOS, addEOS *bool) {
	type piece struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
	}
	type proc struct {
		Type       string  `json:"type"`
		Single     []piece `json:"single"`
		Processors []proc  `json:"processors"`
	}
	var p proc
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil {
		return nil, nil
	}
	procs := p.Processors
	if procs == nil {
		procs = []proc{p}
	}
	for _, q := range procs {
		if q.Type != "TemplateProcessing" || len(q.Single) < 2 {
			continue
		}
		first, last := q.Single[0].SpecialToken, q.Single[len(q.Single)-1].SpecialToken
		if first != nil {
			b := bosText == "" || first.ID == bosText
			addBOS = &b
		}
		if last != nil {
			b := eosText == "" || last.ID == eosText
			addEOS = &b
		}
	}
	return addBOS, addEOS
}

// addTo writes the tokenizer.ggml.* metadata.
func (v *vocab) addTo(w *gguf.Writer) error {
	kv := []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: gguf.String(v.Model)},
		{Key: "tokenizer.ggml.pre", Value: gguf.String(v.Pre)},
		{Key: "tokenizer.ggml.tokens", Value: gguf.ArrayOf(v.Tokens)},
	}
	if v.Scores != nil {
		kv = append(kv, gguf.KV{Key: "tokenizer.ggml.scores", Value: gguf.ArrayOf(v.Scores)})
	}
	kv = append(kv, gguf.KV{Key: "tokenizer.ggml.token_type", Value: gguf.ArrayOf(v.Types)})
	if v.Merges != nil {
		kv = append(kv, gguf.KV{Key: "tokenizer.ggml.merges", Value: gguf.ArrayOf(v.Merges)})
	}
	for _, s := range []struct {
		key string
		id  int
	}{
		{"tokenizer.ggml.bos_token_id", v.BOS},
		{"tokenizer.ggml.eos_token_id", v.EOS},
		{"tokenizer.ggml.eot_token_id", v.EOT},
		{"tokenizer.ggml.eom_token_id", v.EOM},
		{"tokenizer.ggml.unknown_token_id", v.UNK},
		{"tokenizer.ggml.padding_token_id", v.PAD},
	} {
		if s.id >= 0 {
			kv = append(kv, gguf.KV{Key: s.key, Value: gguf.Uint32(uint32(s.id))})
		}
	}
	kv = append(kv,
		gguf.KV{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Bool(*v.AddBOS)},
		gguf.KV{Key: "tokenizer.ggml.add_eos_token", Value: gguf.Bool(*v.AddEOS)})
	if v.ChatTemplate != "" {
		kv = append(kv, gguf.KV{Key: "tokenizer.chat_template", Value: gguf.String(v.ChatTemplate)})
	}
	for _, e := range kv {
		if err := w.AddKV(e.Key, e.Value); err != nil {
			return err
		}
	}
	return nil
}
