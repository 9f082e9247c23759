package tokenizer

import "strings"

// fragment is a piece of the input after special-token partitioning: raw text
// still to be tokenized, or one special token already recognised.
type fragment struct {
	text  string
	token int32 // noToken for raw text
}

// Segment is a piece of a prompt. Special segments are template text, in
// which special tokens such as <|eot_id|> or <s> are recognised; the others
// are user text, where they never are, so that a user cannot forge a turn
// boundary by typing one.
type Segment struct {
	Text    string
	Special bool
}

// partition appends the fragments of text to frags, following llama.cpp's
// tokenizer_st_partition: every special token, longest first, is cut out of
// the raw fragments left by the tokens before it. Without parseSpecial,
// control and unknown tokens are not matched, but user-defined ones still are
// (llama.cpp follows Hugging Face tokenizers there: added tokens are always
// pre-split).
//
// llama.cpp also honours lstrip/rstrip token attributes here, but it sets them
// only for a few model families by name (Phi-3, Jina, ModernBERT), none of
// them Llama's, so they are not modelled.
func (t *Tokenizer) partition(text string, parseSpecial bool, frags []fragment) []fragment {
	if text == "" {
		return frags
	}
	base := len(frags)
	frags = append(frags, fragment{text: text, token: noToken})
	var scratch []fragment
	for _, id := range t.specials {
		if !parseSpecial && t.attrs[id]&(attrControl|attrUnknown) != 0 {
			continue
		}
		tok := t.texts[id]
		// Most special tokens do not occur at all; one scan of the whole
		// text rules them out before any fragment bookkeeping.
		if !strings.Contains(text, tok) {
			continue
		}
		scratch = scratch[:0]
		for _, fr := range frags[base:] {
			if fr.token != noToken {
				scratch = append(scratch, fr)
				continue
			}
			rest := fr.text
			for {
				i := strings.Index(rest, tok)
				if i < 0 {
					break
				}
				if i > 0 {
					scratch = append(scratch, fragment{text: rest[:i], token: noToken})
				}
				scratch = append(scratch, fragment{token: id})
				rest = rest[i+len(tok):]
			}
			if rest != "" {
				scratch = append(scratch, fragment{text: rest, token: noToken})
			}
		}
		frags = append(frags[:base], scratch...)
	}
	return frags
}

// Encode tokenizes text as llama.cpp's llama_tokenize does.
//
// addBOS puts BOS in front (and EOS at the end when the file's
// add_eos_token asks for it, false for every Llama model), which is
// llama.cpp's add_special; pass AddBOS() to follow the model's metadata.
// parseSpecial makes special-token text (<|eot_id|>, <s>) become those
// tokens; without it they are spelled as ordinary text. Never pass
// parseSpecial=true for text that came from a user: use EncodeSegments.
func (t *Tokenizer) Encode(text string, addBOS, parseSpecial bool) []int32 {
	frags := t.partition(text, parseSpecial, nil)
	return t.encodeFragments(frags, addBOS)
}

// EncodeSegments tokenizes a prompt assembled from template and user text.
// It equals llama.cpp tokenizing the concatenated text with
// parse_special=true, except that special tokens are recognised only inside
// Special segments (and never across a segment boundary). User text is
// partitioned as llama.cpp does with parse_special=false: control and unknown
// tokens are not matched there, user-defined tokens (which llama.cpp always
// splits out, and which BayLing's vocabularies do not have) are. Adjacent raw-text
// fragments are joined before tokenizing, whichever segments they come from,
// so the split into segments does not change the tokens: a prompt whose user
// text holds no special-token text tokenizes exactly as in llama.cpp, and a
// user typing "<|eot_id|>" gets it tokenized as plain text.
func (t *Tokenizer) EncodeSegments(segs []Segment, addBOS bool) []int32 {
	var frags []fragment
	for _, s := range segs {
		frags = t.partition(s.Text, s.Special, frags)
	}
	// Join neighbouring raw fragments: the tokenizers work on whole runs of
	// text (SPM merges and the BPE pre-tokenizer look across what would
	// otherwise be a seam).
	joined := frags[:0]
	for i := 0; i < len(frags); {
		fr := frags[i]
		j := i + 1
		if fr.token == noToken {
			for j < len(frags) && frags[j].token == noToken {
				j++
			}
			if j-i > 1 {
				var b strings.Builder
				for _, g := range frags[i:j] {
					b.WriteString(g.text)
				}
				fr.text = b.String()
			}
		}
		joined = append(joined, fr)
		i = j
	}
	return t.encodeFragments(joined, addBOS)
}

func (t *Tokenizer) encodeFragments(frags []fragment, addBOS bool) []int32 {
	out := make([]int32, 0, 8+estimateTokens(frags))
	if addBOS && t.bos != noToken {
		out = append(out, t.bos)
	}
	switch t.fam {
	case familySPM:
		s := spmSession{t: t}
		// The first raw fragment, and any right after a special token,
		// gets the SentencePiece space prefix (llama.cpp's is_prev_special,
		// which starts true whether or not BOS was added).
		prevSpecial := true
		for _, fr := range frags {
			if fr.token != noToken {
				out = append(out, fr.token)
				prevSpecial = true
				continue
			}
			out = s.tokenize(fr.text, t.addSpacePrefix && prevSpecial, out)
			prevSpecial = false
		}
	case familyBPE:
		s := bpeSession{t: t}
		for _, fr := range frags {
			if fr.token != noToken {
				out = append(out, fr.token)
				continue
			}
			out = s.tokenize(fr.text, out)
		}
	}
	if addBOS && t.addEOS && t.eos != noToken {
		out = append(out, t.eos)
	}
	return out
}

// estimateTokens guesses the output size (about 4 bytes a token for
// English) so that the result is allocated once in the common case.
func estimateTokens(frags []fragment) int {
	n := 0
	for _, f := range frags {
		n += len(f.text)/4 + 1
	}
	return n
}
