package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Code point classes used by the Llama-3 pre-tokenizer. llama.cpp derives
// them from its own Unicode tables (unicode-data.cpp, Unicode 15.1); Go's
// unicode package is Unicode 15.0. The only 15.1 change that moves a code
// point into \p{L} or \p{N} is CJK Extension I (U+2EBF0..U+2EE5D, Lo), added
// by hand below. The other 15.1 additions (U+2FFC..U+2FFF, U+31EF) are
// symbols, which the splitter treats exactly like unassigned code points.
const (
	clsLetter = 1 << iota
	clsNumber
	clsSpace
)

// asciiClass is the class of every ASCII code point, the common case.
var asciiClass = func() (c [128]uint8) {
	for r := rune(0); r < 128; r++ {
		c[r] = classOfSlow(r)
	}
	return c
}()

func classOf(r rune) uint8 {
	if r >= 0 && r < 128 {
		return asciiClass[r]
	}
	return classOfSlow(r)
}

func classOfSlow(r rune) uint8 {
	var c uint8
	if unicode.IsLetter(r) || r >= 0x2EBF0 && r <= 0x2EE5D {
		c |= clsLetter
	}
	if unicode.IsNumber(r) {
		c |= clsNumber
	}
	if isLlamaSpace(r) {
		c |= clsSpace
	}
	return c
}

