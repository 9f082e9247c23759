package translate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fakeGen is a Generator that "generates" out in pieces of chunk bytes
// (splitting UTF-8 sequences), as an engine streaming token pieces would.
type fakeGen struct {
	out      string
	chunk    int   // bytes per piece; 0: one piece
	noStream bool  // never call emit, only return the text
	ignore   bool  // keep going when emit returns an error
	err      error // returned after generating

	calls      int
	prompt     []Segment
	opts       GenerateOptions
	generated  string // what was produced before stopping
	afterError int    // pieces pushed after emit returned an error
}

func (g *fakeGen) Generate(ctx context.Context, prompt []Segment, opts GenerateOptions, emit func(string) error) (string, int, error) {
	g.calls++
	g.prompt, g.opts = prompt, opts
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	pieces := []string{g.out}
	if g.chunk > 0 {
		pieces = fixedSplit(g.out, g.chunk)
	}
	var text strings.Builder
	var failed error
	for _, p := range pieces {
		text.WriteString(p)
		if g.noStream || emit == nil {
			continue
		}
		if failed != nil {
			g.afterError++
		}
		if err := emit(p); err != nil {
			failed = err
			if !g.ignore {
				break
			}
		}
	}
	g.generated = text.String()
	tokens := len(pieces)
	if failed != nil {
		return text.String(), tokens, failed
	}
	return text.String(), tokens, g.err
}

type collector struct{ pieces []string }

func (c *collector) emit(s string) error {
	c.pieces = append(c.pieces, s)
	return nil
}

func TestTranslateStreams(t *testing.T) {
	g := &fakeGen{out: "German translation: Hallo, Welt! 你好\n<|eot_id|>junk that is never generated", chunk: 3}
	tr := &Translator{Family: Llama3, Gen: g, Options: GenerateOptions{Temperature: 0.2, StopStrings: []string{"<|eot_id|>", "\n\n\n"}}}
	var c collector
	res, err := tr.Translate(context.Background(), Request{Text: " Hello, world! ", Source: "en", Target: "de-DE"}, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Translation: "Hallo, Welt! 你好", Source: "en", Target: "de", Tokens: res.Tokens}
	if res != want || res.Tokens == 0 {
		t.Errorf("Result = %+v, want %+v", res, want)
	}
	if strings.Join(c.pieces, "") != res.Translation {
		t.Errorf("streamed %q, result %q", c.pieces, res.Translation)
	}
	for _, p := range c.pieces {
		if p == "" || !utf8.ValidString(p) {
			t.Errorf("bad piece %q in %q", p, c.pieces)
		}
	}
	if strings.Contains(g.generated, "junk") || g.afterError != 0 {
		t.Errorf("generation went on after the stop string: %q", g.generated)
	}
	wantPrompt := strings.Replace(designLlama3, "{msg}", "Provide the German translation for this sentence: Hello, world!", 1)
	if got := JoinSegments(g.prompt); got != wantPrompt {
		t.Errorf("prompt =\n%q\nwant\n%q", got, wantPrompt)
	}
	if !slices.Equal(g.opts.StopStrings, []string{"<|eot_id|>", "<|end_of_text|>", "<|start_header_id|>", "\n\n\n"}) {
		t.Errorf("StopStrings = %q", g.opts.StopStrings)
	}
	if g.opts.MaxTokens != 64+4*len("Hello, world!") || g.opts.Temperature != 0.2 {
		t.Errorf("opts = %+v", g.opts)
	}
	if len(tr.Options.StopStrings) != 2 {
		t.Error("Translate modified the Translator's options")
	}
}

