package main

import (
	"strings"
	"time"

	"github.com/baylingd/baylingd/engine/quantize"
)

func init() {
	register(&command{
		name:    "quantize",
		summary: "requantize an F16/F32/BF16 GGUF model (q8_0, q4_0, q4_k_m, q5_k_m, q6_k)",
		usage:   "IN.gguf OUT.gguf TYPE [--threads N]",
		run:     runQuantize,
	})
}

func runQuantize(e *env, args []string) error {
	fs := newFlags(e, "quantize")
	threads := fs.Int("threads", 0, "threads quantizing in parallel (0: all CPUs)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		return usagef("want IN.gguf, OUT.gguf and TYPE (%s), got %d arguments", strings.Join(quantize.FileTypeNames(), ", "), len(pos))
	}
	ft, err := quantize.ParseFileType(pos[2])
	if err != nil {
		return usagef("TYPE: %v", err)
	}
	if *threads < 0 {
		return usagef("--threads must be >= 0")
	}
	start := time.Now()
	bar := newProgressBar(e.stderr, "quantizing", *quiet)
	err = interruptible(pos[1], func() error {
		return quantize.QuantizeFile(pos[0], pos[1], ft.String(), *threads, bar.update)
	})
	bar.finish(err == nil)
	if err != nil {
		return err
	}
	return reportOutput(e.stdout, pos[1], ft, time.Since(start))
}
