package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/translate"
)

func init() {
	register(&command{
		name:    "translate",
		summary: "translate text (from the arguments or stdin) through baylingd, or in-process with --model",
		usage:   "[--model M.gguf | --socket PATH] [--from LANG] --to LANG [--glossary w1,w2] [--chinese] [TEXT...]",
		run:     runTranslate,
	})
}

// translateFlags are shared by the in-process and the daemon paths.
type translateFlags struct {
	model, socket, from, to, glossary string
	chinese, quiet                    bool
	threads, maxTokens                int
	temperature                       float64
}

func runTranslate(e *env, args []string) error {
	fs := newFlags(e, "translate")
	var f translateFlags
	fs.StringVar(&f.model, "model", "", "run in-process on this GGUF model instead of asking the daemon")
	fs.StringVar(&f.socket, "socket", "", "daemon socket (default $BAYLINGD_SOCKET or /run/baylingd/baylingd.sock)")
	fs.StringVar(&f.from, "from", "", "source language (code or name; optional)")
	fs.StringVar(&f.to, "to", "", "target language (code or name)")
	fs.StringVar(&f.glossary, "glossary", "", "comma-separated terms the translation must contain")
	fs.BoolVar(&f.chinese, "chinese", false, "phrase the instruction in Chinese")
	fs.IntVar(&f.threads, "threads", defaultThreads(), "worker threads (with --model)")
	fs.IntVar(&f.maxTokens, "max-tokens", 0, "most tokens to generate (0: by text length)")
	fs.Float64Var(&f.temperature, "temperature", 0, "sampling temperature (0: greedy)")
	fs.BoolVar(&f.quiet, "q", false, "print only the translation (no streaming)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if f.to == "" {
		return usagef("--to is required")
	}
	text := strings.Join(pos, " ")
	if len(pos) == 0 {
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return err
		}
		text = string(b)
	}
	req := translate.Request{Text: strings.TrimSpace(text), Source: f.from, Target: f.to, Chinese: f.chinese}
	if f.glossary != "" {
		for _, w := range strings.Split(f.glossary, ",") {
			if w = strings.TrimSpace(w); w != "" {
				req.Glossary = append(req.Glossary, w)
			}
		}
	}
	// Validate before loading anything: a typo in a language name should
	// not cost a model load.
	if _, err := translate.BuildInstruction(req); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if f.model == "" {
		return translateViaDaemon(ctx, e, f, req)
	}
	m, err := loadModel(e, f.model)
	if err != nil {
		return err
	}
	defer m.Close()
	fam, err := translate.FamilyOf(m)
	if err != nil {
		return err
	}
	r, err := engine.NewRunner(m, engine.RunnerOptions{Threads: f.threads, ContextSize: 4096, MaxActive: 1})
	if err != nil {
		return err
	}
	defer r.Close()
	tr := translate.Translator{Family: fam, Gen: &translate.EngineGenerator{Runner: r}, Options: translate.GenerateOptions{MaxTokens: f.maxTokens, Temperature: float32(f.temperature)}}
	var emit func(string) error
	if !f.quiet {
		emit = func(p string) error { _, err := io.WriteString(e.stdout, p); return err }
	}
	res, err := tr.Translate(ctx, req, emit)
	if err != nil {
		return err
	}
	if f.quiet {
		fmt.Fprint(e.stdout, res.Translation)
	}
	fmt.Fprintln(e.stdout)
	return nil
}
