package sample

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randomLogits(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	l := make([]float32, n)
	for i := range l {
		l[i] = float32(r.NormFloat64() * 3)
	}
	return l
}

func TestGreedy(t *testing.T) {
	l := randomLogits(1000, 1)
	l[417] = 50
	s := New(Params{}, len(l))
	if got := s.Sample(l); got != 417 {
		t.Fatalf("greedy picked %d", got)
	}
	for _, p := range []Params{{Temperature: 1, TopK: 1}, {Temperature: 0.8, TopP: 1e-6}} {
		if got := New(p, len(l)).Sample(append([]float32(nil), l...)); got != 417 {
			t.Errorf("%+v picked %d, want the argmax", p, got)
		}
	}
}

func TestSeedRepeatable(t *testing.T) {
	l := randomLogits(32000, 2)
	p := Params{Temperature: 0.9, TopK: 40, TopP: 0.95, Seed: 42}
	a, b := New(p, len(l)), New(p, len(l))
	same, differ := 0, 0
	other := New(Params{Temperature: 0.9, TopK: 40, TopP: 0.95, Seed: 43}, len(l))
	for i := 0; i < 200; i++ {
		x, y := a.Sample(append([]float32(nil), l...)), b.Sample(append([]float32(nil), l...))
		if x != y {
			t.Fatalf("draw %d: same seed gave %d and %d", i, x, y)
		}
		if other.Sample(append([]float32(nil), l...)) == x {
			same++
		} else {
			differ++
		}
	}
	if differ == 0 {
		t.Errorf("another seed gave the same 200 draws")
	}
}

// TestDistribution draws many tokens and compares their frequencies with
// the softmax of the logits at the temperature, restricted by top-k/top-p.
func TestDistribution(t *testing.T) {
	l := []float32{2, 1.5, 1, 0.5, 0, -1, -3, -10}
	cases := []struct {
		p    Params
		want func(i int, probs []float64) float64
	}{
		{Params{Temperature: 1}, nil},
		{Params{Temperature: 0.5}, nil},
		{Params{Temperature: 1, TopK: 3}, nil},
		{Params{Temperature: 1, TopP: 0.7}, nil},
		{Params{Temperature: 2, TopP: 0.7}, nil},
	}
	for _, c := range cases {
		// Expected probabilities.
		probs := make([]float64, len(l))
		var sum float64
		for i, x := range l {
			probs[i] = math.Exp(float64(x) / float64(c.p.Temperature))
			sum += probs[i]
		}
		keep := len(l)
		if c.p.TopK > 0 {
			keep = c.p.TopK
		}
		if c.p.TopP > 0 {
			// top-p is judged at temperature 1.
			var cum, sum1 float64
			for _, x := range l {
				sum1 += math.Exp(float64(x))
			}
			for i := range probs {
				cum += math.Exp(float64(l[i])) / sum1
				if cum >= float64(c.p.TopP) {
					keep = min(keep, i+1)
					break
				}
			}
		}
		var ksum float64
		for i := 0; i < keep; i++ {
			ksum += probs[i]
		}
		s := New(Params{Temperature: c.p.Temperature, TopK: c.p.TopK, TopP: c.p.TopP, Seed: 7}, len(l))
		const n = 200000
		counts := make([]int, len(l))
		for i := 0; i < n; i++ {
			counts[s.Sample(append([]float32(nil), l...))]++
		}
		for i := range l {
			want := 0.0
			if i < keep {
				want = probs[i] / ksum
			}
			got := float64(counts[i]) / n
			if math.Abs(got-want) > 0.005 {
				t.Errorf("%+v: token %d drawn %.4f of the time, want %.4f", c.p, i, got, want)
			}
		}
	}
}

func TestRepeatPenalty(t *testing.T) {
	l := []float32{5, 4.9, -1, -1.1}
	s := New(Params{RepeatPenalty: 1.3, RepeatLastN: 4}, len(l))
	s.Accept(0)
	s.Accept(0) // penalised once, not twice
	s.Accept(2)
	got := s.Sample(l)
	if got != 1 {
		t.Errorf("picked %d, want 1 after penalising 0", got)
	}
	pen := float32(1.3)
	if l[0] != 5/pen || l[2] != -1*pen {
		t.Errorf("penalised logits %v", l)
	}
	// The window forgets old tokens.
	s2 := New(Params{RepeatPenalty: 2, RepeatLastN: 2}, len(l))
	for _, tok := range []int32{0, 2, 3} {
		s2.Accept(tok)
	}
	if got := s2.Sample([]float32{5, 4.9, -1, -1.1}); got != 0 {
		t.Errorf("token 0 fell out of the window but was penalised (picked %d)", got)
	}
}

func TestValidate(t *testing.T) {
	bad := []Params{{Temperature: -1}, {TopP: 1.5}, {TopK: -2}, {Temperature: float32(math.NaN())}, {RepeatPenalty: -1}}
	for _, p := range bad {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if err := (Params{Temperature: 0.7, TopK: 40, TopP: 0.9, RepeatPenalty: 1.1, RepeatLastN: 64}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestNoAllocs(t *testing.T) {
	l := randomLogits(128256, 3)
	buf := make([]float32, len(l))
	for _, p := range []Params{{}, {Temperature: 0.8, TopK: 40, TopP: 0.9, RepeatPenalty: 1.1, RepeatLastN: 64}, {Temperature: 0.8, TopP: 0.95}} {
		s := New(p, len(l))
		for i := 0; i < 64; i++ {
			s.Accept(int32(i))
		}
		allocs := testing.AllocsPerRun(20, func() {
			copy(buf, l)
			s.Sample(buf)
		})
		if allocs != 0 {
			t.Errorf("%+v: %v allocations per Sample", p, allocs)
		}
	}
}

func BenchmarkSampleTopP(b *testing.B) {
	l := randomLogits(128256, 4)
	buf := make([]float32, len(l))
	s := New(Params{Temperature: 0.8, TopK: 40, TopP: 0.95, Seed: 1}, len(l))
	for b.Loop() {
		copy(buf, l)
		s.Sample(buf)
	}
}
