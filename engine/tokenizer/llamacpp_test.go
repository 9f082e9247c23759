package tokenizer

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestLlamaCppCases checks strings that the fixture .inp files do not cover
// (special-token parsing, space-prefix rules around special tokens,
// contractions in capitals, Unicode corner cases) against ids recorded from
// llama.cpp itself; see the provenance line of the file.
func TestLlamaCppCases(t *testing.T) {
	raw, err := os.ReadFile("testdata/llamacpp_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Vocab   string  `json:"vocab"`
			Text    string  `json:"text"`
			Special bool    `json:"parse_special"`
			IDs     []int32 `json:"ids"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	pass := map[string]int{}
	total := map[string]int{}
	for _, c := range file.Cases {
		tok := loadFixture(t, c.Vocab)
		got := tok.Encode(c.Text, false, c.Special)
		total[c.Vocab]++
		if !slices.Equal(got, c.IDs) && !(len(got) == 0 && len(c.IDs) == 0) {
			t.Errorf("%s parse_special=%v %q:\n got  %v\n want %v", c.Vocab, c.Special, c.Text, got, c.IDs)
			continue
		}
		pass[c.Vocab]++
	}
	for _, v := range []string{spmVocab, bpeVocab} {
		t.Logf("%s: %d/%d llama.cpp cases", v, pass[v], total[v])
	}
}
