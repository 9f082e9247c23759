package translate

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Generator runs a model. The engine implements it; this package never
// imports the engine.
type Generator interface {
	// Generate runs the prompt segments and streams text pieces to emit (may
	// be nil); it returns the full generated text.
	//
	// The tokenizer must follow Segment's contract (special tokens only in
	// Special segments, BOS added by the tokenizer). Generation stops at the
	// model's stop tokens (Family.StopTokens), at opts.MaxTokens, when ctx is
	// done (returning ctx.Err()), or when emit returns an error: Generate must
	// then stop and return that error, possibly wrapped. ErrStopped from emit
	// is a request to stop because a stop string was reached, not a failure.
	// Pieces may split UTF-8 sequences; the stop tokens themselves are not
	// emitted. When Generate emits at all, the pieces must add up to text.
	// tokens is the number of tokens generated.
	Generate(ctx context.Context, prompt []Segment, opts GenerateOptions, emit func(piece string) error) (text string, tokens int, err error)
}

// GenerateOptions are the sampling settings handed to the Generator. Zero
// values mean: Temperature 0 greedy; TopK 0 off; TopP 0 (or 1) off;
// RepeatPenalty 0 (or 1) off; Seed 0 chosen by the engine. The Translator
// fills MaxTokens and StopStrings (see Translate).
type GenerateOptions struct {
	MaxTokens     int
	Temperature   float32
	TopK          int
	TopP          float32
	RepeatPenalty float32
	Seed          uint64
	StopStrings   []string
}

// ErrStopped is returned by the emit function a Translator passes to its
// Generator once the output has reached a stop string: the Generator should
// stop. Translate treats it as a normal end.
var ErrStopped = errors.New("translate: stop string reached")

// DefaultMaxTokens caps generation when GenerateOptions.MaxTokens is 0.
const DefaultMaxTokens = 1024

// Translator turns requests into translations with a Generator. It is a
// small value: copy it, or build one per request to vary Options. It is safe
// for concurrent use if its Generator is.
type Translator struct {
	Family Family    // the model's template family
	Gen    Generator // the model
	// Options are the sampling settings. StopStrings are added to the
	// family's. MaxTokens 0 means min(DefaultMaxTokens, 64 + 4×len(text in
	// bytes)): a translation is rarely longer in tokens than that, and on a
	// board a degenerate repetition loop must not run for a thousand tokens.
	Options GenerateOptions
}

// Result is a finished translation.
type Result struct {
	Translation string `json:"translation"`      // cleaned, as Clean would return it
	Source      string `json:"source,omitempty"` // resolved source code, "" if not given
	Target      string `json:"target"`           // resolved target code
	Tokens      int    `json:"tokens"`           // tokens generated
}

// Translate validates r, builds the instruction and the prompt, runs the
// Generator with the family's stop strings and streams the cleaned text to
// emit (which may be nil) as it is generated. The pieces given to emit never
// split a UTF-8 sequence and add up to Result.Translation: the raw output cut
// at the first stop string, trimmed, and without a leading echo label (see
// Clean; the label is kept when the text to translate itself starts like
// "Label: ...", whose translation may legitimately start with one).
//
// Errors: *RequestError and *UnknownLanguageError for a bad request (see
// BuildInstruction and ErrorCode); the error returned by emit, if emit fails;
// otherwise the Generator's error (ctx.Err() on cancellation). On error the
// Result carries Source, Target and Tokens but no Translation.
func (t *Translator) Translate(ctx context.Context, r Request, emit func(piece string) error) (Result, error) {
	if !t.Family.Valid() {
		return Result{}, fmt.Errorf("translate: Translator has invalid family %d", int(t.Family))
	}
	if t.Gen == nil {
		return Result{}, errors.New("translate: Translator has no Generator")
	}
	instr, src, tgt, err := buildInstruction(r)
	if err != nil {
		return Result{}, err
	}
	res := Result{Source: src.Code, Target: tgt.Code}
	opts := t.genOptions(len(strings.TrimSpace(r.Text)))
	c := newCleaner(opts.StopStrings, !looksLabeled(r.Text))

	var (
		out     strings.Builder
		emitErr error
		called  bool
	)
	forward := func(s string) error {
		if s == "" {
			return nil
		}
		out.WriteString(s)
		if emit != nil {
			if err := emit(s); err != nil {
				emitErr = err
				return err
			}
		}
		return nil
	}
	pieces := func(piece string) error {
		called = true
		switch {
		case emitErr != nil:
			return emitErr
		case c.Stopped():
			return ErrStopped
		}
		s, stopped := c.Push(piece)
		if err := forward(s); err != nil {
			return err
		}
		if stopped {
			return ErrStopped
		}
		return nil
	}

	text, tokens, err := t.Gen.Generate(ctx, t.Family.Prompt(instr), opts, pieces)
	res.Tokens = tokens
	if emitErr != nil {
		return res, emitErr
	}
	if err != nil && !errors.Is(err, ErrStopped) {
		return res, err
	}
	if !called && text != "" { // a Generator that does not stream
		s, _ := c.Push(text)
		if err := forward(s); err != nil {
			return res, err
		}
	}
	if err := forward(c.Finish()); err != nil {
		return res, err
	}
	res.Translation = out.String()
	return res, nil
}

// genOptions returns the options for one request.
func (t *Translator) genOptions(textLen int) GenerateOptions {
	o := t.Options
	if o.MaxTokens <= 0 {
		o.MaxTokens = min(DefaultMaxTokens, 64+4*textLen)
	}
	stops := t.Family.StopStrings()
	for _, s := range t.Options.StopStrings {
		if s != "" && !contains(stops, s) {
			stops = append(stops, s)
		}
	}
	o.StopStrings = stops
	return o
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
