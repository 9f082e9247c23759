package metrics

import (
	"math"
	"strings"
	"sync"
	"testing"
)

func TestExposition(t *testing.T) {
	var r Registry
	reqs := r.NewCounterVec("x_requests_total", "Requests by code.\nSecond line \\ too.", "transport", "code")
	reqs.With("socket", "ok").Add(3)
	reqs.With("mqtt", `we"ird\`+"\n").Inc()
	r.NewGaugeFunc("x_queue", "Queue depth.", func() float64 { return 2 })
	r.NewCounterFunc("x_tokens_total", "Tokens.", func() float64 { return 1e12 })
	r.NewCounterVecFunc("x_finished_total", "By reason.", "reason", func() map[string]float64 { return map[string]float64{"stop": 1, "length": 2} })
	r.NewInfo("x_model_info", "Model.", map[string]string{"name": "tiny", "family": "llama2"})
	gv := r.NewGaugeVec("x_measured", "Figures.", "backend", "batch")
	gv.With("vulkan:llvmpipe (LLVM)", "64").Set(2.5)
	gv.With("cpu", "64").Set(-1)
	h := r.NewHistogramVec("x_seconds", "Durations.", []float64{0.1, 1, 10}, "transport")
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); h.With("socket").Observe(float64(i) / 10) }()
	}
	wg.Wait()
	h.With("mqtt")
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	t.Log("\n" + text)
	ss, err := ParseText(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	check := func(want float64, name string, labels ...string) {
		t.Helper()
		if v, ok := ss.Get(name, labels...); !ok || math.Abs(v-want) > 1e-9*math.Abs(want) {
			t.Errorf("%s%v = %v (found %v), want %v", name, labels, v, ok, want)
		}
	}
	check(3, "x_requests_total", "transport", "socket", "code", "ok")
	check(1, "x_requests_total", "code", "we\"ird\\\n")
	check(2, "x_queue")
	check(2.5, "x_measured", "backend", "vulkan:llvmpipe (LLVM)", "batch", "64")
	check(-1, "x_measured", "backend", "cpu")
	check(1e12, "x_tokens_total")
	check(2, "x_finished_total", "reason", "length")
	check(1, "x_model_info", "name", "tiny")
	check(2, "x_seconds_bucket", "transport", "socket", "le", "0.1") // 0 and 0.1: le is inclusive
	check(11, "x_seconds_bucket", "transport", "socket", "le", "1")
	check(100, "x_seconds_bucket", "transport", "socket", "le", "+Inf")
	check(100, "x_seconds_count", "transport", "socket")
	check(495, "x_seconds_sum", "transport", "socket")
	check(0, "x_seconds_count", "transport", "mqtt")
	if !strings.Contains(text, "# HELP x_requests_total Requests by code.\\nSecond line \\\\ too.\n") {
		t.Error("HELP not escaped")
	}
}

func TestParseRejects(t *testing.T) {
	for _, bad := range []string{
		"x 1\n",                            // no TYPE
		"# TYPE x gauge\nx{a=\"1} 2\n",     // unterminated
		"# TYPE x gauge\nx{a=\"\\t\"} 2\n", // bad escape
		"# TYPE x gauge\nx 1\nx 2\n",       // duplicate
		"# TYPE x gauge\n# TYPE x gauge\n", // second TYPE
		"# TYPE 1x gauge\n",                // bad name
		"# TYPE x gauge\nx{1a=\"b\"} 2\n",  // bad label name
		"# TYPE x gauge\nx one\n",          // bad value
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", // not cumulative
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_count 2\n",                          // no +Inf
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n",                       // +Inf != count
	} {
		if _, err := ParseText(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
