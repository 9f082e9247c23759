package translate

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		f        Family
		raw, out string
	}{
		{Llama2, "Hallo Welt", "Hallo Welt"},
		{Llama2, "  Hallo Welt \n", "Hallo Welt"},
		{Llama2, "Hallo Welt</s>garbage", "Hallo Welt"},
		{Llama2, "Hallo\n### Instruction:\nmore", "Hallo"},
		{Llama2, "Hallo\n### Response:\nmore", "Hallo"},
		{Llama2, "## Heading\n### Section\ntext", "## Heading\n### Section\ntext"}, // Markdown survives
		{Llama2, "Hallo <|eot_id|> x", "Hallo <|eot_id|> x"},                       // not a Llama2 stop
		{Llama3, "Bonjour<|eot_id|>", "Bonjour"},
		{Llama3, "Bonjour<|end_of_text|>", "Bonjour"},
		{Llama3, "Bonjour<|start_header_id|>user", "Bonjour"},
		{Llama3, "Bonjour</s>", "Bonjour</s>"},
		{Llama3, "<|eot_id|>", ""},
		{Llama3, "", ""},
		{Llama3, " \n ", ""},
		{Llama3, "a\n\n b  c", "a\n\n b  c"},
		{Llama3, "\u3000你好\u00a0\u2028", "你好"},
		// Leading echo labels.
		{Llama3, "Translation: Hallo", "Hallo"},
		{Llama3, "translation:Hallo", "Hallo"},
		{Llama3, "German translation:\nHallo Welt", "Hallo Welt"},
		{Llama3, "GERMAN TRANSLATION : Hallo", "Hallo"},
		{Llama3, "German Translation\t:  Hallo", "Hallo"},
		{Llama3, "Sorani Kurdish translation: x", "x"},
		{Llama3, "Traditional Chinese translation: 漢語", "漢語"},
		{Llama3, "Translation：Hallo", "Hallo"},
		{Llama3, "翻译：你好", "你好"},
		{Llama3, "翻译: 你好", "你好"},
		{Llama3, "译文：你好", "你好"},
		{Llama3, "德语翻译：Hallo", "Hallo"},
		{Llama3, "  Translation: Hallo<|eot_id|>Translation: x", "Hallo"},
		{Llama3, "Translation: Translation: x", "Translation: x"}, // once
		// Kept: not clearly an echo.
		{Llama3, "Translation:", "Translation:"},
		{Llama3, "Translation:  \n", "Translation:"},
		{Llama3, "Translation:<|eot_id|>", "Translation:"},
		{Llama3, "Translations: x", "Translations: x"},
		{Llama3, "Translation is hard: x", "Translation is hard: x"},
		{Llama3, "The translation: x", "The translation: x"},
		{Llama3, "Note: x", "Note: x"},
		{Llama3, "German: x", "German: x"},
		{Llama3, "Translation   : x", "Translation   : x"}, // three spaces
		{Llama3, "Hallo. Translation: x", "Hallo. Translation: x"},
		{Llama3, "Translation", "Translation"},
		{Llama3, "翻译", "翻译"},
		{Llama3, "翻译得很好：是的", "翻译得很好：是的"},
	}
	for _, tt := range tests {
		if got := Clean(tt.raw, tt.f); got != tt.out {
			t.Errorf("Clean(%q, %v) = %q, want %q", tt.raw, tt.f, got, tt.out)
		}
		// The stream gives the same, however the text is split.
		for _, n := range []int{1, 2, 3, 5, 1000} {
			if got := cleanStream(tt.raw, tt.f.StopStrings(), true, fixedSplit(tt.raw, n)); got != tt.out {
				t.Errorf("Cleaner(%q, pieces of %d) = %q, want %q", tt.raw, n, got, tt.out)
			}
		}
	}
}

func TestFirstStop(t *testing.T) {
	tests := []struct {
		text  string
		stops []string
		at    int
		hit   string
	}{
		{"abc", nil, -1, ""},
		{"abc", []string{""}, -1, ""},
		{"ab</s>cd</s>", []string{"</s>"}, 2, "</s>"},
		{"xay", []string{"xay", "a"}, 1, "a"},        // "a" is completed first
		{"xay", []string{"a", "xay"}, 1, "a"},        // whatever the order
		{"abcd", []string{"bcd", "abcd"}, 0, "abcd"}, // same end: the longest
		{"abcd", []string{"abcd", "bcd"}, 0, "abcd"},
	}
	for _, tt := range tests {
		at, hit := firstStop(tt.text, tt.stops)
		if at != tt.at || hit != tt.hit {
			t.Errorf("firstStop(%q, %q) = %d, %q; want %d, %q", tt.text, tt.stops, at, hit, tt.at, tt.hit)
		}
	}
}

