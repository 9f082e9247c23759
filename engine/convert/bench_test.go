package convert

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baylingd/baylingd/internal/fixtures"
)

// benchShape is TinyLlama-1.1B's: 2048 embd, 22 layers, 32 heads, 4 KV
// heads, 5632 ffn, 32000 vocab (1.1 G parameters, 2.2 GB in F16).
// BAYLING_BENCH_LAYERS overrides the layer count for a quicker run.
type benchShape struct{ embd, layers, heads, kv, ffn, vocab int }

var tinyLlama = benchShape{2048, 22, 32, 4, 5632, 32000}

// writeSyntheticCheckpoint writes a LlamaForCausalLM checkpoint of shape s
// with random F16 weights into dir (config.json, generation_config.json,
// model.safetensors) and links the fixture's Llama-2 tokenizer.model. It
// returns the size of model.safetensors.
func writeSyntheticCheckpoint(tb testing.TB, dir string, s benchShape) int64 {
	tb.Helper()
	cfg := map[string]any{
		"architectures": []string{"LlamaForCausalLM"}, "model_type": "llama", "hidden_act": "silu",
		"hidden_size": s.embd, "intermediate_size": s.ffn, "num_attention_heads": s.heads,
		"num_key_value_heads": s.kv, "num_hidden_layers": s.layers, "rms_norm_eps": 1e-5,
		"rope_theta": 10000.0, "max_position_embeddings": 2048, "vocab_size": s.vocab,
		"tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2,
	}
	b, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(`{"bos_token_id": 1, "eos_token_id": 2}`), 0o644)
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"add_bos_token": true, "add_eos_token": false}`), 0o644)
	if err := os.Symlink(filepath.Join(fixtures.Path(tb, "hf/hf-llama2"), "tokenizer.model"), filepath.Join(dir, "tokenizer.model")); err != nil {
		tb.Fatal(err)
	}
	type tensor struct {
		name  string
		shape []int64
	}
	hd := s.embd / s.heads
	ts := []tensor{{"model.embed_tokens.weight", []int64{int64(s.vocab), int64(s.embd)}}}
	for i := 0; i < s.layers; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			tensor{p + "input_layernorm.weight", []int64{int64(s.embd)}},
			tensor{p + "self_attn.q_proj.weight", []int64{int64(s.embd), int64(s.embd)}},
			tensor{p + "self_attn.k_proj.weight", []int64{int64(s.kv * hd), int64(s.embd)}},
			tensor{p + "self_attn.v_proj.weight", []int64{int64(s.kv * hd), int64(s.embd)}},
			tensor{p + "self_attn.o_proj.weight", []int64{int64(s.embd), int64(s.embd)}},
			tensor{p + "post_attention_layernorm.weight", []int64{int64(s.embd)}},
			tensor{p + "mlp.gate_proj.weight", []int64{int64(s.ffn), int64(s.embd)}},
			tensor{p + "mlp.up_proj.weight", []int64{int64(s.ffn), int64(s.embd)}},
			tensor{p + "mlp.down_proj.weight", []int64{int64(s.embd), int64(s.ffn)}},
		)
	}
	ts = append(ts, tensor{"model.norm.weight", []int64{int64(s.embd)}}, tensor{"lm_head.weight", []int64{int64(s.vocab), int64(s.embd)}})
	hdr := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, t := range ts {
		n := int64(2)
		for _, d := range t.shape {
			n *= d
		}
		hdr[t.name] = map[string]any{"dtype": "F16", "shape": t.shape, "data_offsets": []int64{off, off + n}}
		off += n
	}
	hj, _ := json.Marshal(hdr)
	fh, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(fh, 4<<20)
	binary.Write(w, binary.LittleEndian, uint64(len(hj)))
	w.Write(hj)
	// Random halves of magnitude 2^-7..2^-3 with random signs (xorshift:
	// math/rand's normals would take longer than the conversion).
	x := uint64(0x9e3779b97f4a7c15)
	var buf [8]byte
	for n := off / 8; n > 0; n-- {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		v := x
		for k := 0; k < 4; k++ {
			h := uint16(v)&0x83ff | uint16(8+(v>>10)&3)<<10
			binary.LittleEndian.PutUint16(buf[2*k:], h)
			v >>= 16
		}
		w.Write(buf[:])
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		tb.Fatal(err)
	}
	return 8 + int64(len(hj)) + off
}

// childEnv carries a conversion to run in a child process:
// "HF_DIR|OUT|TYPE|THREADS" (paths of the benchmark's own temporary folder, which hold no "|").
const childEnv = "BAYLING_CONVERT_BENCH_CHILD"

// TestConvertChild is the child process of BenchmarkConvert; it does
// nothing in a normal test run.
func TestConvertChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("only run as BenchmarkConvert's child process")
	}
	p := strings.Split(spec, "|")
	threads, _ := strconv.Atoi(p[3])
	if err := Convert(p[0], p[1], Options{Type: p[2], Threads: threads}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkConvert converts a synthetic TinyLlama-1.1B-shaped F16
// checkpoint (generated into a temporary folder, 2.2 GB) to F16 and to
// Q4_K_M and reports the throughput in checkpoint MB per second and the
// peak resident memory of the conversion. Each conversion runs in a child
// process (this test binary, running TestConvertChild), so the peak RSS
// (the child's ru_maxrss: heap, stacks and the mapped checkpoint pages
// resident at once) is the converter's alone. The checkpoint was just
// written, so it is read from the page cache: the figures are the
// converter's, not the disk's. Run with -benchtime=1x.
func BenchmarkConvert(b *testing.B) {
	shape := tinyLlama
	if v, err := strconv.Atoi(os.Getenv("BAYLING_BENCH_LAYERS")); err == nil && v > 0 {
		shape.layers = v
	}
	dir := b.TempDir()
	hf := filepath.Join(dir, "hf")
	os.Mkdir(hf, 0o755)
	t0 := time.Now()
	size := writeSyntheticCheckpoint(b, hf, shape)
	b.Logf("synthetic checkpoint: %d layers, %.2f GB F16, written in %v", shape.layers, float64(size)/1e9, time.Since(t0).Round(time.Millisecond))
	threads := runtime.NumCPU()
	for _, typ := range []string{"f16", "q4_k_m"} {
		b.Run(typ, func(b *testing.B) {
			out := filepath.Join(dir, typ+".gguf")
			var secs, rss float64
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(os.Args[0], "-test.run=^TestConvertChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{hf, out, typ, strconv.Itoa(threads)}, "|"))
				start := time.Now()
				if msg, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("child: %v\n%s", err, msg)
				}
				secs += time.Since(start).Seconds()
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					rss = max(rss, float64(ru.Maxrss)*1024) // Linux reports KiB
				}
			}
			st, _ := os.Stat(out)
			b.ReportMetric(float64(size)/1e6/(secs/float64(b.N)), "MB/s")
			b.ReportMetric(rss/(1<<20), "peak-RSS-MiB")
			b.Logf("%s: %.2f GB -> %.2f GB with %d threads, %.1f s, peak RSS %.0f MiB", typ, float64(size)/1e9, float64(st.Size())/1e9, threads, secs/float64(b.N), rss/(1<<20))
			os.Remove(out)
		})
	}
}
