package bench

import (
	"path/filepath"
	"testing"

	"github.com/baylingd/baylingd/engine/llama"
	"github.com/baylingd/baylingd/engine/quantize"
	"github.com/baylingd/baylingd/engine/synth"
)

func TestBandwidth(t *testing.T) {
	bw := Bandwidth(2, 64<<20)
	if bw < 1e8 || bw > 1e13 {
		t.Fatalf("bandwidth %.3g B/s", bw)
	}
	t.Logf("read bandwidth over a 64 MiB buffer, 2 threads: %.1f GB/s", bw/1e9)
}

func TestMeasure(t *testing.T) {
	s := synth.Shape{Name: "t", Title: "T", NVocab: 1000, NEmbd: 256, NLayer: 2, NHead: 4, NHeadKV: 2, NFF: 512,
		NCtx: 256, RopeBase: 1e4, RMSEps: 1e-5}
	path := filepath.Join(t.TempDir(), "m.gguf")
	if _, err := synth.Write(path, synth.Options{Shape: s, Type: quantize.MostlyQ4_0, Vocab: synth.GeneratedVocab, Threads: 2}); err != nil {
		t.Fatal(err)
	}
	m, err := llama.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r, err := Measure(m, path, Options{Threads: 2, Prompt: 16, Gen: 8, Reps: 2, BandwidthBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Runs) != 2 || r.PrefillTPS <= 0 || r.DecodeTPS <= 0 || r.DecodeRoofline <= 0 || r.Threads != 2 {
		t.Errorf("result %+v", r)
	}
	// Weights per token: 2 layers of Q4_0 matrices (18 bytes per 32),
	// output Q6_K (210 per 256), norms, one embedding row.
	q4 := func(rows, cols int) int64 { return int64(rows * cols / 32 * 18) }
	want := 2*(q4(256, 256)*2+q4(128, 256)*2+q4(512, 256)*3) + int64(1000*256/256*210) + 5*256*4 + int64(256/32*18)
	if r.WeightBytes != want {
		t.Errorf("weight bytes per token %d, want %d", r.WeightBytes, want)
	}
	// KV: 2 layers x (K and V) x 128 dims x 2 bytes x (16+4+1) positions.
	if r.KVBytes != 2*2*128*2*21 {
		t.Errorf("KV bytes per token %d", r.KVBytes)
	}
}

func TestPromptTokens(t *testing.T) {
	p := PromptTokens(3, 32000)
	if p[0] != 300 || p[1] != 8219 || p[2] != 16138 {
		t.Errorf("prompt %v", p)
	}
}
