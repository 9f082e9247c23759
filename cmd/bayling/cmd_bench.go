package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/baylingd/baylingd/accel"
	"github.com/baylingd/baylingd/engine/bench"
	"github.com/baylingd/baylingd/engine/llama"
	"github.com/baylingd/baylingd/internal/cpuinfo"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "measure prompt processing and decode speed against the memory-bandwidth roofline",
		usage:   "--model MODEL.gguf [--threads N] [--prompt 128] [--gen 64] [--reps 3] [--json] [--accel cpu|vulkan|rknpu]\n       bayling bench --table [--out FILE] RESULT.json...",
		run:     runBench,
	})
}

func runBench(e *env, args []string) error {
	fs := newFlags(e, "bench")
	model := fs.String("model", "", "GGUF model to measure")
	threads := fs.Int("threads", 0, "worker threads (default: the performance cores, here "+fmt.Sprint(cpuinfo.PerformanceCores())+")")
	prompt := fs.Int("prompt", 128, "prompt tokens, processed in one batch")
	gen := fs.Int("gen", 64, "tokens to decode, one per step")
	reps := fs.Int("reps", 3, "repetitions; the best is reported")
	probe := fs.Int("probe-mib", bench.DefaultProbeBytes>>20, "MiB of memory the bandwidth probe reads (0: skip the probe)")
	asJSON := fs.Bool("json", false, "print one JSON object (the fields of llama.cpp's benchmark script and more)")
	accelKind := fs.String("accel", "cpu", "also measure the prompt with its matmuls offloaded to this backend: cpu (nothing more), vulkan or rknpu; reported next to the CPU's figure")
	table := fs.Bool("table", false, "instead of measuring, print a markdown table comparing the JSON results given as arguments (ours and llama.cpp's, paired by model file)")
	out := fs.String("out", "", "with --table: also write the table to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measurement to this file (go tool pprof)")
	printThreads := fs.Bool("print-threads", false, "print the default thread count and exit (for scripts)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *printThreads {
		fmt.Fprintln(e.stdout, cpuinfo.PerformanceCores())
		return nil
	}
	if *table {
		return benchTable(e, pos, *out)
	}
	if *model == "" && len(pos) == 1 {
		*model, pos = pos[0], nil
	}
	if *model == "" || len(pos) != 0 {
		return usagef("want --model MODEL.gguf")
	}
	switch *accelKind {
	case "cpu", "vulkan", "rknpu":
	default:
		return usagef("--accel %q: want cpu, vulkan or rknpu", *accelKind)
	}
	if *threads < 0 || *prompt < 1 || *gen < 1 || *reps < 1 || *probe < 0 {
		return usagef("--threads, --prompt, --gen, --reps and --probe-mib must be positive")
	}
	m, err := loadModel(e, *model)
	if err != nil {
		return err
	}
	defer m.Close()
	o := bench.Options{Threads: *threads, Prompt: *prompt, Gen: *gen, Reps: *reps, BandwidthBytes: *probe << 20}
	if *probe == 0 {
		o.BandwidthBytes = -1
	}
	if !*asJSON {
		fmt.Fprintf(e.stderr, "measuring %d-token prompt and %d decoded tokens, best of %d...\n", *prompt, *gen, *reps)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	r, err := bench.Measure(m.LLM, *model, o)
	if err != nil {
		return err
	}
	if *accelKind != "cpu" {
		if err := benchAccel(e, m.LLM, *model, *accelKind, o, r, !*asJSON); err != nil {
			return err
		}
	}
	if *asJSON {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	w := e.stdout
	fmt.Fprintf(w, "model       %s (%s)\n", r.Model, r.Name)
	fmt.Fprintf(w, "machine     %s, %s, %d threads\n", r.CPU, r.GOARCH, r.Threads)
	fmt.Fprintf(w, "prefill     %8.1f tok/s  (%d-token prompt in one batch)\n", r.PrefillTPS, r.NPrompt)
	if r.Accel != "" {
		fmt.Fprintf(w, "  offloaded %8.1f tok/s  (the prompt's layer matmuls on %s: %.2fx the CPU)\n", r.AccelPrefillTPS, r.Accel, r.AccelPrefillTPS/r.PrefillTPS)
	}
	fmt.Fprintf(w, "decode      %8.2f tok/s  (%d tokens)\n", r.DecodeTPS, r.NGen)
	fmt.Fprintf(w, "bytes/token %8.1f MB     (weights %.1f MB, KV cache %.2f MB)\n", float64(r.BytesPerToken)/1e6, float64(r.WeightBytes)/1e6, float64(r.KVBytes)/1e6)
	if r.BandwidthGBs > 0 {
		fmt.Fprintf(w, "bandwidth   %8.1f GB/s   (read, %d threads)\n", r.BandwidthGBs, r.Threads)
		fmt.Fprintf(w, "roofline    %8.2f tok/s  decode reaches %.0f%% of it\n", r.RooflineTPS, 100*r.DecodeRoofline)
	}
	return nil
}

// benchAccel measures the prompt again with its layer matmuls on the
// backend kind (forced: MinBatch is the prompt's length, so the prompt
// pass goes to the device and decode steps stay on the CPU) and records
// the figure in r next to the CPU's. A missing backend is an error here:
// it was asked for.
func benchAccel(e *env, m *llama.Model, path, kind string, o bench.Options, r *bench.Result, progress bool) error {
	b, err := accel.Open(kind, accel.Options{})
	if err != nil {
		return fmt.Errorf("--accel %s: %w", kind, err)
	}
	defer b.Close()
	if progress {
		fmt.Fprintf(e.stderr, "measuring the %d-token prompt on %s, best of %d...\n", o.Prompt, b.Name(), o.Reps)
	}
	o.Offload = llama.Offload{Backend: b, MinBatch: o.Prompt}
	o.Gen = 1 // decode runs on the CPU either way
	o.BandwidthBytes = -1
	ra, err := bench.Measure(m, path, o)
	if err != nil {
		return fmt.Errorf("--accel %s: %w", kind, err)
	}
	r.Accel, r.AccelPrefillTPS, r.AccelRuns = b.Name(), ra.PrefillTPS, ra.Runs
	return nil
}

// benchResult is the subset of both engines' JSON the table needs.
type benchResult struct {
	Engine         string         `json:"engine"`
	Model          string         `json:"model"`
	Threads        int            `json:"threads"`
	NPrompt        int            `json:"n_prompt"`
	NGen           int            `json:"n_gen"`
	PrefillTPS     float64        `json:"prefill_tps"`
	DecodeTPS      float64        `json:"decode_tps"`
	BytesPerToken  int64          `json:"bytes_per_token"`
	BandwidthGBs   float64        `json:"bandwidth_gbs"`
	RooflineTPS    float64        `json:"roofline_tps"`
	DecodeRoofline float64        `json:"decode_roofline"`
	Types          map[string]int `json:"tensor_types"`
	CPU            string         `json:"cpu"`
	LoadAvg        float64        `json:"load_avg"`
}

// readResults reads JSON objects, one or more per file (the llama.cpp
// script prints one line; log lines around it are skipped).
func readResults(paths []string) ([]benchResult, error) {
	var rs []benchResult
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		n := 0
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 || line[0] != '{' {
				continue
			}
			var r benchResult
			if err := json.Unmarshal(line, &r); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			rs = append(rs, r)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no JSON result in it", p)
		}
	}
	return rs, nil
}

