package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestJournalLogger(t *testing.T) {
	var b bytes.Buffer
	level := new(slog.LevelVar)
	log := newLogger(&b, "text", level, true).With("component", "x")
	log.Debug("hidden")
	log.Info("hello", "k", 1)
	log.Warn("careful")
	log.Error("broken")
	want := []string{"<6>level=INFO msg=hello component=x k=1", "<4>level=WARN msg=careful component=x", "<3>level=ERROR msg=broken component=x"}
	if got := strings.Split(strings.TrimSpace(b.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", b.String(), strings.Join(want, "\n"))
	}
	b.Reset()
	level.Set(slog.LevelDebug)
	log.Debug("shown")
	if b.String() != "<7>level=DEBUG msg=shown component=x\n" {
		t.Errorf("got %q", b.String())
	}

	b.Reset()
	newLogger(&b, "json", level, false).Info("plain")
	if !strings.HasPrefix(b.String(), `{"time":`) {
		t.Errorf("outside systemd: %q", b.String())
	}
}
