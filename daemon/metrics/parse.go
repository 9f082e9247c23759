package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Sample is one line of the text format.
type Sample struct {
	Name   string // with any _bucket, _sum or _count suffix
	Labels map[string]string
	Value  float64
}

// Samples is a parsed exposition.
type Samples []Sample

// Get returns the value of the first sample with the name and (a superset
// of) the labels, given as name, value pairs.
func (ss Samples) Get(name string, labels ...string) (float64, bool) {
next:
	for _, s := range ss {
		if s.Name != name {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if s.Labels[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return s.Value, true
	}
	return 0, false
}

// ParseText reads the text format strictly: every sample belongs to a
// family declared by a TYPE line before it, names and label names are
// valid, label values are correctly escaped, no series appears twice, and
// each histogram has cumulative buckets ending in +Inf that equal its
// _count. It is what the tests check the daemon's /metrics with, and what
// a client can read it with.
func ParseText(r io.Reader) (Samples, error) {
	var out Samples
	types := map[string]string{}
	helps := map[string]bool{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fail := func(format string, a ...any) error {
			return fmt.Errorf("line %d: %s: %q", n, fmt.Sprintf(format, a...), line)
		}
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			f := strings.SplitN(line, " ", 4)
			if len(f) < 3 || (f[1] != "HELP" && f[1] != "TYPE") {
				continue // a comment
			}
			if !validName(f[2], true) {
				return nil, fail("invalid metric name")
			}
			if f[1] == "HELP" {
				if helps[f[2]] {
					return nil, fail("second HELP")
				}
				helps[f[2]] = true
				continue
			}
			if len(f) != 4 {
				return nil, fail("TYPE without a type")
			}
			switch f[3] {
			case "counter", "gauge", "histogram", "summary", "untyped":
			default:
				return nil, fail("unknown type")
			}
			if _, dup := types[f[2]]; dup {
				return nil, fail("second TYPE")
			}
			types[f[2]] = f[3]
			continue
		}
		s, key, err := parseSample(line)
		if err != nil {
			return nil, fail("%v", err)
		}
		fam := s.Name
		if _, ok := types[fam]; !ok {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if b := strings.TrimSuffix(s.Name, suf); b != s.Name && types[b] == "histogram" {
					fam = b
				}
			}
		}
		if _, ok := types[fam]; !ok {
			return nil, fail("sample before its TYPE line")
		}
		if types[fam] == "histogram" && s.Name == fam {
			return nil, fail("histogram sample without _bucket, _sum or _count")
		}
		if seen[key] {
			return nil, fail("duplicate series")
		}
		seen[key] = true
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, checkHistograms(out, types)
}

func parseSample(line string) (Sample, string, error) {
	s := Sample{Labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, "", fmt.Errorf("no value")
	}
	s.Name = line[:i]
	if !validName(s.Name, true) {
		return s, "", fmt.Errorf("invalid metric name")
	}
	rest := line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.Index(rest, `="`)
			if eq < 0 {
				return s, "", fmt.Errorf("bad label")
			}
			name := rest[:eq]
			if !validName(name, false) {
				return s, "", fmt.Errorf("invalid label name %q", name)
			}
			if _, dup := s.Labels[name]; dup {
				return s, "", fmt.Errorf("label %s twice", name)
			}
			rest = rest[eq+2:]
			var val strings.Builder
			closed := false
			for j := 0; j < len(rest); j++ {
				c := rest[j]
				if c == '\\' {
					if j+1 >= len(rest) {
						return s, "", fmt.Errorf("bad escape")
					}
					switch rest[j+1] {
					case '\\':
						val.WriteByte('\\')
					case '"':
						val.WriteByte('"')
					case 'n':
						val.WriteByte('\n')
					default:
						return s, "", fmt.Errorf("bad escape \\%c", rest[j+1])
					}
					j++
					continue
				}
				if c == '"' {
					rest, closed = rest[j+1:], true
					break
				}
				val.WriteByte(c)
			}
			if !closed {
				return s, "", fmt.Errorf("unterminated label value")
			}
			s.Labels[name] = val.String()
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			} else if !strings.HasPrefix(rest, "}") {
				return s, "", fmt.Errorf("expected , or }")
			}
		}
	}
	if !strings.HasPrefix(rest, " ") {
		return s, "", fmt.Errorf("no space before the value")
	}
	f := strings.Fields(rest)
	if len(f) < 1 || len(f) > 2 {
		return s, "", fmt.Errorf("want a value and an optional timestamp")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return s, "", fmt.Errorf("bad value %q", f[0])
	}
	s.Value = v
	names := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		names = append(names, k)
	}
	sort.Strings(names)
	key := s.Name
	for _, k := range names {
		key += "\xff" + k + "=" + s.Labels[k]
	}
	return s, key, nil
}

func validName(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (colon && r == ':') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// checkHistograms verifies bucket order, cumulativeness and the +Inf
// bucket of every histogram series.
func checkHistograms(ss Samples, types map[string]string) error {
	type series struct {
		les    []float64
		counts []float64
		count  float64
		has    bool
	}
	all := map[string]*series{}
	for _, s := range ss {
		for _, suf := range []string{"_bucket", "_count"} {
			fam := strings.TrimSuffix(s.Name, suf)
			if fam == s.Name || types[fam] != "histogram" {
				continue
			}
			var parts []string
			for k, v := range s.Labels {
				if k != "le" {
					parts = append(parts, k+"="+v)
				}
			}
			sort.Strings(parts)
			key := fam + "{" + strings.Join(parts, ",") + "}"
			h := all[key]
			if h == nil {
				h = &series{}
				all[key] = h
			}
			if suf == "_count" {
				h.count, h.has = s.Value, true
				continue
			}
			le, ok := s.Labels["le"]
			if !ok {
				return fmt.Errorf("%s: bucket without le", key)
			}
			x, err := strconv.ParseFloat(le, 64)
			if err != nil {
				return fmt.Errorf("%s: bad le %q", key, le)
			}
			h.les = append(h.les, x)
			h.counts = append(h.counts, s.Value)
		}
	}
	for key, h := range all {
		n := len(h.les)
		if n == 0 || !math.IsInf(h.les[n-1], 1) {
			return fmt.Errorf("%s: no +Inf bucket last", key)
		}
		for i := 1; i < n; i++ {
			if !(h.les[i] > h.les[i-1]) || h.counts[i] < h.counts[i-1] {
				return fmt.Errorf("%s: buckets not increasing or not cumulative", key)
			}
		}
		if !h.has || h.counts[n-1] != h.count {
			return fmt.Errorf("%s: +Inf bucket %g != _count %g", key, h.counts[n-1], h.count)
		}
	}
	return nil
}
