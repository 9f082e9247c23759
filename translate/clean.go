package translate

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean turns a model's raw output into the translation:
//
//  1. cut at the first stop string of f (StopStrings) that the text
//     completes: the one ending first, and of those ending at the same place
//     the longest; this is where a streaming generator stops;
//  2. trim white space (unicode.IsSpace) at both ends;
//  3. remove a leading label that echoes the request, when text follows it:
//     "Translation:", "{language} translation:" with any English name of the
//     registry ("German translation:", "german Translation :"), "翻译：",
//     "译文：", "{Chinese name}翻译：" ("德语翻译："), with ":" or "："
//     after at most two spaces. A label with nothing after it is kept, since
//     it then is the translation.
//
// Everything else is kept verbatim. The Cleaner applies the same rules to a
// stream.
func Clean(raw string, f Family) string {
	return cleanString(raw, f.StopStrings(), true)
}

func cleanString(raw string, stops []string, strip bool) string {
	s := raw
	if i, _ := firstStop(s, stops); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if strip {
		if n, st := matchLabel(s); st == labelYes {
			if rest := strings.TrimLeftFunc(s[n:], unicode.IsSpace); rest != "" {
				s = rest
			}
		}
	}
	return s
}

// firstStop returns the start of the first stop string that text completes
// (smallest end; for equal ends the longest) and which one, or -1.
func firstStop(text string, stops []string) (int, string) {
	at, end, hit := -1, 0, ""
	for _, s := range stops {
		if s == "" {
			continue
		}
		i := strings.Index(text, s)
		if i < 0 {
			continue
		}
		if e := i + len(s); at < 0 || e < end || e == end && i < at {
			at, end, hit = i, e, s
		}
	}
	return at, hit
}

// StopScanner finds stop strings in streamed text. Push text pieces as they
// are generated; each call returns the text that is safe to show now: it
// holds back a tail that may be the start of a stop string, and a tail that
// is an incomplete UTF-8 sequence, so a multi-byte character is never split
// between two returned pieces. When a stop string is completed, Push returns
// the text before it and true, and the scanner ignores further input. Finish
// returns what is still held back once the stream has ended without a stop.
//
// The concatenation of everything Push and Finish return is the input cut at
// the first stop string it completes, as Clean cuts it (see firstStop).
//
// A StopScanner is not safe for concurrent use.
type StopScanner struct {
	stops   []string
	fail    [][]int // KMP failure function of each stop string
	buf     string  // held back
	stopped bool
	hit     string
}

// NewStopScanner returns a scanner for the given stop strings; empty strings
// are ignored.
func NewStopScanner(stops []string) *StopScanner {
	s := &StopScanner{}
	for _, t := range stops {
		if t == "" {
			continue
		}
		s.stops = append(s.stops, t)
		s.fail = append(s.fail, kmpFailure(t))
	}
	return s
}

// Push adds a piece of generated text and returns the text that may be
// emitted now, and whether a stop string has been reached.
func (s *StopScanner) Push(piece string) (out string, stopped bool) {
	if s.stopped {
		return "", true
	}
	buf := s.buf + piece
	if i, hit := firstStop(buf, s.stops); i >= 0 {
		s.buf, s.stopped, s.hit = "", true, hit
		return buf[:i], true
	}
	h := max(s.stopPrefixLen(buf), incompleteUTF8Len(buf))
	s.buf = buf[len(buf)-h:]
	return buf[:len(buf)-h], false
}

// Finish ends the stream and returns the held-back text ("" after a stop).
func (s *StopScanner) Finish() string {
	out := s.buf
	s.buf = ""
	return out
}

// Stopped reports whether a stop string has been reached.
func (s *StopScanner) Stopped() bool { return s.stopped }

// Hit returns the stop string that was reached, or "".
func (s *StopScanner) Hit() string { return s.hit }

