package tokenizer

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/baylingd/baylingd/engine/gguf"
)

// kvList is GGUF metadata in file order; a nil Value deletes the key when
// used as an override.
type kvList []gguf.KV

func (l kvList) with(key string, v *gguf.Value) kvList {
	out := kvList{}
	found := false
	for _, kv := range l {
		if kv.Key == key {
			found = true
			if v != nil {
				out = append(out, gguf.KV{Key: key, Value: *v})
			}
			continue
		}
		out = append(out, kv)
	}
	if !found && v != nil {
		out = append(out, gguf.KV{Key: key, Value: *v})
	}
	return out
}

func ptr(v gguf.Value) *gguf.Value { return &v }

// ggufOf writes kvs as an in-memory GGUF file and parses it back.
func ggufOf(tb testing.TB, kvs kvList) *gguf.File {
	tb.Helper()
	var buf bytes.Buffer
	w, err := gguf.NewWriter(&buf, 0)
	if err != nil {
		tb.Fatal(err)
	}
	for _, kv := range kvs {
		if err := w.AddKV(kv.Key, kv.Value); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.WriteHeader(); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// A small SentencePiece vocabulary: byte fallback only for 'c'.
func tinySPM() kvList {
	toks := []string{"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab", "<0x63>"}
	scores := []float32{0, 0, 0, -3, -4, -5, -1, -2, -0.5, 0}
	types := []int32{2, 3, 3, 1, 1, 1, 1, 1, 1, 6}
	return kvList{
		{Key: "tokenizer.ggml.model", Value: gguf.String("llama")},
		{Key: "tokenizer.ggml.tokens", Value: gguf.ArrayOf(toks)},
		{Key: "tokenizer.ggml.scores", Value: gguf.ArrayOf(scores)},
		{Key: "tokenizer.ggml.token_type", Value: gguf.ArrayOf(types)},
		{Key: "tokenizer.ggml.bos_token_id", Value: gguf.Uint32(1)},
		{Key: "tokenizer.ggml.eos_token_id", Value: gguf.Uint32(2)},
	}
}

// A small byte-level BPE vocabulary with a merge whose result is no token
// ("abc"), and an <|eot_id|> that the file calls normal.
func tinyBPE(pre string) kvList {
	toks := []string{"a", "b", "c", "d", "Ġ", "ab", "abcd", "<|eot_id|>", "<|begin|>"}
	types := []int32{1, 1, 1, 1, 1, 1, 1, 1, 3}
	merges := []string{"a b", "ab c", "abc d"}
	return kvList{
		{Key: "tokenizer.ggml.model", Value: gguf.String("gpt2")},
		{Key: "tokenizer.ggml.pre", Value: gguf.String(pre)},
		{Key: "tokenizer.ggml.tokens", Value: gguf.ArrayOf(toks)},
		{Key: "tokenizer.ggml.token_type", Value: gguf.ArrayOf(types)},
		{Key: "tokenizer.ggml.merges", Value: gguf.ArrayOf(merges)},
		{Key: "tokenizer.ggml.bos_token_id", Value: gguf.Uint32(8)},
	}
}

func TestTinySPM(t *testing.T) {
	tok, err := FromGGUF(ggufOf(t, tinySPM()))
	if err != nil {
		t.Fatal(err)
	}
	// "▁ab▁c▁d": ▁a (score -1) merges first, then ▁ab (-0.5); "c" has a byte
	// token, "d" has none and becomes <unk> (llama.cpp would throw).
	got := tok.Encode("ab c d", false, false)
	want := []int32{8, 3, 9, 3, 0}
	if !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if got := tok.Decode(got); got != "ab c " {
		t.Errorf("Decode = %q", got)
	}
	if !tok.AddBOS() || tok.BOS() != 1 || tok.EOS() != 2 || !tok.IsEOG(2) {
		t.Errorf("defaults: addBOS %v bos %d eos %d eog %v", tok.AddBOS(), tok.BOS(), tok.EOS(), tok.EOGs())
	}
	// add_space_prefix=false: no "▁" in front.
	noPrefix, err := FromGGUF(ggufOf(t, tinySPM().with("tokenizer.ggml.add_space_prefix", ptr(gguf.Bool(false)))))
	if err != nil {
		t.Fatal(err)
	}
	if got := noPrefix.Encode("ab", false, false); !slices.Equal(got, []int32{7}) {
		t.Errorf("without space prefix: %v, want [7]", got)
	}
}

func TestTinyBPE(t *testing.T) {
	// dbrx uses the Llama-3 regex without ignore_merges, so the merges run.
	tok, err := FromGGUF(ggufOf(t, tinyBPE("dbrx")))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want []int32
	}{
		{"abcd", []int32{6}},      // a+b, ab+c (no token), abc+d by text
		{"abc", []int32{0, 1, 2}}, // "abc" is no token: its bytes, one by one
		{"ab", []int32{5}},
		{" a", []int32{4, 0}},
		{"x", nil}, // no token for "x" at all: dropped, as llama.cpp does
	} {
		if got := tok.Encode(c.text, false, false); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
		}
	}
	// <|eot_id|> is found by its text, made control and end-of-generation.
	if tok.EOT() != 7 || !tok.IsEOG(7) || !tok.IsControl(7) {
		t.Errorf("eot %d, eog %v, control %v", tok.EOT(), tok.EOGs(), tok.IsControl(7))
	}
	if got := tok.Encode("ab<|eot_id|>", false, true); !slices.Equal(got, []int32{5, 7}) {
		t.Errorf("parsed special: %v", got)
	}
	if got := tok.Piece(7, false); len(got) != 0 {
		t.Errorf("control piece rendered: %q", got)
	}
	// No add_bos in the file and a pre-tokenizer without llama.cpp's add_bos
	// default: BOS is not asked for, but can still be added.
	if tok.AddBOS() {
		t.Error("AddBOS true")
	}
	if got := tok.Encode("ab", true, false); !slices.Equal(got, []int32{8, 5}) {
		t.Errorf("with BOS: %v", got)
	}

	// llama-bpe: ignore_merges emits a whole pre-token that is a token.
	l3, err := FromGGUF(ggufOf(t, tinyBPE("llama-bpe")))
	if err != nil {
		t.Fatal(err)
	}
	if !l3.AddBOS() {
		t.Error("llama-bpe should default to add_bos")
	}
	if got := l3.Encode("abcd", false, false); !slices.Equal(got, []int32{6}) {
		t.Errorf("ignore_merges: %v", got)
	}
}