func TestStopScanner(t *testing.T) {
	type step struct {
		in, out string
		stopped bool
	}
	tests := []struct {
		name   string
		stops  []string
		steps  []step
		finish string
	}{
		{"plain", []string{"</s>"}, []step{{"Hal", "Hal", false}, {"lo", "lo", false}}, ""},
		{"stop split across pieces", []string{"</s>"}, []step{
			{"Hal", "Hal", false}, {"lo<", "lo", false}, {"/", "", false}, {"s", "", false}, {">rest", "", true}, {"more", "", true},
		}, ""},
		{"false alarm", []string{"</s>"}, []step{{"a<", "a", false}, {"/b", "</b", false}}, ""},
		{"prefix at end of stream", []string{"<|eot_id|>"}, []step{{"x<|eot", "x", false}}, "<|eot"},
		{"stop inside a piece", []string{"<|eot_id|>"}, []step{{"ab<|eot_id|>cd", "ab", true}}, ""},
		{"longest held prefix", []string{"### Instruction:", "### Response:"}, []step{
			{"a\n### ", "a\n", false}, {"Res", "", false}, {"ult", "### Result", false},
		}, ""},
		{"utf8 held", []string{"</s>"}, []step{
			{"\xe4\xbd", "", false}, {"\xa0\xe5", "你", false}, {"\xa5\xbd", "好", false},
		}, ""},
		{"utf8 before stop", []string{"</s>"}, []step{{"\xe4\xbd", "", false}, {"\xa0</s>", "你", true}}, ""},
		{"invalid bytes pass", []string{"</s>"}, []step{{"a\xff\xfe", "a\xff\xfe", false}}, ""},
		{"incomplete at end", []string{"</s>"}, []step{{"a\xe4\xbd", "a", false}}, "\xe4\xbd"},
		{"no stops", nil, []step{{"a<", "a<", false}}, ""},
	}
	for _, tt := range tests {
		s := NewStopScanner(tt.stops)
		for i, st := range tt.steps {
			out, stopped := s.Push(st.in)
			if out != st.out || stopped != st.stopped {
				t.Errorf("%s: step %d Push(%q) = %q, %v; want %q, %v", tt.name, i, st.in, out, stopped, st.out, st.stopped)
			}
		}
		if got := s.Finish(); got != tt.finish {
			t.Errorf("%s: Finish = %q, want %q", tt.name, got, tt.finish)
		}
	}
	s := NewStopScanner([]string{"</s>", "###"})
	s.Push("ok</s")
	if s.Stopped() || s.Hit() != "" {
		t.Error("stopped early")
	}
	s.Push(">")
	if !s.Stopped() || s.Hit() != "</s>" {
		t.Errorf("Stopped = %v, Hit = %q", s.Stopped(), s.Hit())
	}
}

// naiveCut is the reference for StopScanner and firstStop: walk the text
// byte by byte and stop at the first position where a stop string ends,
// cutting before the longest one ending there.
func naiveCut(text string, stops []string) (string, bool) {
	for e := 1; e <= len(text); e++ {
		best := -1
		for _, s := range stops {
			if s != "" && strings.HasSuffix(text[:e], s) && len(s) > best {
				best = len(s)
			}
		}
		if best >= 0 {
			return text[:e-best], true
		}
	}
	return text, false
}

