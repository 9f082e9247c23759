package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/baylingd/baylingd/engine/convert"
	"github.com/baylingd/baylingd/engine/quantize"
)

func init() {
	register(&command{
		name:    "convert",
		summary: "convert a Hugging Face BayLing 2 checkpoint to GGUF (optionally quantized)",
		usage:   "HF_DIR OUT.gguf [--type f16|q8_0|q4_0|q4_k_m|q5_k_m|q6_k] [--threads N]",
		run:     runConvert,
	})
}

func runConvert(e *env, args []string) error {
	fs := newFlags(e, "convert")
	typ := fs.String("type", "f16", "output type: "+strings.Join(quantize.FileTypeNames(), ", "))
	threads := fs.Int("threads", 0, "threads quantizing in parallel (0: all CPUs)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want HF_DIR and OUT.gguf, got %d arguments", len(pos))
	}
	ft, err := quantize.ParseFileType(*typ)
	if err != nil {
		return usagef("--type: %v", err)
	}
	if *threads < 0 {
		return usagef("--threads must be >= 0")
	}
	start := time.Now()
	bar := newProgressBar(e.stderr, "converting", *quiet)
	err = interruptible(pos[1], func() error {
		return convert.Convert(pos[0], pos[1], convert.Options{Type: ft.String(), Threads: *threads, Progress: bar.update})
	})
	bar.finish(err == nil)
	if err != nil {
		return err
	}
	return reportOutput(e.stdout, pos[1], ft, time.Since(start))
}

// interruptible runs a conversion that writes out, and on SIGINT or
// SIGTERM removes its partial output (a hidden temporary file beside out,
// possibly gigabytes on a small board's storage) and returns at once; the
// process then exits, ending the conversion. out itself is never touched:
// it is replaced only when a conversion completes.
func interruptible(out string, f func() error) error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case s := <-sig:
		tmps, _ := quantize.TempFiles(out)
		for _, t := range tmps {
			os.Remove(t)
		}
		return fmt.Errorf("interrupted (%v); %s was not written", s, out)
	}
}

// reportOutput prints one line about a written model.
func reportOutput(w io.Writer, path string, ft quantize.FileType, took time.Duration) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s (%s, %s) in %s\n", path, strings.ToUpper(ft.String()), formatBytes(st.Size()), took.Round(100*time.Millisecond))
	return nil
}

// progressBar draws a progress bar with throughput and ETA on stderr: on a
// terminal redrawn in place a few times a second, otherwise (a log, a
// pipe) a line every 10%, so that journald or CI logs stay readable.
type progressBar struct {
	w                io.Writer
	label            string
	off, tty         bool
	start, lastDraw  time.Time
	lastPct          int
	done, total      int64
	drawn, completed bool
}

func newProgressBar(w io.Writer, label string, off bool) *progressBar {
	b := &progressBar{w: w, label: label, off: off, start: time.Now(), lastPct: -10}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.tty = true
		}
	}
	return b
}

// update is the Progress callback of convert and quantize.
func (b *progressBar) update(done, total int64) {
	b.done, b.total = done, total
	if b.off || total <= 0 {
		return
	}
	now := time.Now()
	pct := int(done * 100 / total)
	if b.tty {
		if done < total && now.Sub(b.lastDraw) < 100*time.Millisecond {
			return
		}
	} else if pct/10 == b.lastPct/10 && done < total {
		return
	}
	if done >= total {
		if b.completed {
			return
		}
		b.completed = true
	}
	b.lastDraw, b.lastPct = now, pct
	line := b.line(now)
	if b.tty {
		fmt.Fprintf(b.w, "\r%s\x1b[K", line)
	} else {
		fmt.Fprintln(b.w, line)
	}
	b.drawn = true
}

// line renders "label  45% [=========>          ] 1.2 GB/2.6 GB  85 MB/s  ETA 0:17".
func (b *progressBar) line(now time.Time) string {
	const width = 30
	pct := float64(b.done) / float64(b.total)
	fill := int(pct * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	elapsed := now.Sub(b.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.done) / elapsed
	}
	eta := "--:--"
	if b.done >= b.total {
		eta = "done in " + formatDuration(now.Sub(b.start))
	} else if rate > 0 && elapsed >= 1 {
		eta = "ETA " + formatDuration(time.Duration(float64(b.total-b.done)/rate*float64(time.Second)))
	} else {
		eta = "ETA " + eta
	}
	return fmt.Sprintf("%s %3.0f%% [%s] %s/%s  %s/s  %s", b.label, pct*100, bar,
		formatBytes(b.done), formatBytes(b.total), formatBytes(int64(rate)), eta)
}

// finish ends the bar's line on a terminal.
func (b *progressBar) finish(ok bool) {
	if b.off || !b.drawn {
		return
	}
	if b.tty {
		fmt.Fprintln(b.w)
	}
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func formatDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
