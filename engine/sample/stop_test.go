package sample

import (
	"strings"
	"testing"
)

func TestStopMatcher(t *testing.T) {
	cases := []struct {
		stops  []string
		pieces []string
		want   string
		stop   bool
	}{
		{[]string{"</s>"}, []string{"Hallo ", "Welt", "</", "s>", "more"}, "Hallo Welt", true},
		{[]string{"</s>"}, []string{"a<", "b"}, "a<b", false},
		{[]string{"### Instruction:"}, []string{"Guten Tag\n#", "## Instr", "uction:", " x"}, "Guten Tag\n", true},
		{[]string{"<|eot_id|>", "<|end"}, []string{"你好<|e", "nd"}, "你好", true},
		{nil, []string{"plain ", "text"}, "plain text", false},
		{[]string{"ab"}, []string{"xa", "a", "ab"}, "xaa", true},
		// A stop string split inside a multibyte character never emits half a rune.
		{[]string{"é!"}, []string{"caf\xc3", "\xa9!"}, "caf", true},
	}
	for _, c := range cases {
		m := NewStopMatcher(c.stops)
		var got strings.Builder
		stopped := false
		for _, p := range c.pieces {
			out, s := m.Push(p)
			got.WriteString(out)
			if s {
				stopped = true
				break
			}
		}
		if !stopped {
			got.WriteString(m.Flush())
		}
		if got.String() != c.want || stopped != c.stop {
			t.Errorf("%q over %q: got %q stop=%v, want %q stop=%v", c.stops, c.pieces, got.String(), stopped, c.want, c.stop)
		}
	}
}

// FuzzStopMatcher: whatever the split of the text into pieces, the emitted
// text equals the text up to the first stop string.
func FuzzStopMatcher(f *testing.F) {
	f.Add("hello </s> world", "</s>", 3)
	f.Add("### Instruction:\nx", "### Instruction:", 1)
	f.Add("ääää<|eot_id|>", "<|eot_id|>", 2)
	f.Fuzz(func(t *testing.T, text, stop string, step int) {
		if step <= 0 || step > 64 {
			step = 1
		}
		want := text
		if i := strings.Index(text, stop); stop != "" && i >= 0 {
			want = text[:i]
		}
		m := NewStopMatcher([]string{stop})
		var got strings.Builder
		for i := 0; i < len(text); i += step {
			out, s := m.Push(text[i:min(i+step, len(text))])
			got.WriteString(out)
			if s {
				break
			}
		}
		got.WriteString(m.Flush())
		if got.String() != want {
			t.Fatalf("text %q stop %q step %d: got %q want %q", text, stop, step, got.String(), want)
		}
	})
}
