package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ContentType is the media type of the text format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Registry holds metric families in the order they were registered.
type Registry struct {
	mu   sync.Mutex
	fams []family
}

type family interface {
	write(w *bufio.Writer)
}

type desc struct {
	name, help, typ string
	labels          []string
}

func (d *desc) header(w *bufio.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", d.name, escapeHelp(d.help), d.name, d.typ)
}

func (r *Registry) add(f family) {
	r.mu.Lock()
	r.fams = append(r.fams, f)
	r.mu.Unlock()
}

// WriteText writes every family in the text format.
func (r *Registry) WriteText(out io.Writer) error {
	r.mu.Lock()
	fams := append([]family(nil), r.fams...)
	r.mu.Unlock()
	w := bufio.NewWriter(out)
	for _, f := range fams {
		f.write(w)
	}
	return w.Flush()
}

// Counter is a monotonically increasing value.
type Counter struct{ bits atomic.Uint64 }

// Add adds v (which must not be negative).
func (c *Counter) Add(v float64) {
	for {
		old := c.bits.Load()
		if c.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// Inc adds one.
func (c *Counter) Inc() { c.Add(1) }

// Value returns the current value.
func (c *Counter) Value() float64 { return math.Float64frombits(c.bits.Load()) }

// CounterVec is a counter family with labels.
type CounterVec struct {
	desc
	mu     sync.Mutex
	series map[string]*Counter
	values map[string][]string
}

// NewCounterVec registers a counter family.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	v := &CounterVec{desc: desc{name, help, "counter", labels}, series: map[string]*Counter{}, values: map[string][]string{}}
	r.add(v)
	return v
}

// With returns the counter for the label values, creating it at zero.
func (v *CounterVec) With(values ...string) *Counter {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %s has %d labels, got %d values", v.name, len(v.labels), len(values)))
	}
	k := strings.Join(values, "\xff")
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.series[k]
	if !ok {
		c = new(Counter)
		v.series[k] = c
		v.values[k] = append([]string(nil), values...)
	}
	return c
}

func (v *CounterVec) write(w *bufio.Writer) {
	v.header(w)
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, k := range sortedKeys(v.series) {
		writeSample(w, v.name, "", v.labels, v.values[k], v.series[k].Value())
	}
}

// Gauge is a value that is set, such as a figure measured once.
type Gauge struct{ bits atomic.Uint64 }

// Set sets the value.
func (g *Gauge) Set(v float64) { g.bits.Store(math.Float64bits(v)) }

// Value returns the current value.
func (g *Gauge) Value() float64 { return math.Float64frombits(g.bits.Load()) }

// GaugeVec is a gauge family with labels.
type GaugeVec struct {
	desc
	mu     sync.Mutex
	series map[string]*Gauge
	values map[string][]string
}

// NewGaugeVec registers a gauge family.
func (r *Registry) NewGaugeVec(name, help string, labels ...string) *GaugeVec {
	v := &GaugeVec{desc: desc{name, help, "gauge", labels}, series: map[string]*Gauge{}, values: map[string][]string{}}
	r.add(v)
	return v
}

// With returns the gauge for the label values, creating it at zero.
func (v *GaugeVec) With(values ...string) *Gauge {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %s has %d labels, got %d values", v.name, len(v.labels), len(values)))
	}
	k := strings.Join(values, "\xff")
	v.mu.Lock()
	defer v.mu.Unlock()
	g, ok := v.series[k]
	if !ok {
		g = new(Gauge)
		v.series[k] = g
		v.values[k] = append([]string(nil), values...)
	}
	return g
}

func (v *GaugeVec) write(w *bufio.Writer) {
	v.header(w)
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, k := range sortedKeys(v.series) {
		writeSample(w, v.name, "", v.labels, v.values[k], v.series[k].Value())
	}
}

// funcFamily is a counter or gauge whose value is read at scrape time.
type funcFamily struct {
	desc
	f func() float64
}

func (f *funcFamily) write(w *bufio.Writer) {
	f.header(w)
	writeSample(w, f.name, "", nil, nil, f.f())
}

// NewGaugeFunc registers a gauge read from f at each scrape.
func (r *Registry) NewGaugeFunc(name, help string, f func() float64) {
	r.add(&funcFamily{desc{name, help, "gauge", nil}, f})
}

// NewCounterFunc registers a counter read from f at each scrape; f must
// never decrease.
func (r *Registry) NewCounterFunc(name, help string, f func() float64) {
	r.add(&funcFamily{desc{name, help, "counter", nil}, f})
}

