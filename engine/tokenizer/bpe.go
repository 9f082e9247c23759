package tokenizer

import (
	"strings"
	"unicode/utf8"

	"github.com/baylingd/baylingd/engine/gguf"
)

// byteToRune is GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for
// themselves and the rest (controls, space, 0x7F-0xA0, 0xAD) are moved to
// U+0100 upwards in byte order, so every byte has a visible, non-space
// character and BPE never sees raw whitespace.
var byteToRune = func() (m [256]rune) {
	n := rune(0)
	for b := 0; b < 256; b++ {
		if b >= 0x21 && b <= 0x7E || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF {
			m[b] = rune(b)
		} else {
			m[b] = 256 + n
			n++
		}
	}
	return m
}()

// runeToByte inverts byteToRune; the largest mapped rune is U+0143.
var runeToByte = func() (m [0x144]int16) {
	for i := range m {
		m[i] = -1
	}
	for b, r := range byteToRune {
		m[r] = int16(b)
	}
	return m
}()

// Merge table packing: a value holds the merge's rank in the high 32 bits and
// the id of the merged token (or noToken) in the low 32.
func packMerge(rank int, id int32) uint64 { return uint64(rank)<<32 | uint64(uint32(id)) }
func unpackMerge(v uint64) (rank int32, id int32) {
	return int32(v >> 32), int32(uint32(v))
}
func pairKey(l, r int32) uint64 { return uint64(uint32(l))<<32 | uint64(uint32(r)) }

// buildMerges reads tokenizer.ggml.merges ("left right", rank = position).
// Pairs whose both sides are vocabulary tokens, which is every pair of a sane
// vocabulary, are keyed by the two ids so that merging never builds strings;
// the rest are kept by text so that an odd file still tokenizes as llama.cpp
// does, where a merge may produce a string that is not itself a token.
func (t *Tokenizer) buildMerges(f *gguf.File) error {
	for b := 0; b < 256; b++ {
		t.byteChar[b] = string(byteToRune[b])
		if id, ok := t.vocab[t.byteChar[b]]; ok {
			t.charTok[b] = id
		} else {
			t.charTok[b] = noToken
		}
	}
	v, ok := f.Get("tokenizer.ggml.merges")
	if !ok {
		return metaErr("tokenizer.ggml.merges is missing, a gpt2 (BPE) vocabulary needs it")
	}
	merges, ok := f.Strings("tokenizer.ggml.merges")
	if !ok {
		return metaErr("tokenizer.ggml.merges is %s, want an array of strings", v.Type)
	}
	if int64(len(merges)) >= 1<<31 {
		return metaErr("tokenizer.ggml.merges has too many entries (%d)", len(merges))
	}
	t.merges = make(map[uint64]uint64, len(merges))
	var buf []byte
	for rank, m := range merges {
		// llama.cpp splits at the first space after the first byte, so a
		// merge may start with a space; a line without one is a pair of
		// empty strings that can never match, so it is skipped.
		if len(m) < 2 {
			continue
		}
		sp := strings.IndexByte(m[1:], ' ')
		if sp < 0 {
			continue
		}
		left, right := m[:sp+1], m[sp+2:]
		buf = append(append(buf[:0], left...), right...)
		merged, ok := t.vocab[string(buf)]
		if !ok {
			merged = noToken
		}
		lid, lok := t.vocab[left]
		rid, rok := t.vocab[right]
		if lok && rok {
			k := pairKey(lid, rid)
			if _, dup := t.merges[k]; !dup { // the first rank wins, as with emplace
				t.merges[k] = packMerge(rank, merged)
			}
			continue
		}
		if t.mergesStr == nil {
			t.mergesStr = make(map[string]uint64)
		}
		if _, dup := t.mergesStr[m]; !dup {
			t.mergesStr[m] = packMerge(rank, merged)
		}
	}
	return nil
}

// bpeSymbol is a run of bytes of the word being merged.
type bpeSymbol struct {
	start, end int32 // byte range in the (unencoded) word
	id         int32 // token whose text is the encoded run, or noToken
	prev, next int32
}

type bpeBigram struct {
	left, right int32
	rank        int32
	size        int32 // bytes of the pair when pushed, to spot stale entries
}

// before orders bpe bigrams like llama.cpp's llm_bigram_bpe comparator:
// lowest rank first, then leftmost.
func (b bpeBigram) before(o bpeBigram) bool {
	if b.rank != o.rank {
		return b.rank < o.rank
	}
	return b.left < o.left
}

// bpeSession holds the scratch space of one Encode call.
type bpeSession struct {
	t     *Tokenizer
	syms  []bpeSymbol
	queue queue[bpeBigram]
	enc   []byte // byte-encoded text of a word or symbol
	key   []byte
}

// encodeBytes appends the GPT-2 byte encoding of b to dst.
func (t *Tokenizer) encodeBytes(dst []byte, b string) []byte {
	for i := 0; i < len(b); i++ {
		dst = append(dst, t.byteChar[b[i]]...)
	}
	return dst
}

