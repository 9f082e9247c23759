package bench

import (
	"fmt"
	"runtime"
	"time"

	"github.com/baylingd/baylingd/engine/llama"
	"github.com/baylingd/baylingd/kernels"
)

// Options say what to measure.
type Options struct {
	Threads int // 0: llama's default (the performance cores)
	Prompt  int // prompt tokens, evaluated in one batch (0: 128)
	Gen     int // decoded tokens (0: 64)
	Reps    int // repetitions; the best is reported (0: 3)
	// BandwidthBytes is the size of the buffer the bandwidth probe reads
	// (0: DefaultProbeBytes); negative skips the probe.
	BandwidthBytes int
	// Offload runs the layer matmuls of passes of Offload.MinBatch tokens
	// or more on an accelerator; the zero value measures the CPU.
	Offload llama.Offload
}

// Run is one repetition.
type Run struct {
	PrefillTPS float64 `json:"prefill_tps"`
	DecodeTPS  float64 `json:"decode_tps"`
}

// Result is what Measure reports. Its JSON form is the one `bayling bench
// --json` prints, and shares its field names with the llama.cpp script's.
type Result struct {
	Engine  string `json:"engine"`
	Model   string `json:"model"`
	Name    string `json:"name,omitempty"`
	Threads int    `json:"threads"`
	NPrompt int    `json:"n_prompt"`
	NGen    int    `json:"n_gen"`

	PrefillTPS float64 `json:"prefill_tps"`
	DecodeTPS  float64 `json:"decode_tps"`
	Runs       []Run   `json:"runs"`

	// Bytes read per decoded token: the weights, and the KV cache at the
	// mean position of the decode run.
	WeightBytes   int64 `json:"weight_bytes_per_token"`
	KVBytes       int64 `json:"kv_bytes_per_token"`
	BytesPerToken int64 `json:"bytes_per_token"`

	// BandwidthGBs is the measured read bandwidth (1e9 bytes/s);
	// RooflineTPS = bandwidth / BytesPerToken; DecodeRoofline =
	// DecodeTPS / RooflineTPS. Zero when the probe was skipped.
	BandwidthGBs   float64 `json:"bandwidth_gbs,omitempty"`
	RooflineTPS    float64 `json:"roofline_tps,omitempty"`
	DecodeRoofline float64 `json:"decode_roofline,omitempty"`

	// Accel is the backend a second run offloaded the prompt's matmuls
	// to (`bayling bench --accel`), AccelPrefillTPS that run's prompt
	// speed and AccelRuns its repetitions; every other figure is the
	// CPU's.
	Accel           string  `json:"accel,omitempty"`
	AccelPrefillTPS float64 `json:"accel_prefill_tps,omitempty"`
	AccelRuns       []Run   `json:"accel_runs,omitempty"`

	Types  map[string]int `json:"tensor_types"`
	GOARCH string         `json:"goarch"`
	CPU    string         `json:"cpu,omitempty"`
	// LoadAvg is the 1-minute load average at the end of the measurement
	// (Linux): above the thread count, other processes competed for the
	// cores and the figures are low.
	LoadAvg float64 `json:"load_avg,omitempty"`
}

// EngineName is Result.Engine for this engine.
const EngineName = "baylingd"

// PromptTokens returns the benchmark prompt: the token ids llama.cpp's
// benchmark script uses (reduced modulo the vocabulary for tiny ones).
func PromptTokens(n, vocab int) []int32 {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32((300 + (i*7919)%20000) % vocab)
	}
	return p
}

