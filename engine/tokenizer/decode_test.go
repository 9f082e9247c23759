package tokenizer

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// perByteValid is s with each byte that is not part of a valid UTF-8
// character replaced by U+FFFD, the Decoder's rule (Go's []rune conversion).
func perByteValid(s string) string { return string([]rune(s)) }

// stream pushes ids through d and checks that every returned string is
// whole UTF-8; it returns the concatenation including Flush.
func stream(tb testing.TB, d *Decoder, ids []int32) string {
	tb.Helper()
	var b strings.Builder
	for _, id := range ids {
		s := d.Push(id)
		if !utf8.ValidString(s) {
			tb.Fatalf("Push(%d) returned invalid UTF-8 %q", id, s)
		}
		b.WriteString(s)
	}
	s := d.Flush()
	if !utf8.ValidString(s) {
		tb.Fatalf("Flush returned invalid UTF-8 %q", s)
	}
	b.WriteString(s)
	return b.String()
}

func TestRoundTrip(t *testing.T) {
	for _, vocab := range []string{spmVocab, bpeVocab} {
		t.Run(vocab, func(t *testing.T) {
			tok := loadFixture(t, vocab)
			texts := []string{}
			for _, c := range readVocabCases(t, vocab) {
				texts = append(texts, c.text)
			}
			texts = append(texts, userTexts...)
			pass := 0
			for _, s := range texts {
				ok := true
				for _, bos := range []bool{false, true} {
					ids := tok.Encode(s, bos, false)
					if got := tok.Decode(ids); got != s {
						t.Errorf("Decode(Encode(%q, bos=%v)) = %q", s, bos, got)
						ok = false
					}
					if got := stream(t, tok.NewDecoder(), ids); got != tok.Decode(ids) {
						t.Errorf("Decoder on %q = %q, Decode = %q", s, got, tok.Decode(ids))
						ok = false
					}
					if got, want := stream(t, tok.NewContinuationDecoder(), ids), string(tok.Detokenize(ids, false)); got != want {
						t.Errorf("continuation Decoder on %q = %q, Detokenize = %q", s, got, want)
						ok = false
					}
				}
				if ok {
					pass++
				}
			}
			t.Logf("%s: %d/%d strings round-trip (Decode, Decoder, continuation Decoder)", vocab, pass, len(texts))
		})
	}
}

func TestPieces(t *testing.T) {
	spm := loadFixture(t, spmVocab)
	hello, _ := spm.Lookup("▁Hello")
	for _, c := range []struct {
		id      int32
		special bool
		want    string
	}{
		{hello, false, " Hello"},
		{1, false, ""},         // <s> is control
		{1, true, "<s>"},       // unless asked
		{0, false, ""},         // <unk> too
		{0, true, "<unk>"},     //
		{3 + 0x41, false, "A"}, // <0x41>
		{3 + 0xE4, false, "\xE4"},
		{-1, true, ""},
		{32000, true, ""},
	} {
		if got := string(spm.Piece(c.id, c.special)); got != c.want {
			t.Errorf("spm Piece(%d, %v) = %q, want %q", c.id, c.special, got, c.want)
		}
	}
	bpe := loadFixture(t, bpeVocab)
	the, _ := bpe.Lookup("Ġthe")
	nl, _ := bpe.Lookup("Ċ")
	for _, c := range []struct {
		id      int32
		special bool
		want    string
	}{
		{the, false, " the"},
		{nl, false, "\n"},
		{128009, false, ""},
		{128009, true, "<|eot_id|>"},
	} {
		if got := string(bpe.Piece(c.id, c.special)); got != c.want {
			t.Errorf("bpe Piece(%d, %v) = %q, want %q", c.id, c.special, got, c.want)
		}
	}
	// Pieces are copies: changing one does not change the tokenizer.
	p := bpe.Piece(the, false)
	p[0] = 'X'
	if got := string(bpe.Piece(the, false)); got != " the" {
		t.Errorf("Piece aliases the tokenizer's storage: %q", got)
	}
}

