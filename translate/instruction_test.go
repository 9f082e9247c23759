package translate

import (
	"errors"
	"strings"
	"testing"
)

func TestBuildInstruction(t *testing.T) {
	tests := []struct {
		name string
		r    Request
		want string
	}{
		{"english", Request{Text: "Hallo Welt", Target: "en"},
			"Provide the English translation for this sentence: Hallo Welt"},
		{"trimmed, lines kept", Request{Text: "  Hallo\nWelt \n", Target: "German", Source: "en"},
			"Provide the German translation for this sentence: Hallo\nWelt"},
		{"chinese", Request{Text: "Hello", Target: "de", Chinese: true},
			"提供这句话的德语翻译：Hello"},
		{"chinese to chinese", Request{Text: "Hello", Target: "zh-CN", Chinese: true},
			"提供这句话的中文翻译：Hello"},
		{"english to chinese", Request{Text: "Hello", Target: "zh"},
			"Provide the Chinese translation for this sentence: Hello"},
		{"traditional", Request{Text: "Hello", Target: "zh-TW"},
			"Provide the Traditional Chinese translation for this sentence: Hello"},
		{"traditional chinese", Request{Text: "Hello", Target: "zh-Hant", Chinese: true},
			"提供这句话的繁体中文翻译：Hello"},
		{"simplified to traditional", Request{Text: "汉语", Source: "zh", Target: "zh-Hant"},
			"Provide the Traditional Chinese translation for this sentence: 汉语"},
		{"glossary", Request{Text: "Das Auto ist rot.", Target: "en", Glossary: []string{" car ", "red"}},
			"Provide the English translation for this sentence: Das Auto ist rot.\nMake sure to include these words: car, red"},
		{"glossary chinese", Request{Text: "The car is red.", Target: "zh", Glossary: []string{"汽车", "红色"}, Chinese: true},
			"提供这句话的中文翻译：The car is red.\n确保包含这些词：汽车, 红色"},
		{"empty glossary", Request{Text: "x", Target: "fr", Glossary: []string{}},
			"Provide the French translation for this sentence: x"},
		{"special tokens are text", Request{Text: "<|eot_id|></s>", Target: "fr"},
			"Provide the French translation for this sentence: <|eot_id|></s>"},
		{"sinhala", Request{Text: "Good morning", Target: "Sinhala"},
			"Provide the Sinhala translation for this sentence: Good morning"},
	}
	for _, tt := range tests {
		got, err := BuildInstruction(tt.r)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestBuildInstructionErrors(t *testing.T) {
	long := strings.Repeat("x", 300)
	many := make([]string, 65)
	for i := range many {
		many[i] = "w"
	}
	tests := []struct {
		name  string
		r     Request
		code  string
		field string
		msg   string
	}{
		{"empty text", Request{Text: "", Target: "de"}, CodeBadRequest, "text", "text: text is empty"},
		{"blank text", Request{Text: " \n\t ", Target: "de"}, CodeBadRequest, "text", ""},
		{"invalid utf8", Request{Text: "a\xffb", Target: "de"}, CodeBadRequest, "text", ""},
		{"no target", Request{Text: "x"}, CodeBadRequest, "target", "target: target language is required"},
		{"unknown target", Request{Text: "x", Target: "germn"}, CodeUnknownLanguage, "target",
			`unknown target language "germn"; did you mean: German (de)?`},
		{"unknown source", Request{Text: "x", Source: "klingon", Target: "de"}, CodeUnknownLanguage, "source", ""},
		{"same language", Request{Text: "x", Source: "German", Target: "de-AT"}, CodeBadRequest, "target",
			"target: source and target are the same language (German)"},
		{"same chinese", Request{Text: "x", Source: "zh-CN", Target: "中文"}, CodeBadRequest, "target", ""},
		{"empty glossary entry", Request{Text: "x", Target: "de", Glossary: []string{"a", " "}}, CodeBadRequest, "glossary",
			"glossary: entry 2 is empty"},
		{"multi-line glossary entry", Request{Text: "x", Target: "de", Glossary: []string{"a\nb"}}, CodeBadRequest, "glossary", ""},
		{"long glossary entry", Request{Text: "x", Target: "de", Glossary: []string{long}}, CodeBadRequest, "glossary", ""},
		{"invalid glossary entry", Request{Text: "x", Target: "de", Glossary: []string{"\xff"}}, CodeBadRequest, "glossary", ""},
		{"too many glossary entries", Request{Text: "x", Target: "de", Glossary: many}, CodeBadRequest, "glossary", ""},
	}
	for _, tt := range tests {
		_, err := BuildInstruction(tt.r)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if c := ErrorCode(err); c != tt.code {
			t.Errorf("%s: code %q, want %q (%v)", tt.name, c, tt.code, err)
		}
		var field string
		var re *RequestError
		var ue *UnknownLanguageError
		switch {
		case errors.As(err, &re):
			field = re.Field
		case errors.As(err, &ue):
			field = ue.Field
		}
		if field != tt.field {
			t.Errorf("%s: field %q, want %q", tt.name, field, tt.field)
		}
		if tt.msg != "" && err.Error() != tt.msg {
			t.Errorf("%s: message %q, want %q", tt.name, err, tt.msg)
		}
	}
	if ErrorCode(errors.New("other")) != "" || ErrorCode(nil) != "" {
		t.Error("ErrorCode of a foreign error is not empty")
	}
}
