package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Params are the sampling settings of one request.
type Params struct {
	// Temperature 0 (or less) means greedy: always the most likely token.
	Temperature float32
	// TopK keeps the K most likely tokens (0: all).
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// adds up to at least TopP (0 or 1: all).
	TopP float32
	// RepeatPenalty divides positive logits (multiplies negative ones) of
	// tokens among the last RepeatLastN (1 or 0: off).
	RepeatPenalty float32
	RepeatLastN   int
	// Seed makes the draw repeatable.
	Seed uint64
}

// Validate reports settings out of range.
func (p Params) Validate() error {
	switch {
	case math.IsNaN(float64(p.Temperature)) || p.Temperature < 0 || p.Temperature > 100:
		return fmt.Errorf("temperature %g out of range [0, 100]", p.Temperature)
	case p.TopK < 0:
		return fmt.Errorf("top_k %d is negative", p.TopK)
	case math.IsNaN(float64(p.TopP)) || p.TopP < 0 || p.TopP > 1:
		return fmt.Errorf("top_p %g out of range [0, 1]", p.TopP)
	case math.IsNaN(float64(p.RepeatPenalty)) || p.RepeatPenalty < 0 || p.RepeatPenalty > 10:
		return fmt.Errorf("repeat_penalty %g out of range [0, 10]", p.RepeatPenalty)
	case p.RepeatLastN < 0:
		return fmt.Errorf("repeat_last_n %d is negative", p.RepeatLastN)
	}
	return nil
}

type candidate struct {
	id    int32
	logit float32
	p     float32
}

// Sampler draws tokens for one sequence. Its buffers are sized for the
// vocabulary once, so Sample does not allocate.
type Sampler struct {
	p      Params
	rng    *rand.Rand
	cands  []candidate
	recent []int32 // ring of the last RepeatLastN tokens
	next   int
}

// New returns a sampler for a vocabulary of n tokens.
func New(p Params, n int) *Sampler {
	s := &Sampler{p: p, rng: rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15))}
	if p.Temperature > 0 {
		s.cands = make([]candidate, n)
	}
	if p.RepeatPenalty != 0 && p.RepeatPenalty != 1 && p.RepeatLastN > 0 {
		s.recent = make([]int32, 0, p.RepeatLastN)
	}
	return s
}

// Accept records a token of the sequence (prompt or generated) for the
// repetition penalty.
func (s *Sampler) Accept(tok int32) {
	if s.recent == nil {
		return
	}
	if len(s.recent) < cap(s.recent) {
		s.recent = append(s.recent, tok)
		return
	}
	s.recent[s.next] = tok
	s.next = (s.next + 1) % len(s.recent)
}

// Sample picks the next token from logits. It modifies logits when a
// repetition penalty is set.
func (s *Sampler) Sample(logits []float32) int32 {
	if s.recent != nil {
		pen := s.p.RepeatPenalty
		for i, tok := range s.recent {
			if int(tok) >= len(logits) || slices.Contains(s.recent[:i], tok) {
				continue // penalise each token once, as llama.cpp does
			}
			if logits[tok] > 0 {
				logits[tok] /= pen
			} else {
				logits[tok] *= pen
			}
		}
	}
	if s.p.Temperature <= 0 {
		return int32(argmax(logits))
	}
	c := s.cands[:len(logits)]
	for i, l := range logits {
		c[i] = candidate{id: int32(i), logit: l}
	}
	// Sort only as much as top-k/top-p need: a full sort of 128k entries
	// per token would dominate small models' decode time.
	k := len(c)
	if s.p.TopK > 0 && s.p.TopK < k {
		k = s.p.TopK
	}
	if s.p.TopP > 0 && s.p.TopP < 1 && k > 256 {
		// top-p usually keeps few tokens; start with a partial selection
		// and widen it if the kept mass falls short.
		k = min(k, 256)
	}
	for {
		partialSort(c, k)
		n := s.truncate(c, k)
		if n < k || k == len(c) || (s.p.TopK > 0 && k == s.p.TopK) || s.p.TopP <= 0 || s.p.TopP >= 1 {
			return s.draw(c[:n])
		}
		k = min(len(c), k*4)
		if s.p.TopK > 0 {
			k = min(k, s.p.TopK)
		}
	}
}

// truncate applies top-p to the k best candidates (sorted) and sets their
// probabilities at the temperature; it returns how many are kept. As in
// llama.cpp, top-p looks at the distribution left by top-k at temperature
// 1, and the temperature shapes only the final draw.
func (s *Sampler) truncate(c []candidate, k int) int {
	maxl := c[0].logit
	n := k
	if s.p.TopP > 0 && s.p.TopP < 1 {
		// The normaliser covers every token top-k left, not only the k
		// sorted so far.
		pool := c
		if s.p.TopK > 0 && s.p.TopK < len(c) {
			pool = c[:s.p.TopK]
		}
		var sum float64
		for i := range pool {
			sum += math.Exp(float64(pool[i].logit - maxl))
		}
		var cum float64
		for i := 0; i < k; i++ {
			cum += math.Exp(float64(c[i].logit-maxl)) / sum
			if cum >= float64(s.p.TopP) {
				n = i + 1
				break
			}
		}
	}
	for i := 0; i < n; i++ {
		c[i].p = float32(math.Exp(float64((c[i].logit - maxl) / s.p.Temperature)))
	}
	return n
}

func (s *Sampler) draw(c []candidate) int32 {
	var sum float64
	for i := range c {
		sum += float64(c[i].p)
	}
	r := s.rng.Float64() * sum
	for i := range c {
		r -= float64(c[i].p)
		if r <= 0 {
			return c[i].id
		}
	}
	return c[len(c)-1].id
}

// partialSort moves the k largest logits, in descending order, to the front.
func partialSort(c []candidate, k int) {
	if k >= len(c) {
		slices.SortFunc(c, func(a, b candidate) int { return cmpDesc(a, b) })
		return
	}
	// Quickselect the k-th largest, then sort the front.
	lo, hi := 0, len(c)-1
	for lo < hi {
		p := c[(lo+hi)/2].logit
		i, j := lo, hi
		for i <= j {
			for c[i].logit > p {
				i++
			}
			for c[j].logit < p {
				j--
			}
			if i <= j {
				c[i], c[j] = c[j], c[i]
				i++
				j--
			}
		}
		if k-1 <= j {
			hi = j
		} else if k-1 >= i {
			lo = i
		} else {
			break
		}
	}
	slices.SortFunc(c[:k], func(a, b candidate) int { return cmpDesc(a, b) })
}

func cmpDesc(a, b candidate) int {
	switch {
	case a.logit > b.logit:
		return -1
	case a.logit < b.logit:
		return 1
	}
	return int(a.id - b.id)
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
