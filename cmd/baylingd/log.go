package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
)

// newLogger logs to w (stderr, which journald collects under systemd).
// Under systemd (JOURNAL_STREAM set) records carry no time, since the
// journal stamps each line itself, and start with the sd-daemon priority
// prefix ("<4>" for warnings) so that `journalctl -p warning` works.
func newLogger(w io.Writer, format string, level slog.Leveler, journal bool) *slog.Logger {
	mk := func(w io.Writer) slog.Handler {
		opts := &slog.HandlerOptions{Level: level}
		if journal {
			opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey && len(groups) == 0 {
					return slog.Attr{}
				}
				return a
			}
		}
		if format == "json" {
			return slog.NewJSONHandler(w, opts)
		}
		return slog.NewTextHandler(w, opts)
	}
	if !journal {
		return slog.New(mk(w))
	}
	// One handler per priority, each writing its prefix; they share a lock
	// so that lines never interleave.
	var mu sync.Mutex
	h := &journalHandler{}
	for i, p := range []string{"<7>", "<6>", "<4>", "<3>"} {
		h.byLevel[i] = mk(&prefixWriter{w: w, prefix: []byte(p), mu: &mu})
	}
	return slog.New(h)
}

// journalHandler sends each record to the handler of its priority.
type journalHandler struct {
	byLevel [4]slog.Handler // debug, info, warn, error
}

func (h *journalHandler) pick(l slog.Level) slog.Handler {
	switch {
	case l >= slog.LevelError:
		return h.byLevel[3]
	case l >= slog.LevelWarn:
		return h.byLevel[2]
	case l >= slog.LevelInfo:
		return h.byLevel[1]
	}
	return h.byLevel[0]
}

func (h *journalHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.pick(l).Enabled(ctx, l)
}

func (h *journalHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.pick(r.Level).Handle(ctx, r)
}

func (h *journalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := &journalHandler{}
	for i, x := range h.byLevel {
		n.byLevel[i] = x.WithAttrs(as)
	}
	return n
}

func (h *journalHandler) WithGroup(name string) slog.Handler {
	n := &journalHandler{}
	for i, x := range h.byLevel {
		n.byLevel[i] = x.WithGroup(name)
	}
	return n
}

// prefixWriter writes each record (one Write call per record, as slog's
// handlers do) after a prefix.
type prefixWriter struct {
	w      io.Writer
	prefix []byte
	mu     *sync.Mutex
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.w.Write(append(append([]byte(nil), p.prefix...), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}