func fixedSplit(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

// splitAt splits s at positions taken from cuts (each byte an offset step).
func splitAt(s string, cuts []byte) []string {
	var out []string
	for _, c := range cuts {
		n := int(c) % 8
		if n > len(s) {
			n = len(s)
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

func scanStream(stops []string, pieces []string) (outs []string, stopped bool) {
	s := NewStopScanner(stops)
	for _, p := range pieces {
		out, st := s.Push(p)
		outs = append(outs, out)
		if st {
			stopped = true
		}
	}
	return append(outs, s.Finish()), stopped
}

func cleanStream(raw string, stops []string, strip bool, pieces []string) string {
	var b strings.Builder
	c := newCleaner(stops, strip)
	for _, p := range pieces {
		out, _ := c.Push(p)
		b.WriteString(out)
	}
	b.WriteString(c.Finish())
	return b.String()
}

func TestStopScannerRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "<", "/", "s", ">", "#", " ", "\n", "你", "é", "\xff", "<|eot_id|>", "</s>", "###"}
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(30) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		text := b.String()
		stops := [][]string{{"</s>"}, {"<|eot_id|>", "<|end_of_text|>"}, {"### Instruction:", "###", "#"}, {"a", "s>a"}, nil}[rng.IntN(5)]
		cuts := make([]byte, rng.IntN(10))
		for i := range cuts {
			cuts[i] = byte(rng.IntN(256))
		}
		checkScanner(t, text, stops, splitAt(text, cuts))
	}
}

func checkScanner(t *testing.T, text string, stops []string, pieces []string) {
	t.Helper()
	outs, stopped := scanStream(stops, pieces)
	want, wantStop := naiveCut(text, stops)
	if got := strings.Join(outs, ""); got != want || stopped != wantStop {
		t.Fatalf("scanner(%q, stops %q, pieces %q) = %q, %v; want %q, %v", text, stops, pieces, got, stopped, want, wantStop)
	}
	if at, _ := firstStop(text, stops); (at >= 0) != wantStop || wantStop && text[:at] != want {
		t.Fatalf("firstStop(%q, %q) = %d, want cut %q", text, stops, at, want)
	}
	if utf8.ValidString(text) && allValid(stops) {
		for _, o := range outs {
			if !utf8.ValidString(o) {
				t.Fatalf("scanner(%q, pieces %q) split UTF-8: %q", text, pieces, outs)
			}
		}
	}
}

func allValid(ss []string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

func TestCleanerStopsAndIgnores(t *testing.T) {
	c := NewCleaner(Llama3)
	var got []string
	for _, p := range []string{" Trans", "lation: ", "Hallo", " ", "Welt", "\n<|eot", "_id|>", "junk"} {
		out, _ := c.Push(p)
		got = append(got, out)
	}
	got = append(got, c.Finish())
	want := []string{"", "", "Hallo", "", " Welt", "", "", "", ""}
	if !reflect.DeepEqual(got, want) || !c.Stopped() {
		t.Errorf("pieces = %q (stopped %v), want %q", got, c.Stopped(), want)
	}
}

func TestCleanerNoStrip(t *testing.T) {
	if got := cleanStream(" Translation: x ", nil, false, []string{" Transl", "ation: x "}); got != "Translation: x" {
		t.Errorf("got %q", got)
	}
	if got := cleanString(" Translation: x </s>", []string{"</s>"}, false); got != "Translation: x" {
		t.Errorf("got %q", got)
	}
}

func TestLooksLabeled(t *testing.T) {
	for s, want := range map[string]bool{
		"Übersetzung: Hallo":            true,
		"  Note：x":                      true,
		"Hallo Welt":                    false,
		"Hallo\nA: b":                   false,
		strings.Repeat("x", 60) + ": y": false,
	} {
		if looksLabeled(s) != want {
			t.Errorf("looksLabeled(%q) = %v", s, !want)
		}
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func FuzzStopScanner(f *testing.F) {
	f.Add("Hallo</s>Welt", "</s>", "", []byte{1, 2, 3})
	f.Add("a<|eot_id|>b", "<|eot_id|>", "<|end_of_text|>", []byte{5, 5})
	f.Add("xay", "xay", "a", []byte{1})
	f.Add("你好</s>", "</s>", "好<", []byte{1, 1, 1, 1})
	f.Add("\xe4\xbd", "\xbd", "", []byte{1})
	f.Fuzz(func(t *testing.T, text, stop1, stop2 string, cuts []byte) {
		// The reference naiveCut is O(len(text)·len(stops)); keep it quick.
		text, stop1, stop2 = truncate(text, 4096), truncate(stop1, 64), truncate(stop2, 64)
		if len(cuts) > 64 {
			cuts = cuts[:64]
		}
		checkScanner(t, text, []string{stop1, stop2}, splitAt(text, cuts))
	})
}

func FuzzClean(f *testing.F) {
	f.Add("Translation: Hallo</s>", []byte{1, 2, 3}, false)
	f.Add(" German translation :\n\nHallo Welt <|eot_id|>x", []byte{7, 7, 7}, true)
	f.Add("德语翻译：你好\u3000", []byte{1, 1, 1, 1, 1}, true)
	f.Add("Translation:  ", []byte{}, false)
	f.Add("\xe3\x80\x80a\xe3\x80", []byte{1, 1}, true)
	f.Fuzz(func(t *testing.T, raw string, cuts []byte, llama3 bool) {
		raw = truncate(raw, 1<<14)
		if len(cuts) > 64 {
			cuts = cuts[:64]
		}
		fam := Llama2
		if llama3 {
			fam = Llama3
		}
		pieces := splitAt(raw, cuts)
		for _, strip := range []bool{true, false} {
			want := cleanString(raw, fam.StopStrings(), strip)
			c := newCleaner(fam.StopStrings(), strip)
			var outs []string
			for _, p := range pieces {
				out, _ := c.Push(p)
				outs = append(outs, out)
			}
			outs = append(outs, c.Finish())
			if got := strings.Join(outs, ""); got != want {
				t.Fatalf("strip=%v: Cleaner(%q, pieces %q) = %q, Clean = %q", strip, raw, pieces, got, want)
			}
			if utf8.ValidString(raw) {
				for _, o := range outs {
					if !utf8.ValidString(o) {
						t.Fatalf("Cleaner split UTF-8: %q", outs)
					}
				}
			}
			if strings.TrimSpace(want) != want {
				t.Fatalf("Clean(%q) = %q is not trimmed", raw, want)
			}
		}
		if got := Clean(raw, fam); got != cleanString(raw, fam.StopStrings(), true) {
			t.Fatalf("Clean differs from cleanString")
		}
	})
}
