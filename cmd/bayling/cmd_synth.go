package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/baylingd/baylingd/engine/quantize"
	"github.com/baylingd/baylingd/engine/synth"
)

func init() {
	register(&command{
		name:    "synth",
		summary: "write a random-weight model with a real model's shape, for benchmarks",
		usage:   "--shape " + strings.Join(shapeNames(), "|") + " --type q4_0|q4_k_m|q8_0 [--seed N] [--vocab FILE] OUT.gguf",
		run:     runSynth,
	})
}

func runSynth(e *env, args []string) error {
	fs := newFlags(e, "synth")
	shape := fs.String("shape", "", "model shape: "+strings.Join(shapeNames(), ", "))
	typ := fs.String("type", "q4_0", "quantization recipe: "+strings.Join(quantize.FileTypeNames(), ", "))
	seed := fs.Uint64("seed", 1, "random seed (the same seed, shape and type give the same file)")
	vocab := fs.String("vocab", "", "GGUF file whose tokenizer metadata to copy (default: the shape's vocabulary from the shared fixtures; \""+synth.GeneratedVocab+"\": generate one)")
	threads := fs.Int("threads", 0, "quantizer threads (default: all CPUs)")
	quiet := fs.Bool("q", false, "no progress on stderr")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one output file")
	}
	if *shape == "" {
		return usagef("--shape is required (%s)", strings.Join(shapeNames(), ", "))
	}
	s, err := synth.ShapeByName(*shape)
	if err != nil {
		return usagef("%v", err)
	}
	ft, err := quantize.ParseFileType(*typ)
	if err != nil {
		return usagef("--type: %v", err)
	}
	tty := isTerminal(e.stderr)
	start := time.Now()
	last := -1
	o := synth.Options{Shape: s, Type: ft, Seed: *seed, Vocab: *vocab, Threads: *threads}
	if !*quiet {
		o.Progress = func(done, total int64) {
			pct := int(100 * done / total)
			switch {
			case tty && pct != last:
				fmt.Fprintf(e.stderr, "\rsynthesizing %s: %3d%%", pos[0], pct)
			case !tty && pct/25 != last/25:
				fmt.Fprintf(e.stderr, "synthesizing %s: %d%%\n", pos[0], pct/25*25)
			}
			last = pct
		}
	}
	info, err := synth.Write(pos[0], o)
	if tty && !*quiet {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	vocabNote := "vocabulary from " + info.Vocab
	if info.Generated {
		vocabNote = "generated vocabulary (no vocabulary file found; not a real tokenizer)"
	}
	fmt.Fprintf(e.stdout, "wrote %s: %s, %s, %.2fG parameters, %.0f MiB, %s in %s\n",
		pos[0], info.Name, ft, float64(info.Params)/1e9, float64(info.Bytes)/(1<<20), vocabNote, time.Since(start).Round(time.Millisecond))
	return nil
}

func shapeNames() []string {
	var n []string
	for _, s := range synth.Shapes {
		n = append(n, s.Name)
	}
	return n
}