// tokenize appends the tokens of one raw-text fragment to out, following
// llm_tokenizer_bpe_session::tokenize.
func (s *bpeSession) tokenize(text string, out []int32) []int32 {
	text = sanitizeUTF8(text)
	splitLlama3(text, func(word string) {
		out = s.word(word, out)
	})
	return out
}

func (s *bpeSession) word(word string, out []int32) []int32 {
	t := s.t
	if t.ignoreMerges {
		// Llama-3: a pre-token that is itself in the vocabulary is emitted
		// whole, even where the merge ranks would split it differently.
		s.enc = t.encodeBytes(s.enc[:0], word)
		if id, ok := t.vocab[string(s.enc)]; ok {
			return append(out, id)
		}
	}
	if len(word) == 1 {
		// Nothing to merge; skip the queue machinery.
		return s.emit(word, t.charTok[word[0]], out)
	}

	s.syms = s.syms[:0]
	s.queue = s.queue[:0]
	n := int32(len(word))
	for i := int32(0); i < n; i++ {
		next := i + 1
		if next == n {
			next = -1
		}
		s.syms = append(s.syms, bpeSymbol{start: i, end: i + 1, id: t.charTok[word[i]], prev: i - 1, next: next})
	}
	for i := int32(1); i < n; i++ {
		s.addBigram(word, i-1, i)
	}
	for len(s.queue) > 0 {
		b := s.queue.pop()
		l, r := &s.syms[b.left], &s.syms[b.right]
		// Skip pairs that went stale: a side was merged away or grew since
		// the pair was queued (llama.cpp compares the texts; since a
		// symbol's start never moves, comparing lengths is the same test).
		if l.end == l.start || r.end == r.start || (l.end-l.start)+(r.end-r.start) != b.size {
			continue
		}
		_, merged := s.lookup(word, b.left, b.right)
		l.end = r.end
		l.id = merged
		r.end = r.start // empty: merged away
		l.next = r.next
		if r.next >= 0 {
			s.syms[r.next].prev = b.left
		}
		s.addBigram(word, l.prev, b.left)
		s.addBigram(word, b.left, l.next)
	}
	for i := int32(0); i != -1; i = s.syms[i].next {
		sym := &s.syms[i]
		out = s.emit(word[sym.start:sym.end], sym.id, out)
	}
	return out
}

// emit appends the token of a final symbol. A symbol that is no token (only
// possible with an odd vocabulary) falls back, as in llama.cpp, to the
// tokens of the single bytes of its encoded text, dropping any that are
// missing.
func (s *bpeSession) emit(raw string, id int32, out []int32) []int32 {
	if id != noToken {
		return append(out, id)
	}
	t := s.t
	s.enc = t.encodeBytes(s.enc[:0], raw)
	if id, ok := t.vocab[string(s.enc)]; ok {
		return append(out, id)
	}
	for _, c := range s.enc {
		if id, ok := t.vocab[string([]byte{c})]; ok {
			out = append(out, id)
		}
	}
	return out
}

// lookup finds the merge of symbols l and r: its rank (-1 when none) and the
// merged token.
func (s *bpeSession) lookup(word string, l, r int32) (rank, merged int32) {
	t := s.t
	a, b := &s.syms[l], &s.syms[r]
	if a.id != noToken && b.id != noToken {
		v, ok := t.merges[pairKey(a.id, b.id)]
		if !ok {
			return -1, noToken
		}
		return unpackMerge(v)
	}
	if t.mergesStr == nil {
		return -1, noToken
	}
	s.key = t.encodeBytes(s.key[:0], word[a.start:a.end])
	s.key = append(s.key, ' ')
	s.key = t.encodeBytes(s.key, word[b.start:b.end])
	v, ok := t.mergesStr[string(s.key)]
	if !ok {
		return -1, noToken
	}
	return unpackMerge(v)
}

func (s *bpeSession) addBigram(word string, l, r int32) {
	if l == -1 || r == -1 {
		return
	}
	rank, _ := s.lookup(word, l, r)
	if rank < 0 {
		return
	}
	size := (s.syms[l].end - s.syms[l].start) + (s.syms[r].end - s.syms[r].start)
	s.queue.push(bpeBigram{left: l, right: r, rank: rank, size: size})
}

// decodeBPEText undoes the byte encoding of a normal BPE token's text
// (llama.cpp's llama_decode_text), including its "[UNK_BYTE_0x..]" marker for
// a character outside the byte alphabet, which a well-formed vocabulary never
// has.
func decodeBPEText(dst []byte, text string) []byte {
	for i := 0; i < len(text); {
		r, n := decodeLax(text, i)
		if n == 0 { // invalid byte: llama.cpp decodes it as U+FFFD
			r, n = utf8.RuneError, 1
		}
		i += n
		if r >= 0 && int(r) < len(runeToByte) && runeToByte[r] >= 0 {
			dst = append(dst, byte(runeToByte[r]))
			continue
		}
		var u [4]byte
		enc := encodeLax(u[:0], r)
		dst = append(dst, "[UNK_BYTE_0x"...)
		for _, c := range enc {
			const hex = "0123456789abcdef"
			dst = append(dst, hex[c>>4], hex[c&15])
		}
		dst = append(dst, text...)
		dst = append(dst, ']')
	}
	return dst
}