func TestMetadataErrors(t *testing.T) {
	spm, bpe := tinySPM(), tinyBPE("llama-bpe")
	for _, c := range []struct {
		name string
		kvs  kvList
		want string
	}{
		{"no model", spm.with("tokenizer.ggml.model", nil), "tokenizer.ggml.model is missing"},
		{"bad model", spm.with("tokenizer.ggml.model", ptr(gguf.String("bert"))), "unsupported tokenizer.ggml.model"},
		{"no pre", bpe.with("tokenizer.ggml.pre", nil), "tokenizer.ggml.pre is missing"},
		{"bad pre", bpe.with("tokenizer.ggml.pre", ptr(gguf.String("qwen2"))), "unsupported BPE pre-tokenizer"},
		{"no tokens", spm.with("tokenizer.ggml.tokens", nil), "tokenizer.ggml.tokens is missing"},
		{"tokens not strings", spm.with("tokenizer.ggml.tokens", ptr(gguf.ArrayOf([]int32{1, 2}))), "want an array of strings"},
		{"no tokens at all", spm.with("tokenizer.ggml.tokens", ptr(gguf.ArrayOf([]string{}))), "is empty"},
		{"short scores", spm.with("tokenizer.ggml.scores", ptr(gguf.ArrayOf([]float32{0}))), "tokenizer.ggml.scores has 1 entries"},
		{"scores type", spm.with("tokenizer.ggml.scores", ptr(gguf.String("x"))), "tokenizer.ggml.scores is"},
		{"short types", spm.with("tokenizer.ggml.token_type", ptr(gguf.ArrayOf([]int32{1}))), "token_type has 1 entries"},
		{"types type", spm.with("tokenizer.ggml.token_type", ptr(gguf.ArrayOf([]float32{1}))), "want an array of int32"},
		{"duplicate", spm.with("tokenizer.ggml.tokens", ptr(gguf.ArrayOf([]string{"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab", "a"}))), "duplicate token"},
		{"no merges", bpe.with("tokenizer.ggml.merges", nil), "tokenizer.ggml.merges is missing"},
		{"merges type", bpe.with("tokenizer.ggml.merges", ptr(gguf.ArrayOf([]uint32{1}))), "tokenizer.ggml.merges is"},
		{"bos type", spm.with("tokenizer.ggml.bos_token_id", ptr(gguf.String("1"))), "bos_token_id is"},
		{"add_bos without bos", bpe.with("tokenizer.ggml.bos_token_id", nil), "add_bos_token is true"},
		{"add_bos type", spm.with("tokenizer.ggml.add_bos_token", ptr(gguf.Uint32(1))), "add_bos_token is"},
		{"add_eos without eos", bpe.with("tokenizer.ggml.add_eos_token", ptr(gguf.Bool(true))), "add_eos_token is true"},
		{"space prefix type", spm.with("tokenizer.ggml.add_space_prefix", ptr(gguf.String("yes"))), "add_space_prefix is"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, err := FromGGUF(ggufOf(t, c.kvs))
			if err == nil {
				t.Fatalf("no error (tokenizer %v)", tok != nil)
			}
			if !errors.Is(err, ErrMetadata) {
				t.Errorf("error %v does not wrap ErrMetadata", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	if _, err := FromGGUF(nil); !errors.Is(err, ErrMetadata) {
		t.Errorf("FromGGUF(nil) = %v", err)
	}
	if _, err := Load("/nonexistent/model.gguf"); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestMetadataTolerated(t *testing.T) {
	// What llama.cpp accepts with a warning, we accept too.
	spm := tinySPM()
	for _, c := range []struct {
		name string
		kvs  kvList
		chk  func(*Tokenizer) bool
	}{
		{"bos out of range keeps default", spm.with("tokenizer.ggml.bos_token_id", ptr(gguf.Uint32(99999))), func(t *Tokenizer) bool { return t.BOS() == 1 }},
		{"no scores", spm.with("tokenizer.ggml.scores", nil), func(t *Tokenizer) bool { return t.NumTokens() == 10 }},
		{"integer scores", spm.with("tokenizer.ggml.scores", ptr(gguf.ArrayOf([]int32{0, 0, 0, -3, -4, -5, -1, -2, 0, 0}))), func(t *Tokenizer) bool { return t.scores[3] == -3 }},
		{"no token types", spm.with("tokenizer.ggml.token_type", nil), func(t *Tokenizer) bool { return !t.IsControl(1) }},
		{"empty token renamed", spm.with("tokenizer.ggml.tokens", ptr(gguf.ArrayOf([]string{"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab", ""}))), func(t *Tokenizer) bool { return t.TokenText(9) == "[EMPTY_9]" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, err := FromGGUF(ggufOf(t, c.kvs))
			if err != nil {
				t.Fatal(err)
			}
			if !c.chk(tok) {
				t.Error("unexpected tokenizer state")
			}
		})
	}
}