// isLlamaSpace is llama.cpp's unicode_set_whitespace: the Unicode White_Space
// property. Go's unicode.IsSpace is the same set today; the list is spelled
// out so that a change on either side cannot silently change tokenization.
func isLlamaSpace(r rune) bool {
	switch r {
	case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680,
		0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// decodeLax decodes one code point at s[i] the way llama.cpp's
// unicode_cpt_from_utf8 does: the lead byte alone decides the length and
// continuation bytes are checked, but overlong forms and surrogates are
// accepted. n == 0 means the bytes are invalid there; llama.cpp then yields
// U+FFFD and moves on by one byte. A 4-byte form above U+10FFFF is also
// reported invalid: llama.cpp decodes it but then throws while re-encoding,
// failing the whole tokenization, which a daemon cannot do.
func decodeLax(s string, i int) (r rune, n int) {
	b0 := s[i]
	switch {
	case b0 < 0x80:
		return rune(b0), 1
	case b0&0x40 == 0: // stray continuation byte
		return 0, 0
	case b0&0x20 == 0:
		if i+1 >= len(s) || s[i+1]&0xC0 != 0x80 {
			return 0, 0
		}
		return rune(b0&0x1F)<<6 | rune(s[i+1]&0x3F), 2
	case b0&0x10 == 0:
		if i+2 >= len(s) || s[i+1]&0xC0 != 0x80 || s[i+2]&0xC0 != 0x80 {
			return 0, 0
		}
		return rune(b0&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
	case b0&0x08 == 0:
		if i+3 >= len(s) || s[i+1]&0xC0 != 0x80 || s[i+2]&0xC0 != 0x80 || s[i+3]&0xC0 != 0x80 {
			return 0, 0
		}
		r = rune(b0&0x07)<<18 | rune(s[i+1]&0x3F)<<12 | rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F)
		if r > unicode.MaxRune {
			return 0, 0
		}
		return r, 4
	}
	return 0, 0
}

// encodeLax is llama.cpp's unicode_cpt_to_utf8, which (unlike
// utf8.AppendRune) writes surrogates as their 3-byte form.
func encodeLax(dst []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(dst, byte(r))
	case r < 0x800:
		return append(dst, 0xC0|byte(r>>6), 0x80|byte(r)&0x3F)
	case r < 0x10000:
		return append(dst, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	}
	return append(dst, 0xF0|byte(r>>18), 0x80|byte(r>>12)&0x3F, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
}

// sanitizeUTF8 is what the BPE path does to its input before anything else:
// llama.cpp converts the text to code points and back, so each invalid byte
// becomes U+FFFD and overlong forms become their short form. Valid UTF-8
// comes back unchanged (and without a copy).
func sanitizeUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := decodeLax(s, i)
		if n == 0 {
			out = append(out, "\uFFFD"...)
			i++
			continue
		}
		out = encodeLax(out, r)
		i += n
	}
	return string(out)
}

// splitLlama3 cuts text into pre-tokens with the Llama-3 regex
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// following llama.cpp's hand-written matcher
// (unicode_regex_split_custom_llama3) step by step rather than translating
// the regex (Go's regexp has no lookahead), since llama.cpp's matcher is what
// produced the token ids we must reproduce, corner cases included. text must
// have been through sanitizeUTF8.
func splitLlama3(text string, emit func(word string)) {
	if text == "" {
		return
	}
	// Decode once: code points, their byte offsets, and their classes.
	n := 0
	for i := 0; i < len(text); n++ {
		_, w := decodeLax(text, i)
		if w == 0 {
			w = 1 // cannot happen after sanitizeUTF8; stay safe regardless
		}
		i += w
	}
	cpts := make([]rune, n)
	offs := make([]int, n+1)
	cls := make([]uint8, n)
	for i, k := 0, 0; k < n; k++ {
		r, w := decodeLax(text, i)
		if w == 0 {
			r, w = utf8.RuneError, 1
		}
		cpts[k], offs[k], cls[k] = r, i, classOf(r)
		i += w
	}
	offs[n] = len(text)

	const outOfRange = -1
	cpt := func(p int) rune {
		if p < n {
			return cpts[p]
		}
		return outOfRange
	}
	class := func(p int) uint8 {
		if p < n {
			return cls[p]
		}
		return 0
	}
	prevEnd := 0
	add := func(end int) {
		if end > prevEnd {
			emit(text[offs[prevEnd]:offs[end]])
		}
		prevEnd = end
	}

	for pos := 0; pos < n; {
		c := cpts[pos]
		f := cls[pos]

		// (?i:'s|'t|'re|'ve|'m|'ll|'d)
		if c == '\'' && pos+1 < n {
			c1 := asciiLower(cpts[pos+1])
			if c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd' {
				pos += 2
				add(pos)
				continue
			}
			if pos+2 < n {
				c2 := asciiLower(cpts[pos+2])
				if c1 == 'r' && c2 == 'e' || c1 == 'v' && c2 == 'e' || c1 == 'l' && c2 == 'l' {
					pos += 3
					add(pos)
					continue
				}
			}
		}

		// [^\r\n\p{L}\p{N}]?\p{L}+
		if !(c == '\r' || c == '\n' || f&clsNumber != 0) {
			if f&clsLetter != 0 || class(pos+1)&clsLetter != 0 {
				pos++
				for class(pos)&clsLetter != 0 {
					pos++
				}
				add(pos)
				continue
			}
		}

		// \p{N}{1,3}
		if f&clsNumber != 0 {
			ini := pos
			for class(pos)&clsNumber != 0 {
				pos++
				if pos-ini >= 3 {
					add(pos)
					ini = pos
				}
			}
			add(pos)
			continue
		}

		// ' ?[^\s\p{L}\p{N}]+[\r\n]*'. In llama.cpp the test looks at the
		// class of the code point after an optional space; a position past
		// the end has no class at all and ends the run, and the current code
		// point always has some class, which is why it is not tested here.
		f2 := f
		if c == ' ' {
			f2 = class(pos + 1)
		}
		if f2&(clsSpace|clsLetter|clsNumber) == 0 {
			if c == ' ' {
				pos++
			}
			for pos < n && cls[pos]&(clsSpace|clsLetter|clsNumber) == 0 {
				pos++
			}
			for c2 := cpt(pos); c2 == '\r' || c2 == '\n'; c2 = cpt(pos) {
				pos++
			}
			add(pos)
			continue
		}

		numSpaces := 0
		lastCRLFEnd := 0
		for class(pos+numSpaces)&clsSpace != 0 {
			if c2 := cpts[pos+numSpaces]; c2 == '\r' || c2 == '\n' {
				lastCRLFEnd = pos + numSpaces + 1
			}
			numSpaces++
		}
		// \s*[\r\n]+
		if lastCRLFEnd > 0 {
			pos = lastCRLFEnd
			add(pos)
			continue
		}
		// \s+(?!\S): leave the last space to the word that follows.
		if numSpaces > 1 && pos+numSpaces < n {
			pos += numSpaces - 1
			add(pos)
			continue
		}
		// \s+
		if numSpaces > 0 {
			pos += numSpaces
			add(pos)
			continue
		}
		// No alternative matched.
		pos++
		add(pos)
	}
}

// asciiLower is unicode_tolower as far as the contraction test can tell: no
// non-ASCII code point lowercases to one of s, t, m, d, r, e, v, l.
func asciiLower(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}
