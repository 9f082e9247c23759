package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// vocabCase is one string of llama.cpp's tokenizer tests and its expected ids
// (no BOS, no special-token parsing).
type vocabCase struct {
	text string
	want []int32
}

func readVocabCases(tb testing.TB, vocab string) []vocabCase {
	tb.Helper()
	inp, err := os.ReadFile(fixture(tb, vocab+".inp"))
	if err != nil {
		tb.Fatal(err)
	}
	outp, err := os.ReadFile(fixture(tb, vocab+".out"))
	if err != nil {
		tb.Fatal(err)
	}
	texts := strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	// The file ends with the separator (and a newline after it), which
	// leaves an empty last element that is no test.
	if n := len(texts); n > 0 && strings.TrimSpace(texts[n-1]) == "" {
		texts = texts[:n-1]
	}
	lines := strings.Split(strings.TrimRight(string(outp), "\n"), "\n")
	if len(lines) != len(texts) {
		tb.Fatalf("%s: %d strings but %d expected-id lines", vocab, len(texts), len(lines))
	}
	cases := make([]vocabCase, len(texts))
	for i, text := range texts {
		var ids []int32
		for _, f := range strings.Fields(lines[i]) {
			v, err := strconv.ParseInt(f, 10, 32)
			if err != nil {
				tb.Fatalf("%s.out line %d: %v", vocab, i+1, err)
			}
			ids = append(ids, int32(v))
		}
		cases[i] = vocabCase{text: text, want: ids}
	}
	return cases
}

func TestVocabFixtures(t *testing.T) {
	for _, vocab := range []string{spmVocab, bpeVocab} {
		t.Run(vocab, func(t *testing.T) {
			tok := loadFixture(t, vocab)
			cases := readVocabCases(t, vocab)
			pass := 0
			for i, c := range cases {
				got := tok.Encode(c.text, false, false)
				if slices.Equal(got, c.want) {
					pass++
				} else {
					t.Errorf("case %d %q:\n got  %v\n want %v", i, c.text, got, c.want)
				}
			}
			t.Logf("%s: %d/%d strings tokenized as llama.cpp / Hugging Face", vocab, pass, len(cases))
			if len(cases) == 0 {
				t.Fatal("no test strings")
			}
		})
	}
}

// golden is the part of a golden file this package checks.
type golden struct {
	Prompt        string  `json:"prompt"`
	Tokens        []int32 `json:"tokens"`
	Greedy        []int32 `json:"greedy"`
	GreedyTextHex string  `json:"greedy_text_hex"`
}

// goldenModel maps goldens/<model>.<prompt>.json to the GGUF file it was
// made from: fixtures/<model>.gguf, or fixtures/hf/<model>.gguf for the
// converter's hf-* models.
func goldenModel(base string) string {
	model, _, _ := strings.Cut(base, ".")
	if strings.HasPrefix(model, "hf-") {
		return filepath.Join("hf", model+".gguf")
	}
	return model + ".gguf"
}

func TestGoldenPrompts(t *testing.T) {
	dir := fixture(t, "goldens")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no goldens in %s", dir)
	}
	pass := 0
	for _, f := range files {
		base := filepath.Base(f)
		t.Run(base, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var g golden
			if err := json.Unmarshal(raw, &g); err != nil {
				t.Fatal(err)
			}
			tok := loadFixture(t, goldenModel(base))
			got := tok.Encode(g.Prompt, true, true)
			if !slices.Equal(got, g.Tokens) {
				t.Fatalf("prompt tokens differ:\n got  %v\n want %v", got, g.Tokens)
			}
			// The same prompt built the way the daemon builds it: template
			// text as Special segments around the user text.
			segs := splitTemplate(tok, g.Prompt)
			if got := tok.EncodeSegments(segs, true); !slices.Equal(got, g.Tokens) {
				t.Fatalf("EncodeSegments differs from the golden:\n got  %v\n want %v", got, g.Tokens)
			}
			// llama.cpp's generated text is its token pieces concatenated.
			if want := g.GreedyTextHex; want != "" {
				if got := fmt.Sprintf("%x", tok.Detokenize(g.Greedy, false)); got != want {
					t.Fatalf("Detokenize(greedy) = %s, want %s", got, want)
				}
			}
			pass++
		})
	}
	t.Logf("golden prompts: %d/%d tokenized identically to llama.cpp", pass, len(files))
}

// splitTemplate cuts a golden prompt into the segments the daemon would
// make: everything up to and including "sentence: " and from the last
// newline-led marker on is template, the sentence in between is user text.
func splitTemplate(tok *Tokenizer, prompt string) []Segment {
	start := strings.Index(prompt, "sentence: ")
	if start < 0 {
		return []Segment{{Text: prompt, Special: true}}
	}
	start += len("sentence: ")
	end := len(prompt)
	for _, marker := range []string{"<|eot_id|>", "\n### Response:"} {
		if i := strings.Index(prompt[start:], marker); i >= 0 {
			end = start + i
			break
		}
	}
	return []Segment{
		{Text: prompt[:start], Special: true},
		{Text: prompt[start:end]},
		{Text: prompt[end:], Special: true},
	}
}