func TestDecoderSPMByteTokens(t *testing.T) {
	tok := loadFixture(t, spmVocab)
	// These characters are not in the Llama-2 vocabulary, so SentencePiece
	// spells them with byte tokens, one UTF-8 byte per token.
	s := "Emoji 😀 and 𝔘 and 丂"
	ids := tok.Encode(s, true, false)
	nBytes := 0
	for _, id := range ids {
		if tok.attrs[id]&attrByte != 0 {
			nBytes++
		}
	}
	if nBytes < 8 {
		t.Fatalf("expected byte tokens for %q, got %v", s, ids)
	}
	d := tok.NewDecoder()
	var out strings.Builder
	for _, id := range ids {
		piece := d.Push(id)
		if !utf8.ValidString(piece) {
			t.Fatalf("Push returned a partial character %q", piece)
		}
		out.WriteString(piece)
	}
	out.WriteString(d.Flush())
	if out.String() != s {
		t.Errorf("streamed %q, want %q", out.String(), s)
	}

	// The emoji's bytes come out only with its last byte.
	d.Reset()
	var got []string
	for _, b := range []byte("😀") {
		got = append(got, d.Push(tok.byteTok[b]))
	}
	if want := []string{"", "", "", "😀"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("byte-by-byte emoji: %q, want %q", got, want)
	}
}

func TestDecoderBPECutInsideCharacter(t *testing.T) {
	tok := loadFixture(t, bpeVocab)
	s := "日本語のテキストと中文文本，还有😀🇩🇪 and ✓."
	ids := tok.Encode(s, false, false)
	partial := 0
	for _, id := range ids {
		if !utf8.Valid(tok.Piece(id, false)) {
			partial++
		}
	}
	if partial == 0 {
		t.Fatalf("no token of %q ends inside a character; the test needs one", s)
	}
	if got := stream(t, tok.NewDecoder(), ids); got != s {
		t.Errorf("streamed %q, want %q", got, s)
	}
	t.Logf("%d of %d tokens are partial UTF-8; streamed whole", partial, len(ids))
}

func TestDecoderInvalidBytes(t *testing.T) {
	tok := loadFixture(t, spmVocab)
	b := func(c byte) int32 { return tok.byteTok[c] }
	d := tok.NewContinuationDecoder()
	// A lead byte followed by something that cannot continue it.
	if got := d.Push(b(0xE4)); got != "" {
		t.Errorf("lead byte alone: %q", got)
	}
	if got := d.Push(b('A')); got != "\uFFFDA" {
		t.Errorf("broken sequence: %q, want %q", got, "\uFFFDA")
	}
	// A stray continuation byte is replaced at once.
	if got := d.Push(b(0x80)); got != "\uFFFD" {
		t.Errorf("stray continuation byte: %q", got)
	}
	// An incomplete sequence at the end comes out of Flush, one U+FFFD per byte.
	d.Push(b(0xF0))
	d.Push(b(0x9F))
	if got := d.Flush(); got != "\uFFFD\uFFFD" {
		t.Errorf("Flush of an incomplete sequence: %q", got)
	}
	if got := d.Flush(); got != "" {
		t.Errorf("second Flush: %q", got)
	}
	// Whole-sequence decoding keeps the raw bytes; the streamed text is the
	// same with invalid bytes replaced.
	ids := []int32{b(0xE4), b('A'), b(0x80), b(0xF0), b(0x9F)}
	raw := tok.Decode(ids)
	if !bytes.Equal([]byte(raw), []byte{0xE4, 'A', 0x80, 0xF0, 0x9F}) {
		t.Errorf("Decode = %q", raw)
	}
	if got := stream(t, tok.NewDecoder(), ids); got != perByteValid(raw) {
		t.Errorf("stream = %q, want %q", got, perByteValid(raw))
	}
}

func TestDecoderLeadingSpace(t *testing.T) {
	tok := loadFixture(t, spmVocab)
	ids := tok.Encode("Hello world", true, false) // [BOS ▁Hello ▁world]
	if got := stream(t, tok.NewDecoder(), ids); got != "Hello world" {
		t.Errorf("NewDecoder: %q", got)
	}
	if got := stream(t, tok.NewContinuationDecoder(), ids); got != " Hello world" {
		t.Errorf("NewContinuationDecoder: %q", got)
	}
	// Only the very start loses its space, also after a Flush...
	d := tok.NewDecoder()
	a := d.Push(ids[1]) + d.Flush() + d.Push(ids[2])
	if a != "Hello world" {
		t.Errorf("after Flush: %q", a)
	}
	// ...and Reset starts over.
	d.Reset()
	if got := d.Push(ids[2]); got != "world" {
		t.Errorf("after Reset: %q", got)
	}
	// BPE has no space prefix: nothing is dropped.
	bpe := loadFixture(t, bpeVocab)
	ids = bpe.Encode(" Hello", false, false)
	if got := stream(t, bpe.NewDecoder(), ids); got != " Hello" {
		t.Errorf("bpe NewDecoder: %q", got)
	}
}