// stopPrefixLen returns the length of the longest suffix of buf that is a
// proper prefix of a stop string (buf contains no whole stop string). It
// runs each stop string's KMP automaton over the last len(stop)-1 bytes of
// buf, so a Push costs time linear in the piece and the stop strings.
func (s *StopScanner) stopPrefixLen(buf string) int {
	best := 0
	for i, t := range s.stops {
		tail := buf[len(buf)-min(len(buf), len(t)-1):]
		if len(tail) <= best {
			continue
		}
		f, q := s.fail[i], 0
		for j := 0; j < len(tail); j++ {
			for q > 0 && tail[j] != t[q] {
				q = f[q-1]
			}
			if tail[j] == t[q] {
				q++
			}
		}
		best = max(best, q) // q < len(t): tail is shorter than t
	}
	return best
}

// kmpFailure returns the Knuth-Morris-Pratt failure function of t: f[i] is
// the length of the longest proper prefix of t[:i+1] that is also its suffix.
func kmpFailure(t string) []int {
	f := make([]int, len(t))
	for i, q := 1, 0; i < len(t); i++ {
		for q > 0 && t[i] != t[q] {
			q = f[q-1]
		}
		if t[i] == t[q] {
			q++
		}
		f[i] = q
	}
	return f
}

// incompleteUTF8Len returns the length of a trailing UTF-8 sequence that is
// incomplete but could still become valid, or 0.
func incompleteUTF8Len(b string) int {
	for n := 1; n <= utf8.UTFMax-1 && n <= len(b); n++ {
		if utf8.RuneStart(b[len(b)-n]) {
			if !utf8.FullRuneInString(b[len(b)-n:]) {
				return n
			}
			return 0
		}
	}
	return 0
}

// Cleaner is the streaming form of Clean: feed it the generated pieces with
// Push and end with Finish; the concatenation of what they return equals
// Clean of the concatenated pieces. Like StopScanner it never splits a
// UTF-8 sequence across returned pieces. It holds back trailing white space
// (emitted once more text follows it) and, at the start, up to a few dozen
// bytes while a leading label could still be forming.
//
// A Cleaner is not safe for concurrent use.
type Cleaner struct {
	scan  *StopScanner
	strip bool
	phase cleanPhase
	pend  string // incomplete UTF-8 tail of the scanner's output
	label string // phaseLabel/phaseLabelDone: the label read so far
	ws    []byte // white space held back
	out   strings.Builder
}

type cleanPhase uint8

const (
	phaseLead      cleanPhase = iota // dropping leading white space
	phaseLabel                       // reading what may be a leading label
	phaseLabelDone                   // label complete, waiting for text after it
	phaseBody                        // copying, holding back trailing white space
)

// NewCleaner returns a Cleaner with the stop strings of f, as Clean uses.
func NewCleaner(f Family) *Cleaner { return newCleaner(f.StopStrings(), true) }

func newCleaner(stops []string, strip bool) *Cleaner {
	return &Cleaner{scan: NewStopScanner(stops), strip: strip}
}

// Push adds a piece of generated text and returns the cleaned text that may
// be emitted now, and whether a stop string has been reached (the caller
// should stop generating; further pieces are ignored).
func (c *Cleaner) Push(piece string) (out string, stopped bool) {
	s, stopped := c.scan.Push(piece)
	c.feed(s, false)
	return c.take(), stopped
}

// Finish ends the stream and returns the rest of the cleaned text.
func (c *Cleaner) Finish() string {
	c.feed(c.scan.Finish(), true)
	switch c.phase {
	case phaseLabel: // never became a label: it is text
		lbl := c.label
		c.label, c.phase = "", phaseBody
		c.body(lbl)
	case phaseLabelDone: // a label with nothing after it is the translation
		c.out.WriteString(c.label)
		c.label = ""
	}
	c.ws = c.ws[:0] // trailing white space
	return c.take()
}

// Stopped reports whether a stop string has been reached.
func (c *Cleaner) Stopped() bool { return c.scan.Stopped() }

func (c *Cleaner) take() string {
	s := c.out.String()
	c.out.Reset()
	return s
}

// feed runs s through the state machine rune by rune; an incomplete UTF-8
// tail waits for the next piece unless final.
func (c *Cleaner) feed(s string, final bool) {
	s = c.pend + s
	c.pend = ""
	if !final {
		if n := incompleteUTF8Len(s); n > 0 {
			c.pend = s[len(s)-n:]
			s = s[:len(s)-n]
		}
	}
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		c.rune(s[:n], r)
		s = s[n:]
	}
}