// vecFuncFamily is a labelled family read at scrape time.
type vecFuncFamily struct {
	desc
	f func() map[string]float64 // keyed by the single label's value
}

func (f *vecFuncFamily) write(w *bufio.Writer) {
	f.header(w)
	m := f.f()
	for _, k := range sortedKeys(m) {
		writeSample(w, f.name, "", f.labels, []string{k}, m[k])
	}
}

// NewCounterVecFunc registers a counter family with one label, read from f
// at each scrape (f returns value by label value).
func (r *Registry) NewCounterVecFunc(name, help, label string, f func() map[string]float64) {
	r.add(&vecFuncFamily{desc{name, help, "counter", []string{label}}, f})
}

// NewInfo registers a gauge with value 1 whose labels carry information
// (the <name>_info convention).
func (r *Registry) NewInfo(name, help string, labels map[string]string) {
	names := sortedKeys(labels)
	values := make([]string, len(names))
	for i, n := range names {
		values[i] = labels[n]
	}
	r.add(&infoFamily{desc{name, help, "gauge", names}, values})
}

type infoFamily struct {
	desc
	values []string
}

func (f *infoFamily) write(w *bufio.Writer) {
	f.header(w)
	writeSample(w, f.name, "", f.labels, f.values, 1)
}

// HistogramVec is a histogram family with labels.
type HistogramVec struct {
	desc
	buckets []float64 // upper bounds, increasing, without +Inf
	mu      sync.Mutex
	series  map[string]*Histogram
	values  map[string][]string
}

// Histogram counts observations into buckets.
type Histogram struct {
	mu     sync.Mutex
	upper  []float64
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	count  uint64
}

// NewHistogramVec registers a histogram family with the given bucket upper
// bounds (increasing; +Inf is added).
func (r *Registry) NewHistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	for i := 1; i < len(buckets); i++ {
		if !(buckets[i] > buckets[i-1]) {
			panic("metrics: buckets of " + name + " are not increasing")
		}
	}
	v := &HistogramVec{desc: desc{name, help, "histogram", labels}, buckets: buckets, series: map[string]*Histogram{}, values: map[string][]string{}}
	r.add(v)
	return v
}

// With returns the histogram for the label values, creating it empty.
func (v *HistogramVec) With(values ...string) *Histogram {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %s has %d labels, got %d values", v.name, len(v.labels), len(values)))
	}
	k := strings.Join(values, "\xff")
	v.mu.Lock()
	defer v.mu.Unlock()
	h, ok := v.series[k]
	if !ok {
		h = &Histogram{upper: v.buckets, counts: make([]uint64, len(v.buckets)+1)}
		v.series[k] = h
		v.values[k] = append([]string(nil), values...)
	}
	return h
}

// Observe adds one observation.
func (h *Histogram) Observe(x float64) {
	i := sort.SearchFloat64s(h.upper, x) // first bound >= x: "le" is inclusive
	h.mu.Lock()
	h.counts[i]++
	h.sum += x
	h.count++
	h.mu.Unlock()
}

func (v *HistogramVec) write(w *bufio.Writer) {
	v.header(w)
	v.mu.Lock()
	defer v.mu.Unlock()
	labels := append(append([]string(nil), v.labels...), "le")
	for _, k := range sortedKeys(v.series) {
		h := v.series[k]
		h.mu.Lock()
		counts, sum, count := append([]uint64(nil), h.counts...), h.sum, h.count
		h.mu.Unlock()
		vals := append(append([]string(nil), v.values[k]...), "")
		var cum uint64
		for i, c := range counts {
			cum += c
			le := math.Inf(1)
			if i < len(v.buckets) {
				le = v.buckets[i]
			}
			vals[len(vals)-1] = formatFloat(le)
			writeSample(w, v.name, "_bucket", labels, vals, float64(cum))
		}
		writeSample(w, v.name, "_sum", v.labels, v.values[k], sum)
		writeSample(w, v.name, "_count", v.labels, v.values[k], float64(count))
	}
}

func writeSample(w *bufio.Writer, name, suffix string, labels, values []string, v float64) {
	w.WriteString(name)
	w.WriteString(suffix)
	if len(labels) > 0 {
		w.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(l)
			w.WriteString(`="`)
			w.WriteString(escapeLabel(values[i]))
			w.WriteByte('"')
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(formatFloat(v))
	w.WriteByte('\n')
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
