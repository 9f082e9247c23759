package tokenizer

// SentencePiece (llama.cpp's llm_tokenizer_spm): spaces become "▁", the text
// is cut into UTF-8 characters, and adjacent symbols are merged greedily,
// highest vocabulary score first, for as long as the merged text is a token.
// What is left that is no token is spelled with byte tokens <0xNN>.

const spmSpace = "\u2581" // ▁

type spmSymbol struct {
	start, n   int32 // byte range in the escaped text; n == 0 once merged away
	prev, next int32
}

type spmBigram struct {
	left, right int32
	score       float32
	size        int32
}

// before orders spm bigrams like llama.cpp's llm_bigram_spm comparator:
// highest score first, then leftmost.
func (b spmBigram) before(o spmBigram) bool {
	if b.score != o.score {
		return b.score > o.score
	}
	return b.left < o.left
}

type spmSession struct {
	t     *Tokenizer
	buf   []byte
	syms  []spmSymbol
	queue queue[spmBigram]
}

// utf8Len is llama.cpp's unicode_len_utf8: the length a lead byte announces,
// without checking what follows (a stray continuation byte counts as 1).
func utf8Len(b byte) int32 {
	switch b >> 4 {
	case 0xC, 0xD:
		return 2
	case 0xE:
		return 3
	case 0xF:
		return 4
	}
	return 1
}

// tokenize appends the tokens of one raw-text fragment. spacePrefix is
// llama.cpp's "add_space_prefix && is_prev_special": the fragment opens the
// text or follows a special token.
func (s *spmSession) tokenize(fragment string, spacePrefix bool, out []int32) []int32 {
	t := s.t
	// llama_escape_whitespace: every ' ' becomes "▁" (no other whitespace).
	s.buf = s.buf[:0]
	if spacePrefix {
		s.buf = append(s.buf, spmSpace...)
	}
	for i := 0; i < len(fragment); i++ {
		if fragment[i] == ' ' {
			s.buf = append(s.buf, spmSpace...)
		} else {
			s.buf = append(s.buf, fragment[i])
		}
	}
	if len(s.buf) == 0 {
		return out
	}
	text := string(s.buf)

	s.syms = s.syms[:0]
	s.queue = s.queue[:0]
	for off := int32(0); off < int32(len(text)); {
		n := min(utf8Len(text[off]), int32(len(text))-off)
		idx := int32(len(s.syms))
		next := idx + 1
		if off+n == int32(len(text)) {
			next = -1
		}
		s.syms = append(s.syms, spmSymbol{start: off, n: n, prev: idx - 1, next: next})
		off += n
	}
	for i := int32(1); i < int32(len(s.syms)); i++ {
		s.addBigram(text, i-1, i)
	}
	for len(s.queue) > 0 {
		b := s.queue.pop()
		l, r := &s.syms[b.left], &s.syms[b.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue // stale: a side was merged since the pair was queued
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			s.syms[r.next].prev = b.left
		}
		s.addBigram(text, l.prev, b.left)
		s.addBigram(text, b.left, l.next)
	}

	for i := int32(0); i != -1; i = s.syms[i].next {
		sym := s.syms[i]
		piece := text[sym.start : sym.start+sym.n]
		if id, ok := t.vocab[piece]; ok {
			out = append(out, id)
			continue
		}
		// llama.cpp's resegment would next look the text up among the merges
		// it made, but only texts that are tokens are merged, so a symbol
		// that is no token was never merged: it is one character, spelled in
		// bytes.
		for j := 0; j < len(piece); j++ {
			id := t.byteTok[piece[j]]
			if id == noToken {
				// llama.cpp throws here (a vocabulary without byte fallback
				// meets an unknown character); <unk> keeps the request alive.
				id = t.unk
			}
			if id != noToken {
				out = append(out, id)
			}
		}
	}
	return out
}

func (s *spmSession) addBigram(text string, l, r int32) {
	if l == -1 || r == -1 {
		return
	}
	a, b := s.syms[l], s.syms[r]
	id, ok := s.t.vocab[text[a.start:b.start+b.n]]
	if !ok {
		return
	}
	s.queue.push(spmBigram{left: l, right: r, score: s.t.scores[id], size: a.n + b.n})
}