// rune advances the state machine by one rune (r, encoded as b; an invalid
// byte comes as utf8.RuneError with len(b) == 1).
func (c *Cleaner) rune(b string, r rune) {
	space := unicode.IsSpace(r) // false for utf8.RuneError
	switch c.phase {
	case phaseLead:
		if space {
			return
		}
		if !c.strip {
			c.phase = phaseBody
			c.body(b)
			return
		}
		c.phase = phaseLabel
		fallthrough
	case phaseLabel:
		c.label += b
		switch _, st := matchLabel(c.label); st {
		case labelYes:
			c.phase = phaseLabelDone
		case labelNo:
			lbl := c.label
			c.label, c.phase = "", phaseBody
			c.body(lbl)
		}
	case phaseLabelDone:
		if space {
			return // dropped with the label if text follows, trimmed if not
		}
		c.label, c.phase = "", phaseBody
		c.body(b)
	case phaseBody:
		c.body(b)
	}
}

// body copies s, holding back trailing white space.
func (c *Cleaner) body(s string) {
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if unicode.IsSpace(r) {
			c.ws = append(c.ws, s[:n]...)
		} else {
			c.out.Write(c.ws)
			c.out.WriteString(s[:n])
			c.ws = c.ws[:0]
		}
		s = s[n:]
	}
}

// Leading labels.

type labelState uint8

const (
	labelNo      labelState = iota // s does not start with a label
	labelPartial                   // s is a proper prefix of some label + colon
	labelYes                       // s starts with a label + colon
)

const maxLabelSpaces = 2 // spaces or tabs allowed between a label and its colon

// labels are the lower-case label texts (without colon), built at init.
var labels []string

func init() {
	seen := map[string]bool{}
	addLabel := func(s string) {
		s = strings.ToLower(s)
		if !seen[s] {
			seen[s] = true
			labels = append(labels, s)
		}
	}
	for _, w := range []string{"translation", "翻译", "译文"} {
		addLabel(w)
	}
	for _, l := range languages {
		addLabel(l.Name + " translation")
		addLabel(l.Chinese + "翻译")
		addLabel(l.Chinese + "译文")
	}
	for a := range nameAliases {
		if isASCII(a) {
			addLabel(a + " translation")
		}
	}
	slices.Sort(labels)
}

// matchLabel reports whether s starts with a label followed by at most
// maxLabelSpaces spaces or tabs and ":" or "：", and if so the length of that
// prefix. English labels match case-insensitively (ASCII).
func matchLabel(s string) (int, labelState) {
	st := labelNo
	for _, l := range labels {
		if len(s) <= len(l) {
			if hasPrefixFold(s, l[:len(s)]) {
				st = labelPartial
			}
			continue
		}
		if !hasPrefixFold(s, l) {
			continue
		}
		i := len(l)
		for sp := 0; sp < maxLabelSpaces && i < len(s) && (s[i] == ' ' || s[i] == '\t'); sp++ {
			i++
		}
		rest := s[i:]
		switch {
		case rest == "":
			st = labelPartial
		case rest[0] == ':':
			return i + 1, labelYes
		case strings.HasPrefix(rest, "："):
			return i + len("："), labelYes
		case len(rest) < len("：") && strings.HasPrefix("：", rest):
			st = labelPartial
		}
	}
	return 0, st
}

// hasPrefixFold reports whether s starts with prefix, folding ASCII letters
// of s to lower case (prefix is lower case).
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// looksLabeled reports whether text starts like "Something: ..." (a colon
// within its first 48 bytes, on its first line). A translation of such a
// text may legitimately start with "Translation:", so the Translator does not
// strip labels for it.
func looksLabeled(text string) bool {
	text = strings.TrimSpace(text)
	if len(text) > 48 {
		text = text[:48]
	}
	if i := strings.IndexAny(text, "\r\n"); i >= 0 {
		text = text[:i]
	}
	return strings.ContainsAny(text, ":：")
}
