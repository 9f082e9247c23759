package translate_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/baylingd/baylingd/translate"
)

func ExampleLookup() {
	for _, s := range []string{"de", "Deutsch", "德语", "pt-BR", "zh-TW", "germn"} {
		l, err := translate.Lookup(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-8s %s %s %s %s\n", s, l, l.Native, l.Chinese, l.Script)
	}
	// Output:
	// de       German (de) Deutsch 德语 Latn
	// Deutsch  German (de) Deutsch 德语 Latn
	// 德语       German (de) Deutsch 德语 Latn
	// pt-BR    Portuguese (pt) Português 葡萄牙语 Latn
	// zh-TW    Traditional Chinese (zh-Hant) 繁體中文 繁体中文 Hant
	// unknown language "germn"; did you mean: German (de)?
}

func ExampleBuildInstruction() {
	en, _ := translate.BuildInstruction(translate.Request{Text: "Das Auto ist rot.", Target: "en", Glossary: []string{"car"}})
	zh, _ := translate.BuildInstruction(translate.Request{Text: "The car is red.", Target: "zh", Chinese: true})
	fmt.Printf("%q\n%q\n", en, zh)
	// Output:
	// "Provide the English translation for this sentence: Das Auto ist rot.\nMake sure to include these words: car"
	// "提供这句话的中文翻译：The car is red."
}

func ExampleFamily_Prompt() {
	for _, seg := range translate.Llama3.Prompt("Provide the German translation for this sentence: Hi") {
		fmt.Printf("special=%-5v %q\n", seg.Special, seg.Text)
	}
	// Output:
	// special=true  "<|start_header_id|>system<|end_header_id|>\n\nI am BayLing developed by the NLP Group of ICT/CAS.<|eot_id|><|start_header_id|>user<|end_header_id|>"
	// special=true  "\n\n"
	// special=false "Provide the German translation for this sentence: Hi"
	// special=true  "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
}

func ExampleClean() {
	fmt.Printf("%q\n", translate.Clean(" German translation: Hallo Welt!\n<|eot_id|>", translate.Llama3))
	fmt.Printf("%q\n", translate.Clean("你好。</s>\n### Instruction:", translate.Llama2))
	// Output:
	// "Hallo Welt!"
	// "你好。"
}

func ExampleStopScanner() {
	s := translate.NewStopScanner(translate.Llama3.StopStrings())
	for _, piece := range []string{"Hallo", " Welt<|eo", "t_id|>junk"} {
		out, stopped := s.Push(piece)
		fmt.Printf("%q %v\n", out, stopped)
	}
	// Output:
	// "Hallo" false
	// " Welt" false
	// "" true
}

// echoGen is a stand-in Generator that streams a fixed answer.
type echoGen struct{ answer string }

func (g echoGen) Generate(ctx context.Context, prompt []translate.Segment, opts translate.GenerateOptions, emit func(string) error) (string, int, error) {
	var text strings.Builder
	tokens := 0
	for _, w := range strings.SplitAfter(g.answer, " ") { // one "token" per word
		text.WriteString(w)
		tokens++
		if err := emit(w); err != nil {
			return text.String(), tokens, err // translate.ErrStopped: the answer is complete
		}
	}
	return text.String(), tokens, nil
}

func ExampleTranslator() {
	tr := translate.Translator{Family: translate.Llama3, Gen: echoGen{"Hallo Welt <|eot_id|>"}}
	res, err := tr.Translate(context.Background(), translate.Request{Text: "Hello world", Target: "German"},
		func(piece string) error { fmt.Printf("piece %q\n", piece); return nil })
	fmt.Printf("%+v %v\n", res, err)
	// Output:
	// piece "Hallo"
	// piece " Welt"
	// {Translation:Hallo Welt Source: Target:de Tokens:3} <nil>
}
