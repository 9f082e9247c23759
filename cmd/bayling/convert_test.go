package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baylingd/baylingd/engine/gguf"
	"github.com/baylingd/baylingd/engine/quantize"
	"github.com/baylingd/baylingd/internal/fixtures"
)

// runConvertCLI runs the command line in-process.
func runConvertCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(&env{stdin: strings.NewReader(""), stdout: &o, stderr: &e}, args)
	return code, o.String(), e.String()
}

func ggufFileType(t *testing.T, path string) uint64 {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, _ := f.Uint("general.file_type")
	return v
}

func TestConvertCommand(t *testing.T) {
	dir := fixtures.Path(t, "hf/hf-llama2")
	out := filepath.Join(t.TempDir(), "bayling.gguf")
	code, stdout, stderr := runConvertCLI("convert", dir, out, "--type", "q8_0", "--threads", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if ft := ggufFileType(t, out); ft != 7 {
		t.Errorf("general.file_type %d, want 7 (Q8_0)", ft)
	}
	if !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stdout, "Q8_0") {
		t.Errorf("stdout %q", stdout)
	}
	if !strings.Contains(stderr, "100%") {
		t.Errorf("no finished progress bar on stderr: %q", stderr)
	}
	// Flags may come first too, and the default type is F16.
	out16 := filepath.Join(t.TempDir(), "f16.gguf")
	if code, _, stderr := runConvertCLI("convert", "--quiet", dir, out16); code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if ft := ggufFileType(t, out16); ft != 1 {
		t.Errorf("default type: general.file_type %d, want 1 (F16)", ft)
	}
}

func TestQuantizeCommand(t *testing.T) {
	in := fixtures.Path(t, "tiny-llama2-f16.gguf")
	out := filepath.Join(t.TempDir(), "q4.gguf")
	code, stdout, stderr := runConvertCLI("quantize", in, out, "Q4_K_M", "--threads=2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if ft := ggufFileType(t, out); ft != 15 {
		t.Errorf("general.file_type %d, want 15 (Q4_K_M)", ft)
	}
	if !strings.Contains(stdout, "Q4_K_M") {
		t.Errorf("stdout %q", stdout)
	}
}

func TestConvertQuantizeUsage(t *testing.T) {
	tmp := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"convert"}, 2, "want HF_DIR and OUT.gguf"},
		{[]string{"convert", "a", "b", "--type", "q3_k"}, 2, "q3_k"},
		{[]string{"convert", "a", "b", "--threads", "-1"}, 2, "--threads"},
		{[]string{"convert", filepath.Join(tmp, "nope"), filepath.Join(tmp, "x.gguf")}, 1, "config.json"},
		{[]string{"quantize", "in.gguf", "out.gguf"}, 2, "want IN.gguf, OUT.gguf and TYPE"},
		{[]string{"quantize", "in.gguf", "out.gguf", "q2_k"}, 2, "q2_k"},
		{[]string{"quantize", filepath.Join(tmp, "in.gguf"), filepath.Join(tmp, "out.gguf"), "q8_0"}, 1, "in.gguf"},
	} {
		code, _, stderr := runConvertCLI(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("files left behind: %v", ents)
	}
}

// TestProgressBar: off a terminal the bar prints a line per 10% with the
// throughput and an ETA, and the final line once.
func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	b := newProgressBar(&buf, "converting", false)
	b.start = time.Now().Add(-2 * time.Second)
	const total = 1000 << 20
	for done := int64(0); done <= total; done += total / 100 {
		b.update(done, total)
	}
	b.update(total, total)
	b.finish(true)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[5], " 50% [===============>") || !strings.Contains(lines[5], "500.0 MB/1000.0 MB") || !strings.Contains(lines[5], "ETA 0:0") {
		t.Errorf("middle line %q", lines[5])
	}
	if last := lines[10]; !strings.Contains(last, "100%") || !strings.Contains(last, "done in 0:02") {
		t.Errorf("last line %q", last)
	}
	buf.Reset()
	q := newProgressBar(&buf, "x", true)
	q.update(1, 2)
	q.finish(true)
	if buf.Len() != 0 {
		t.Errorf("quiet bar wrote %q", buf.String())
	}
}

// TestInterruptRemovesPartialOutput: a signal during a conversion removes
// its temporary file and returns without waiting for the conversion.
func TestInterruptRemovesPartialOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "model.gguf")
	block := make(chan struct{})
	defer close(block)
	err := interruptible(out, func() error {
		fh, err := quantize.CreateAtomic(out)
		if err != nil {
			return err
		}
		fh.WriteString("partial")
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		<-block // a conversion still running
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("err = %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}
