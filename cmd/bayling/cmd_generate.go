package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/engine/sample"
	"github.com/baylingd/baylingd/engine/tokenizer"
)

func init() {
	register(&command{
		name:    "generate",
		summary: "continue a raw prompt (no template) with a model in-process",
		usage:   "--model M.gguf [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S] PROMPT",
		run:     runGenerate,
	})
}

func runGenerate(e *env, args []string) error {
	fs := newFlags(e, "generate")
	model := fs.String("model", "", "GGUF model")
	maxTokens := fs.Int("max-tokens", 128, "most tokens to generate")
	temp := fs.Float64("temperature", 0, "sampling temperature (0: greedy)")
	topK := fs.Int("top-k", 40, "keep the K most likely tokens (0: all)")
	topP := fs.Float64("top-p", 0.95, "nucleus sampling mass (1: off)")
	repeat := fs.Float64("repeat-penalty", 1, "repetition penalty over the last 64 tokens (1: off)")
	seed := fs.Uint64("seed", 0, "random seed")
	threads := fs.Int("threads", defaultThreads(), "worker threads")
	stats := fs.Bool("stats", false, "print token counts and speed to stderr")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *model == "" || len(pos) == 0 {
		return usagef("--model and a prompt are required")
	}
	m, err := loadModel(e, *model)
	if err != nil {
		return err
	}
	defer m.Close()
	r, err := engine.NewRunner(m, engine.RunnerOptions{Threads: *threads, MaxActive: 1})
	if err != nil {
		return err
	}
	defer r.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// The prompt is the user's own full text: special tokens in it are
	// parsed, as llama.cpp's tools do.
	s, err := r.Submit(ctx, engine.Request{
		Prompt:    []tokenizer.Segment{{Text: strings.Join(pos, " "), Special: true}},
		MaxTokens: *maxTokens,
		Sample:    sample.Params{Temperature: float32(*temp), TopK: *topK, TopP: float32(*topP), RepeatPenalty: float32(*repeat), RepeatLastN: 64, Seed: *seed},
	})
	if err != nil {
		return err
	}
	for {
		piece, res, err := s.Recv(context.Background())
		if err != nil {
			return err
		}
		if res != nil {
			fmt.Fprintln(e.stdout)
			if *stats {
				gen := res.Elapsed - res.FirstToken
				fmt.Fprintf(e.stderr, "%d prompt tokens, %d generated (%s); first token %s, %.1f tokens/s after it\n",
					res.PromptTokens, res.Tokens, res.Reason, res.FirstToken.Round(1e6), float64(res.Tokens-1)/gen.Seconds())
			}
			if res.Reason == engine.FinishError {
				return res.Err
			}
			return nil
		}
		if _, err := io.WriteString(e.stdout, piece); err != nil {
			return err
		}
	}
}
