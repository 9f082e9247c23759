package translate

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Request is one translation request.
type Request struct {
	// Text is the text to translate. Surrounding white space is trimmed;
	// inner line breaks are kept.
	Text string `json:"text"`
	// Source is the language of Text (anything Lookup accepts). It is
	// optional; see BuildInstruction for why it is not written into the prompt.
	Source string `json:"source,omitempty"`
	// Target is the language to translate into (anything Lookup accepts).
	Target string `json:"target"`
	// Glossary lists words or phrases, in the target language, that the
	// translation must contain (BayLing's lexically constrained translation).
	Glossary []string `json:"glossary,omitempty"`
	// Chinese selects the Chinese phrasing of the instruction. BayLing was
	// tuned on both; English is the default because it names the 100+
	// languages the way the multilingual training data does.
	Chinese bool `json:"chinese,omitempty"`
}

// Instruction phrasings. The English ones are BayLing's; the Chinese glossary
// line is the one BayLing's own constrained-translation experiments used with
// Chinese prompts (its model outputs echo "确保包含这些词：a, b"), so terms are
// joined with ", " in both phrasings.
const (
	instrEN        = "Provide the %s translation for this sentence: "
	instrZH        = "提供这句话的%s翻译："
	glossaryEN     = "\nMake sure to include these words: "
	glossaryZH     = "\n确保包含这些词："
	glossarySep    = ", "
	maxGlossary    = 64  // entries
	maxGlossaryLen = 256 // bytes per entry
)

// BuildInstruction returns the user message for a translation request:
//
//	English: Provide the {Target.Name} translation for this sentence: {text}
//	Chinese: 提供这句话的{Target.Chinese}翻译：{text}
//
// followed, when the glossary is not empty, by
//
//	English: \nMake sure to include these words: {w1}, {w2}
//	Chinese: \n确保包含这些词：{w1}, {w2}
//
// The source language is validated when given (it must be known and differ
// from the target) but is not written into the instruction: BayLing's
// translation instruction names only the target, the model identifies the
// source itself, and an instruction naming a source is a phrasing the model
// was not tuned on. A wrong source given by a client cannot then mislead the
// model either.
//
// Errors are *RequestError (CodeBadRequest) for empty or invalid text, a
// missing target, equal source and target, or a bad glossary entry (empty,
// multi-line, or too long), and *UnknownLanguageError (CodeUnknownLanguage),
// with Field "source" or "target", for unknown languages.
func BuildInstruction(r Request) (string, error) {
	instr, _, _, err := buildInstruction(r)
	return instr, err
}

// buildInstruction is BuildInstruction that also returns the resolved
// languages (source is the zero Language when not given).
func buildInstruction(r Request) (instr string, source, target Language, err error) {
	text := strings.TrimSpace(r.Text)
	switch {
	case text == "":
		return "", source, target, badRequest("text", "text is empty")
	case !utf8.ValidString(text):
		return "", source, target, badRequest("text", "text is not valid UTF-8")
	}
	if strings.TrimSpace(r.Target) == "" {
		return "", source, target, badRequest("target", "target language is required")
	}
	target, err = lookupField(r.Target, "target")
	if err != nil {
		return "", source, target, err
	}
	if strings.TrimSpace(r.Source) != "" {
		source, err = lookupField(r.Source, "source")
		if err != nil {
			return "", source, target, err
		}
		if source.Code == target.Code {
			return "", source, target, badRequest("target", "source and target are the same language ("+target.Name+")")
		}
	}
	if len(r.Glossary) > maxGlossary {
		return "", source, target, badRequest("glossary", "more than "+strconv.Itoa(maxGlossary)+" entries")
	}
	words := make([]string, 0, len(r.Glossary))
	for i, w := range r.Glossary {
		w = strings.TrimSpace(w)
		n := strconv.Itoa(i + 1)
		switch {
		case w == "":
			return "", source, target, badRequest("glossary", "entry "+n+" is empty")
		case strings.ContainsAny(w, "\r\n"):
			return "", source, target, badRequest("glossary", "entry "+n+" spans more than one line")
		case len(w) > maxGlossaryLen:
			return "", source, target, badRequest("glossary", "entry "+n+" is longer than "+strconv.Itoa(maxGlossaryLen)+" bytes")
		case !utf8.ValidString(w):
			return "", source, target, badRequest("glossary", "entry "+n+" is not valid UTF-8")
		}
		words = append(words, w)
	}

	var b strings.Builder
	if r.Chinese {
		b.WriteString(strings.Replace(instrZH, "%s", target.Chinese, 1))
	} else {
		b.WriteString(strings.Replace(instrEN, "%s", target.Name, 1))
	}
	b.WriteString(text)
	if len(words) > 0 {
		if r.Chinese {
			b.WriteString(glossaryZH)
		} else {
			b.WriteString(glossaryEN)
		}
		b.WriteString(strings.Join(words, glossarySep))
	}
	return b.String(), source, target, nil
}

func lookupField(s, field string) (Language, error) {
	l, err := Lookup(s)
	if err != nil {
		if ue, ok := err.(*UnknownLanguageError); ok {
			ue.Field = field
		}
		return Language{}, err
	}
	return l, nil
}
