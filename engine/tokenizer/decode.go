package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// buildPieces renders every token once, with special tokens shown, as
// llama.cpp's token-to-piece cache does; Piece then only slices.
func (t *Tokenizer) buildPieces() {
	t.pieceOff = make([]uint32, len(t.texts)+1)
	buf := make([]byte, 0, len(t.texts)*6)
	for i, text := range t.texts {
		buf = t.renderPiece(buf, int32(i), text)
		t.pieceOff[i+1] = uint32(len(buf))
	}
	t.pieceBuf = buf
}

// renderPiece is llama.cpp's token_to_piece with special=true.
func (t *Tokenizer) renderPiece(dst []byte, id int32, text string) []byte {
	a := t.attrs[id]
	switch {
	case a&(attrUnknown|attrControl|attrUserDefined) != 0:
		return append(dst, text...)
	case a&attrNormal != 0:
		if t.fam == familySPM {
			return append(dst, strings.ReplaceAll(text, spmSpace, " ")...)
		}
		return decodeBPEText(dst, text)
	case a&attrByte != 0:
		return append(dst, byteTokenValue(text))
	}
	// Unused and undefined tokens render as nothing.
	return dst
}

// byteTokenValue parses "<0xNN>" as llama.cpp's token_to_byte does (strtol
// on the two characters after "<0x"): leading hex digits count, anything
// else yields 0.
func byteTokenValue(text string) byte {
	var v byte
	for i := 3; i < 5 && i < len(text); i++ {
		c := text[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | (c - '0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | (c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | (c - 'A' + 10)
		default:
			return v
		}
	}
	return v
}

// AppendPiece appends the bytes of token id to dst, as llama.cpp's
// llama_token_to_piece: "▁" becomes a space (SPM), byte tokens become their
// byte, byte-level BPE text is mapped back to bytes. Control and unknown
// tokens (BOS, <|eot_id|>) add nothing unless renderSpecial; user-defined
// tokens always show their text. An id outside the vocabulary adds nothing.
// The bytes may be part of a UTF-8 sequence.
func (t *Tokenizer) AppendPiece(dst []byte, id int32, renderSpecial bool) []byte {
	if id < 0 || int(id) >= len(t.attrs) {
		return dst
	}
	if !renderSpecial && t.attrs[id]&(attrUnknown|attrControl) != 0 {
		return dst
	}
	return append(dst, t.pieceBuf[t.pieceOff[id]:t.pieceOff[id+1]]...)
}

// Piece returns the bytes of token id (see AppendPiece).
func (t *Tokenizer) Piece(id int32, renderSpecial bool) []byte {
	return t.AppendPiece(nil, id, renderSpecial)
}

// Detokenize is the concatenation of every token's piece, nothing removed:
// exactly the bytes llama.cpp's generation loop prints token by token
// (common_token_to_piece). Use it for text that continues earlier text, such
// as a model's reply after the prompt, where a leading space is real.
func (t *Tokenizer) Detokenize(ids []int32, renderSpecial bool) []byte {
	var out []byte
	for _, id := range ids {
		out = t.AppendPiece(out, id, renderSpecial)
	}
	return out
}

// Decode turns a whole token sequence back into text, special tokens
// hidden. For a vocabulary with add_space_prefix (SentencePiece), the space
// that Encode put in front of the text is removed again: one leading space of
// the first token that renders anything. So Decode(Encode(s, bos, false)) == s
// for every valid UTF-8 s, except that with SentencePiece a "▁" (U+2581) in s
// comes back as a space, being SentencePiece's space marker (FuzzEncode
// states the rule for invalid UTF-8 exactly).
//
// llama.cpp's llama_detokenize differs in two ways that matter only for
// display: it strips that space only when the very first token carries it
// (not after a BOS), and for Llama-3 it "cleans up" spaces before
// punctuation (" ?" -> "?"), which would break the round trip. The bytes may
// be invalid UTF-8 when the tokens are (a model can emit any byte token).
func (t *Tokenizer) Decode(ids []int32) string {
	var out []byte
	started := false
	for _, id := range ids {
		n := len(out)
		out = t.AppendPiece(out, id, false)
		if !started && len(out) > n {
			started = true
			if t.addSpacePrefix && out[n] == ' ' {
				out = append(out[:n], out[n+1:]...)
			}
		}
	}
	return string(out)
}

// Decoder turns a stream of tokens into text as they are generated. It
// holds back bytes that may still become a UTF-8 character (a CJK character
// or emoji spelled with byte tokens, or a BPE token that ends inside one) so
// that every string it returns is whole, valid UTF-8. A Decoder is not safe
// for concurrent use.
type Decoder struct {
	t       *Tokenizer
	strip   bool // drop the add_space_prefix space at the start
	started bool
	pending []byte
	out     []byte
}

// NewDecoder returns a Decoder for a sequence that starts a text: like
// Decode, it drops the space that add_space_prefix put before the first
// word. Its output, concatenated, equals Decode of the same tokens whenever
// that is valid UTF-8.
func (t *Tokenizer) NewDecoder() *Decoder {
	return &Decoder{t: t, strip: t.addSpacePrefix}
}

// NewContinuationDecoder returns a Decoder for tokens that continue earlier
// text, a reply generated after a prompt: nothing is dropped, so its output
// is llama.cpp's token-by-token output (Detokenize) made valid UTF-8.
func (t *Tokenizer) NewContinuationDecoder() *Decoder {
	return &Decoder{t: t}
}

// Push adds one token and returns the text that is now complete.
func (d *Decoder) Push(id int32) string {
	n := len(d.pending)
	d.pending = d.t.AppendPiece(d.pending, id, false)
	if !d.started && len(d.pending) > n {
		d.started = true
		if d.strip && d.pending[n] == ' ' {
			d.pending = append(d.pending[:n], d.pending[n+1:]...)
		}
	}
	return d.drain(false)
}

// Flush returns whatever is held back, each byte that does not form a
// character replaced by U+FFFD, and leaves the Decoder empty but not reset:
// a later Push continues the same text.
func (d *Decoder) Flush() string { return d.drain(true) }

// Reset makes the Decoder ready for a new text.
func (d *Decoder) Reset() {
	d.started = false
	d.pending = d.pending[:0]
}

// drain returns the longest prefix of pending that is made of whole
// characters. Bytes that can never become one are replaced by U+FFFD one by
// one (as a Go range loop over the bytes would), so the result does not
// depend on how the bytes were split into tokens.
func (d *Decoder) drain(final bool) string {
	p := d.pending
	d.out = d.out[:0]
	i := 0
	for i < len(p) {
		c := p[i]
		if c < utf8.RuneSelf {
			d.out = append(d.out, c)
			i++
			continue
		}
		if !final && !utf8.FullRune(p[i:]) {
			break // may still be completed by the next token
		}
		r, w := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && w == 1 {
			d.out = append(d.out, "\uFFFD"...)
		} else {
			d.out = append(d.out, p[i:i+w]...)
		}
		i += w
	}
	d.pending = append(d.pending[:0], p[i:]...)
	if len(d.out) == 0 {
		return ""
	}
	return string(d.out)
}
