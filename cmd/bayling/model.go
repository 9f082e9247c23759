package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/internal/cpuinfo"
	"github.com/baylingd/baylingd/translate"
)

// isTerminal reports whether w is a terminal, for progress that redraws.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// loadModel maps a model and warms it, showing progress on stderr: a
// redrawn percentage on a terminal, one line per stage otherwise.
func loadModel(e *env, path string) (*engine.Model, error) {
	tty := isTerminal(e.stderr)
	start := time.Now()
	lastStage := ""
	m, err := engine.Load(path, true, func(stage string, done float64) {
		switch {
		case tty:
			fmt.Fprintf(e.stderr, "\r%s %s: %3.0f%%", stage, path, done*100)
		case stage != lastStage:
			fmt.Fprintf(e.stderr, "%s %s\n", stage, path)
		}
		lastStage = stage
	})
	if tty {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return nil, err
	}
	fam := "unknown template"
	if f, err := translate.FamilyOf(m); err == nil {
		fam = f.String()
	}
	fmt.Fprintf(e.stderr, "loaded %s (%s, %.0f MiB) in %s\n", path, fam, float64(m.Bytes)/(1<<20), time.Since(start).Round(time.Millisecond))
	return m, nil
}

// defaultThreads is the worker count when --threads is not given: the
// performance cores (on an RK3588 the four A76 cores, not the A55s).
func defaultThreads() int { return cpuinfo.PerformanceCores() }
