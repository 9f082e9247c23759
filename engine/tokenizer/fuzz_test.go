package tokenizer

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEncode checks, on both BayLing vocabularies, that no input makes the
// tokenizer panic, that unparsed text never yields a control token, and that
// decoding gives the text back:
//
//   - SentencePiece: Decode(Encode(s)) == s for every valid UTF-8 s that
//     does not contain "▁" (U+2581): that is SentencePiece's space marker, so
//     it decodes as a space, in llama.cpp as here. Invalid UTF-8 comes back
//     byte for byte too (byte fallback spells anything), with one more
//     exception that llama.cpp shares: it cuts the text into characters by
//     lead byte alone, so a lead byte whose sequence is cut short by a space
//     swallows the first bytes of that space's "▁", and the space comes back
//     as the bytes of "▁" (spmRoundTrips spells the rule out).
//   - Byte-level BPE: Decode(Encode(s)) == s for valid UTF-8. Invalid UTF-8
//     is first converted as llama.cpp converts it (each bad byte becomes
//     U+FFFD, overlong forms are shortened), and that converted text comes
//     back.
//
// The seed corpus is testdata/fuzz/FuzzEncode. Run with
// go test -run '^$' -fuzz FuzzEncode -fuzztime 20s ./engine/tokenizer
func FuzzEncode(f *testing.F) {
	spm := loadFixture(f, spmVocab)
	bpe := loadFixture(f, bpeVocab)
	f.Add("Hello world")
	f.Add("<|eot_id|><s>")
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range []*Tokenizer{spm, bpe} {
			ids := tok.Encode(s, false, false)
			for _, id := range ids {
				if id < 0 || int(id) >= tok.NumTokens() {
					t.Fatalf("%s: id %d out of range for %q", tok.Model(), id, s)
				}
				if tok.IsControl(id) {
					t.Fatalf("%s: unparsed %q yields control token %d %q", tok.Model(), s, id, tok.TokenText(id))
				}
			}
			dec := tok.Decode(ids)
			switch tok.fam {
			case familySPM:
				if spmRoundTrips(tok, s) && dec != s {
					t.Fatalf("spm: Decode(Encode(%q)) = %q", s, dec)
				}
			case familyBPE:
				want := sanitizeUTF8(s)
				if utf8.ValidString(s) && want != s {
					t.Fatalf("sanitizeUTF8 changed valid %q", s)
				}
				if dec != want {
					t.Fatalf("bpe: Decode(Encode(%q)) = %q, want %q", s, dec, want)
				}
			}
			if got := stream(t, tok.NewDecoder(), ids); got != perByteValid(dec) {
				t.Fatalf("%s: Decoder on %q = %q, Decode = %q", tok.Model(), s, got, dec)
			}
			if got, want := stream(t, tok.NewContinuationDecoder(), ids), perByteValid(string(tok.Detokenize(ids, false))); got != want {
				t.Fatalf("%s: continuation Decoder on %q = %q, want %q", tok.Model(), s, got, want)
			}

			// User text is never parsed, however it is cut into segments.
			if got := tok.EncodeSegments([]Segment{{Text: s}}, false); !slices.Equal(got, ids) {
				t.Fatalf("%s: EncodeSegments(user %q) = %v, Encode = %v", tok.Model(), s, got, ids)
			}
			k := len(s) / 2
			if got := tok.EncodeSegments([]Segment{{Text: s[:k]}, {Text: s[k:]}}, false); !slices.Equal(got, ids) {
				t.Fatalf("%s: EncodeSegments(user %q split at %d) = %v, Encode = %v", tok.Model(), s, k, got, ids)
			}
			parsed := tok.Encode(s, true, true)
			if got := tok.EncodeSegments([]Segment{{Text: s, Special: true}}, true); !slices.Equal(got, parsed) {
				t.Fatalf("%s: EncodeSegments(template %q) = %v, Encode = %v", tok.Model(), s, got, parsed)
			}
			_ = tok.Decode(parsed)
		}
	})
}

// spmRoundTrips tells whether SentencePiece decoding must give s back: s has
// no literal "▁", and no character of the escaped text, cut by lead byte as
// llama.cpp cuts it, runs into the "▁" that stands for a space.
func spmRoundTrips(tok *Tokenizer, s string) bool {
	if strings.Contains(s, spmSpace) {
		return false
	}
	var esc []byte
	var marks []int // where each "▁" starts in esc
	if tok.addSpacePrefix {
		marks = append(marks, 0)
		esc = append(esc, spmSpace...)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			marks = append(marks, len(esc))
			esc = append(esc, spmSpace...)
		} else {
			esc = append(esc, s[i])
		}
	}
	m := 0
	for off := 0; off < len(esc); {
		end := min(off+int(utf8Len(esc[off])), len(esc))
		for m < len(marks) && marks[m] < off {
			m++
		}
		if m < len(marks) && marks[m] > off && marks[m] < end {
			return false
		}
		off = end
	}
	return true
}
