package sample

import (
	"strings"
	"unicode/utf8"
)

// StopMatcher watches streamed text for stop strings. Push returns the
// text that is safe to show now: it holds back a tail that could still grow
// into a stop string (and never splits a UTF-8 character), and once a stop
// string appears it returns the text before it and reports the stop.
type StopMatcher struct {
	stops   []string
	buf     []byte
	stopped bool
	hit     string
}

// NewStopMatcher watches for the given stop strings (empty ones ignored).
func NewStopMatcher(stops []string) *StopMatcher {
	m := &StopMatcher{}
	for _, s := range stops {
		if s != "" {
			m.stops = append(m.stops, s)
		}
	}
	return m
}

// Push adds a piece of text. It returns what may be emitted and whether a
// stop string has been reached; after that, Push returns nothing.
func (m *StopMatcher) Push(piece string) (string, bool) {
	if m.stopped {
		return "", true
	}
	m.buf = append(m.buf, piece...)
	// The earliest stop string wins; on a tie the longest.
	cut, hit := -1, ""
	for _, s := range m.stops {
		if i := strings.Index(string(m.buf), s); i >= 0 && (cut < 0 || i < cut || i == cut && len(s) > len(hit)) {
			cut, hit = i, s
		}
	}
	if cut >= 0 {
		out := string(m.buf[:cut])
		m.buf = m.buf[:0]
		m.stopped, m.hit = true, hit
		return out, true
	}
	keep := m.holdBack()
	out := string(m.buf[:len(m.buf)-keep])
	m.buf = append(m.buf[:0], m.buf[len(m.buf)-keep:]...)
	return out, false
}

// Flush returns the held-back text at the end of generation.
func (m *StopMatcher) Flush() string {
	if m.stopped {
		return ""
	}
	out := string(m.buf)
	m.buf = m.buf[:0]
	return out
}

// Stopped reports whether a stop string was seen, and Hit which one.
func (m *StopMatcher) Stopped() bool { return m.stopped }

// Hit is the stop string that ended the text, or "".
func (m *StopMatcher) Hit() string { return m.hit }

// holdBack is the length of the longest suffix of buf that is a proper
// prefix of a stop string, widened so the emitted part ends on a character
// boundary.
func (m *StopMatcher) holdBack() int {
	keep := 0
	for _, s := range m.stops {
		for n := min(len(s)-1, len(m.buf)); n > keep; n-- {
			if string(m.buf[len(m.buf)-n:]) == s[:n] {
				keep = n
				break
			}
		}
	}
	// Do not emit a partial UTF-8 sequence: end the emitted part before
	// the last character if that character is incomplete.
	end := len(m.buf) - keep
	if st := lastRuneStart(m.buf[:end]); st < end && !utf8.FullRune(m.buf[st:end]) {
		end = st
	}
	return len(m.buf) - end
}

// lastRuneStart is the index of the last byte in b that starts a UTF-8
// sequence (looking back at most UTFMax bytes), or len(b).
func lastRuneStart(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return len(b)
}
