package tokenizer

import (
	"slices"
	"testing"
)

func split(s string) []string {
	var out []string
	splitLlama3(sanitizeUTF8(s), func(w string) { out = append(out, w) })
	return out
}

func TestSplitLlama3(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"I'm YOU'RE we'Ll", []string{"I", "'m", " YOU", "'RE", " we", "'Ll"}},
		{"1234567", []string{"123", "456", "7"}},
		{"a  b", []string{"a", " ", " b"}},         // \s+(?!\S) leaves one space to the word
		{"a \n\n b", []string{"a", " \n\n", " b"}}, // \s*[\r\n]+
		{"x...!\n\ny", []string{"x", "...!\n\n", "y"}},
		{" ?!", []string{" ?!"}},
		{"trailing  ", []string{"trailing", "  "}},
		{"日本語テキスト", []string{"日本語テキスト"}},
		{"_id|>", []string{"_id", "|>"}},
		{" 42", []string{" ", "42"}},
		{"'x", []string{"'x"}},
		// Unassigned code points are neither letters, digits nor space.
		{" \u0378\u0379", []string{" \u0378\u0379"}},
		// CJK Extension I (Unicode 15.1) is a letter, as in llama.cpp.
		{"\U0002EBF0\U0002EBF1", []string{"\U0002EBF0\U0002EBF1"}},
		{"", nil},
	} {
		if got := split(c.in); !slices.Equal(got, c.want) {
			t.Errorf("split(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLaxUTF8(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain ascii", "plain ascii"},
		{"日本", "日本"},
		{"\xff", "\uFFFD"},
		{"a\x80b", "a\uFFFDb"},
		{"\xe4\xb8", "\uFFFD\uFFFD"},                     // cut short: each byte
		{"\xc0\x80", "\x00"},                             // overlong NUL is decoded as NUL
		{"\xc1\x81", "A"},                                // overlong 'A'
		{"\xed\xa0\x80", "\xed\xa0\x80"},                 // surrogate kept as is
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // above U+10FFFF
		{"\xf8\x88\x80\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD"},
	} {
		if got := sanitizeUTF8(c.in); got != c.want {
			t.Errorf("sanitizeUTF8(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, r := range []rune{0, 0x7F, 0x80, 0x7FF, 0x800, 0xD800, 0xFFFF, 0x10000, 0x10FFFF} {
		enc := string(encodeLax(nil, r))
		got, n := decodeLax(enc, 0)
		if got != r || n != len(enc) {
			t.Errorf("encodeLax/decodeLax(%#x) = %#x, %d bytes of %d", r, got, n, len(enc))
		}
	}
}

func TestDecodeBPEText(t *testing.T) {
	// "Ġ" is the space byte, "é" is byte 0xE9 itself; "€" is no byte
	// character, and llama.cpp marks it with the whole token text.
	if got := string(decodeBPEText(nil, "Ġaé")); got != " a\xe9" {
		t.Errorf("got %q", got)
	}
	if got, want := string(decodeBPEText(nil, "a€")), "a[UNK_BYTE_0xe282aca€]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Every byte survives the round trip through its character.
	for b := 0; b < 256; b++ {
		if got := decodeBPEText(nil, string(byteToRune[b])); len(got) != 1 || got[0] != byte(b) {
			t.Errorf("byte %#x: %q", b, got)
		}
	}
}