// Measure benchmarks m. path is reported as the model.
func Measure(m *llama.Model, path string, o Options) (*Result, error) {
	if o.Prompt <= 0 {
		o.Prompt = 128
	}
	if o.Gen <= 0 {
		o.Gen = 64
	}
	if o.Reps <= 0 {
		o.Reps = 3
	}
	if o.Prompt+o.Gen > m.NCtxTrain {
		return nil, fmt.Errorf("bench: %d prompt + %d generated tokens exceed the context of %d", o.Prompt, o.Gen, m.NCtxTrain)
	}
	c, err := m.NewContext(llama.Options{Threads: o.Threads, ContextSize: o.Prompt + o.Gen + 16, MaxBatch: o.Prompt, MaxSeqs: 1, Accel: o.Offload})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	r := &Result{Engine: EngineName, Model: path, Threads: c.Threads(), NPrompt: o.Prompt, NGen: o.Gen,
		Types: map[string]int{}, GOARCH: runtime.GOARCH, CPU: CPUName()}
	r.Name, _ = m.File.String("general.name")
	for _, t := range m.File.Tensors {
		r.Types[t.Type.String()]++
	}

	prompt := PromptTokens(o.Prompt, m.NVocab)
	seqs := make([]int32, o.Prompt)
	tok := []int32{0}
	seq1 := []int32{0}
	for rep := 0; rep < o.Reps; rep++ {
		s, err := c.NewSeq()
		if err != nil {
			return nil, err
		}
		for i := range seqs {
			seqs[i] = int32(s)
		}
		seq1[0] = int32(s)
		t0 := time.Now()
		if err := c.Decode(llama.Batch{Tokens: prompt, Seqs: seqs}); err != nil {
			return nil, err
		}
		tok[0] = int32(kernels.Argmax(c.Logits(0)))
		t1 := time.Now()
		for i := 0; i < o.Gen; i++ {
			if err := c.Decode(llama.Batch{Tokens: tok, Seqs: seq1}); err != nil {
				return nil, err
			}
			tok[0] = int32(kernels.Argmax(c.Logits(0)))
		}
		t2 := time.Now()
		c.FreeSeq(s)
		run := Run{PrefillTPS: float64(o.Prompt) / t1.Sub(t0).Seconds(), DecodeTPS: float64(o.Gen) / t2.Sub(t1).Seconds()}
		r.Runs = append(r.Runs, run)
		r.PrefillTPS = max(r.PrefillTPS, run.PrefillTPS)
		r.DecodeTPS = max(r.DecodeTPS, run.DecodeTPS)
	}

	r.WeightBytes, r.KVBytes = BytesPerToken(m, o.Prompt+o.Gen/2)
	r.BytesPerToken = r.WeightBytes + r.KVBytes
	if o.BandwidthBytes >= 0 {
		bw := Bandwidth(c.Threads(), o.BandwidthBytes)
		r.SetBandwidth(bw)
	}
	r.LoadAvg = LoadAvg()
	return r, nil
}

// SetBandwidth fills the roofline fields from a bandwidth in bytes/s.
func (r *Result) SetBandwidth(bw float64) {
	if bw <= 0 || r.BytesPerToken <= 0 {
		return
	}
	r.BandwidthGBs = bw / 1e9
	r.RooflineTPS = bw / float64(r.BytesPerToken)
	r.DecodeRoofline = r.DecodeTPS / r.RooflineTPS
}

// BytesPerToken returns the bytes one decode step at position pos reads:
// every weight matrix but the token embedding (of which one row), the
// norms, and the F16 K and V of pos+1 positions in every layer.
func BytesPerToken(m *llama.Model, pos int) (weights, kv int64) {
	mat := func(w *llama.Weight) int64 { return int64(w.RowBytes) * int64(w.Rows) }
	for i := range m.Layers {
		l := &m.Layers[i]
		for _, w := range []*llama.Weight{&l.Wq, &l.Wk, &l.Wv, &l.Wo, &l.FFNGate, &l.FFNUp, &l.FFNDown} {
			weights += mat(w)
		}
		weights += int64(len(l.AttnNorm)+len(l.FFNNorm)) * 4
	}
	weights += mat(&m.Output) + int64(len(m.OutputNorm))*4 + int64(m.TokEmbd.RowBytes)
	kv = 2 * int64(m.NLayer) * int64(pos+1) * int64(m.KVDim()) * 2
	return weights, kv
}
