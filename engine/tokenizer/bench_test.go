package tokenizer

import (
	"testing"
	"time"

	"github.com/baylingd/baylingd/engine/gguf"
)

// benchText is a paragraph of the mixed text a translation daemon sees:
// English and German prose, Chinese, numbers, punctuation, a newline.
const benchText = "Provide the German translation for this sentence: The weather station on the roof " +
	"reports 21.5 °C, 40% humidity and a light breeze from the north-west; it's the third " +
	"reading since 08:00, and the sensors haven't failed once.\n" +
	"Die Wetterstation auf dem Dach meldet 21,5 °C – die Luftfeuchtigkeit liegt bei 40 %. " +
	"提供这句话的中文翻译：今天天气很好，所以我们会步行去市场，大约需要15分钟。" +
	" Make sure to include these words: {sensor, humidity, 湿度}!"

func BenchmarkEncode(b *testing.B) {
	for _, c := range []struct{ name, vocab string }{{"spm", spmVocab}, {"bpe", bpeVocab}} {
		b.Run(c.name, func(b *testing.B) {
			tok := loadFixture(b, c.vocab)
			n := len(tok.Encode(benchText, true, false))
			b.SetBytes(int64(len(benchText)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				tok.Encode(benchText, true, false)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func BenchmarkDecoder(b *testing.B) {
	tok := loadFixture(b, bpeVocab)
	ids := tok.Encode(benchText, false, false)
	d := tok.NewDecoder()
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		for _, id := range ids {
			d.Push(id)
		}
		d.Flush()
	}
	b.ReportMetric(float64(len(ids))*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// TestBuildTime reports how long building the Llama-3 tokenizer (128,256
// tokens, 280,147 merges) takes from an open file; it fails only when far
// over the budget, since the machine may be shared.
func TestBuildTime(t *testing.T) {
	f, err := gguf.Open(fixture(t, bpeVocab))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t0 := time.Now()
	if _, err := FromGGUF(f); err != nil {
		t.Fatal(err)
	}
	d := time.Since(t0)
	t.Logf("FromGGUF(Llama-3 vocabulary): %v", d)
	if d > 5*time.Second {
		t.Errorf("building the tokenizer took %v", d)
	}
}

// TestConcurrentUse runs encoders and decoders of one Tokenizer in parallel;
// under -race it checks that the Tokenizer is read-only after building.
func TestConcurrentUse(t *testing.T) {
	tok := loadFixture(t, bpeVocab)
	want := tok.Encode(benchText, true, true)
	done := make(chan []int32)
	for range 4 {
		go func() {
			var got []int32
			for range 20 {
				got = tok.Encode(benchText, true, true)
				d := tok.NewDecoder()
				for _, id := range got {
					d.Push(id)
				}
			}
			done <- got
		}()
	}
	for range 4 {
		if got := <-done; len(got) != len(want) {
			t.Errorf("concurrent Encode gave %d tokens, want %d", len(got), len(want))
		}
	}
}
