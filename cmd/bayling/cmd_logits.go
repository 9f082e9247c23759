package main

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"sort"

	"github.com/baylingd/baylingd/engine/llama"
)

func init() {
	register(&command{
		name:    "logits",
		summary: "compute a prompt's logits and greedy continuation as JSON, in the fixture goldens' format",
		usage:   "--model M.gguf --prompt-file F [--greedy N] [--json]",
		run:     runLogits,
	})
}

// logitsReport has the fields of the fixtures' goldens, so the output of
// this engine and of llama.cpp can be compared with the same script.
type logitsReport struct {
	Model         string         `json:"model"`
	Prompt        string         `json:"prompt"`
	Tokens        []int32        `json:"tokens"`
	Top5          [][][2]float64 `json:"top5"`
	LastLogits    []float32      `json:"last_logits"`
	Greedy        []int32        `json:"greedy"`
	GreedyGap     []float64      `json:"greedy_gap"`
	GreedyTextHex string         `json:"greedy_text_hex"`
}

func runLogits(e *env, args []string) error {
	fs := newFlags(e, "logits")
	model := fs.String("model", "", "GGUF model")
	promptFile := fs.String("prompt-file", "", "file holding the exact prompt text ('-' for stdin); tokenized with BOS and special tokens parsed")
	greedyN := fs.Int("greedy", 48, "greedy continuation length")
	threads := fs.Int("threads", defaultThreads(), "worker threads")
	fs.Bool("json", true, "print JSON (the only format)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" || *promptFile == "" {
		return usagef("--model and --prompt-file are required")
	}
	var prompt []byte
	var err error
	if *promptFile == "-" {
		prompt, err = io.ReadAll(e.stdin)
	} else {
		prompt, err = os.ReadFile(*promptFile)
	}
	if err != nil {
		return err
	}
	m, err := loadModel(e, *model)
	if err != nil {
		return err
	}
	defer m.Close()
	toks := m.Tok.Encode(string(prompt), m.Tok.AddBOS(), true)
	if len(toks) == 0 {
		return usagef("the prompt is empty")
	}
	c, err := m.LLM.NewContext(llama.Options{Threads: *threads, ContextSize: len(toks) + *greedyN + 1})
	if err != nil {
		return err
	}
	defer c.Close()
	seq, _ := c.NewSeq()
	b := llama.Batch{Tokens: toks, Seqs: make([]int32, len(toks)), Logits: make([]bool, len(toks))}
	for i := range b.Logits {
		b.Seqs[i] = int32(seq)
		b.Logits[i] = true
	}
	if err := c.Decode(b); err != nil {
		return err
	}
	rep := logitsReport{Model: *model, Prompt: string(prompt), Tokens: toks, Top5: make([][][2]float64, len(toks))}
	for i := range toks {
		rep.Top5[i] = topN(c.Logits(i), 5)
	}
	rep.LastLogits = append([]float32(nil), c.Logits(len(toks)-1)...)
	last := rep.LastLogits
	for i := 0; i < *greedyN; i++ {
		top := topN(last, 2)
		tok := int32(top[0][0])
		rep.Greedy = append(rep.Greedy, tok)
		rep.GreedyGap = append(rep.GreedyGap, top[0][1]-top[1][1])
		if i == *greedyN-1 {
			break
		}
		if err := c.Decode(llama.Batch{Tokens: []int32{tok}, Seqs: []int32{int32(seq)}}); err != nil {
			return err
		}
		last = c.Logits(0)
	}
	rep.GreedyTextHex = hex.EncodeToString(m.Tok.Detokenize(rep.Greedy, false))
	enc := json.NewEncoder(e.stdout)
	return enc.Encode(rep)
}

// topN returns the n largest logits as [id, logit], largest first (ties by
// lower id, as a stable argmax would).
func topN(l []float32, n int) [][2]float64 {
	idx := make([]int, 0, n+1)
	for i, v := range l {
		if len(idx) == n && v <= l[idx[n-1]] {
			continue
		}
		j := sort.Search(len(idx), func(k int) bool { return l[idx[k]] < v })
		idx = append(idx, 0)
		copy(idx[j+1:], idx[j:])
		idx[j] = i
		if len(idx) > n {
			idx = idx[:n]
		}
	}
	out := make([][2]float64, len(idx))
	for k, i := range idx {
		out[k] = [2]float64{float64(i), float64(l[i])}
	}
	return out
}