func benchTable(e *env, paths []string, out string) error {
	if len(paths) == 0 {
		return usagef("--table wants JSON result files")
	}
	rs, err := readResults(paths)
	if err != nil {
		return err
	}
	var buf strings.Builder
	writeTable(&buf, rs)
	if out != "" {
		if err := os.WriteFile(out, []byte(buf.String()), 0o666); err != nil {
			return err
		}
	}
	_, err = io.WriteString(e.stdout, buf.String())
	return err
}

// writeTable prints one row per model: ours against llama.cpp's, with
// ratios, and decode against the roofline our run measured.
func writeTable(w io.Writer, rs []benchResult) {
	key := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return filepath.Clean(p)
	}
	type row struct{ ours, ref *benchResult }
	var order []string
	rows := map[string]*row{}
	for i := range rs {
		r := &rs[i]
		k := key(r.Model)
		if rows[k] == nil {
			rows[k] = &row{}
			order = append(order, k)
		}
		// Several results for one model and engine (rounds of a run that
		// alternates the engines) merge into their best figures.
		dst := &rows[k].ref
		if strings.HasPrefix(r.Engine, bench.EngineName) {
			dst = &rows[k].ours
		}
		if *dst == nil {
			*dst = r
			continue
		}
		best := *dst
		best.PrefillTPS = max(best.PrefillTPS, r.PrefillTPS)
		best.DecodeTPS = max(best.DecodeTPS, r.DecodeTPS)
		if r.BandwidthGBs > best.BandwidthGBs {
			best.BandwidthGBs = r.BandwidthGBs
			best.RooflineTPS = r.RooflineTPS
		}
		best.LoadAvg = max(best.LoadAvg, r.LoadAvg)
	}
	ratio := func(a, b float64) string {
		if a <= 0 || b <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.2fx", a/b)
	}
	num := func(v float64, f string) string {
		if v <= 0 {
			return "–"
		}
		return fmt.Sprintf(f, v)
	}
	frac := func(tps, roof float64) string {
		if tps <= 0 || roof <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f%%", 100*tps/roof)
	}
	fmt.Fprintln(w, "| model | threads | prefill tok/s ours | llama.cpp | ours/llama.cpp | decode tok/s ours | llama.cpp | ours/llama.cpp | MB/token | bandwidth GB/s | roofline tok/s | ours/roofline | llama.cpp/roofline |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var machine string
	var load float64
	for _, k := range order {
		r := rows[k]
		o, l := r.ours, r.ref
		if o == nil {
			o = &benchResult{}
		}
		if l == nil {
			l = &benchResult{}
		}
		if o.CPU != "" {
			machine = o.CPU
		}
		load = max(load, o.LoadAvg)
		threads := o.Threads
		if threads == 0 {
			threads = l.Threads
		} else if l.Threads != 0 && l.Threads != threads {
			threads = -1
		}
		th := fmt.Sprint(threads)
		if threads < 0 {
			th = fmt.Sprintf("%d vs %d", o.Threads, l.Threads)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			filepath.Base(k), th,
			num(o.PrefillTPS, "%.1f"), num(l.PrefillTPS, "%.1f"), ratio(o.PrefillTPS, l.PrefillTPS),
			num(o.DecodeTPS, "%.2f"), num(l.DecodeTPS, "%.2f"), ratio(o.DecodeTPS, l.DecodeTPS),
			num(float64(o.BytesPerToken)/1e6, "%.1f"), num(o.BandwidthGBs, "%.1f"), num(o.RooflineTPS, "%.2f"),
			frac(o.DecodeTPS, o.RooflineTPS), frac(l.DecodeTPS, o.RooflineTPS))
	}
	if machine != "" {
		fmt.Fprintf(w, "\nMachine: %s. Best of each engine's repetitions; bandwidth and roofline from `bayling bench`'s probe", machine)
		if load > 0 {
			fmt.Fprintf(w, "; highest 1-minute load average seen after a run of ours: %.1f", load)
		}
		fmt.Fprintln(w, ".")
	}
}