func TestTranslateLlama2(t *testing.T) {
	g := &fakeGen{out: "汽车是红色的。</s>", chunk: 1}
	tr := &Translator{Family: Llama2, Gen: g, Options: GenerateOptions{MaxTokens: 77}}
	var c collector
	res, err := tr.Translate(context.Background(), Request{Text: "The car is red.", Target: "zh", Glossary: []string{"汽车"}, Chinese: true}, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if res.Translation != "汽车是红色的。" || res.Source != "" || res.Target != "zh" {
		t.Errorf("Result = %+v", res)
	}
	if strings.Join(c.pieces, "") != res.Translation {
		t.Errorf("streamed %q", c.pieces)
	}
	for _, p := range c.pieces {
		if !utf8.ValidString(p) {
			t.Errorf("piece %q splits UTF-8", p)
		}
	}
	want := strings.Replace(designLlama2, "{msg}", "提供这句话的中文翻译：The car is red.\n确保包含这些词：汽车", 1)
	if got := JoinSegments(g.prompt); got != want {
		t.Errorf("prompt =\n%q\nwant\n%q", got, want)
	}
	if g.opts.MaxTokens != 77 {
		t.Errorf("MaxTokens = %d", g.opts.MaxTokens)
	}
}

func TestTranslateNonStreamingGenerator(t *testing.T) {
	g := &fakeGen{out: "  Translation: Bonjour \n", noStream: true}
	tr := &Translator{Family: Llama3, Gen: g}
	var c collector
	res, err := tr.Translate(context.Background(), Request{Text: "Hello", Target: "fr"}, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if res.Translation != "Bonjour" || !slices.Equal(c.pieces, []string{"Bonjour"}) {
		t.Errorf("Result %+v, pieces %q", res, c.pieces)
	}
	// nil emit works too.
	res, err = tr.Translate(context.Background(), Request{Text: "Hello", Target: "fr"}, nil)
	if err != nil || res.Translation != "Bonjour" {
		t.Errorf("nil emit: %+v, %v", res, err)
	}
}

func TestTranslateKeepsLabelOfLabeledSource(t *testing.T) {
	g := &fakeGen{out: "Translation: Hello", chunk: 2}
	tr := &Translator{Family: Llama3, Gen: g}
	res, err := tr.Translate(context.Background(), Request{Text: "Übersetzung: Hallo", Target: "en"}, nil)
	if err != nil || res.Translation != "Translation: Hello" {
		t.Errorf("Result %+v, %v", res, err)
	}
}

func TestTranslateIgnoringGenerator(t *testing.T) {
	// A Generator that does not stop on ErrStopped still gives a clean result.
	g := &fakeGen{out: "Hallo<|eot_id|>junk", chunk: 1, ignore: true}
	tr := &Translator{Family: Llama3, Gen: g}
	var c collector
	res, err := tr.Translate(context.Background(), Request{Text: "Hello", Target: "de"}, c.emit)
	if err != nil || res.Translation != "Hallo" || strings.Join(c.pieces, "") != "Hallo" {
		t.Errorf("Result %+v, %v, pieces %q", res, err, c.pieces)
	}
}

func TestTranslateErrors(t *testing.T) {
	ctx := context.Background()
	g := &fakeGen{out: "x"}
	for _, r := range []Request{{Text: "", Target: "de"}, {Text: "x", Target: "xx-nope"}, {Text: "x", Source: "de", Target: "de"}} {
		_, err := (&Translator{Family: Llama2, Gen: g}).Translate(ctx, r, nil)
		if ErrorCode(err) == "" {
			t.Errorf("%+v: error %v has no code", r, err)
		}
	}
	if g.calls != 0 {
		t.Error("Generator called for a bad request")
	}

	if _, err := (&Translator{Gen: g}).Translate(ctx, Request{Text: "x", Target: "de"}, nil); err == nil {
		t.Error("zero Family: no error")
	}
	if _, err := (&Translator{Family: Llama3}).Translate(ctx, Request{Text: "x", Target: "de"}, nil); err == nil {
		t.Error("nil Gen: no error")
	}

	boom := errors.New("boom")
	res, err := (&Translator{Family: Llama3, Gen: &fakeGen{out: "abc", chunk: 1, err: boom}}).Translate(ctx, Request{Text: "x", Target: "de"}, nil)
	if !errors.Is(err, boom) || res.Translation != "" || res.Target != "de" {
		t.Errorf("generator error: %+v, %v", res, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := (&Translator{Family: Llama3, Gen: &fakeGen{out: "abc"}}).Translate(cctx, Request{Text: "x", Target: "de"}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}

	gone := errors.New("client gone")
	n := 0
	emit := func(string) error {
		n++
		if n == 2 {
			return gone
		}
		return nil
	}
	eg := &fakeGen{out: "Hallo Welt, wie geht es?", chunk: 2}
	if _, err := (&Translator{Family: Llama3, Gen: eg}).Translate(ctx, Request{Text: "x", Target: "de"}, emit); !errors.Is(err, gone) {
		t.Errorf("emit error: %v", err)
	}
	if eg.afterError != 0 || len(eg.generated) > 6 {
		t.Errorf("generation went on after the emit error: %q", eg.generated)
	}
}
