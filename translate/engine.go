package translate

import (
	"context"
	"errors"
	"strings"

	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/engine/sample"
	"github.com/baylingd/baylingd/engine/tokenizer"
)

// EngineGenerator runs prompts on an engine.Runner. It is the Generator
// the daemon and the CLI use; it is safe for concurrent use.
type EngineGenerator struct {
	Runner *engine.Runner
	// Done, if set, receives each request's engine result (timings, cache
	// use) for metrics and logs.
	Done func(engine.Result)
}

// FamilyOf returns the template family of a loaded model, chosen by its
// tokenizer (GGUF tokenizer.ggml.model), never by file name.
func FamilyOf(m *engine.Model) (Family, error) { return FamilyForTokenizer(m.Family()) }

// Segments converts template segments to the tokenizer's.
func Segments(segs []Segment) []tokenizer.Segment {
	out := make([]tokenizer.Segment, len(segs))
	for i, s := range segs {
		out[i] = tokenizer.Segment{Text: s.Text, Special: s.Special}
	}
	return out
}

// Generate implements Generator.
func (g *EngineGenerator) Generate(ctx context.Context, prompt []Segment, opts GenerateOptions, emit func(piece string) error) (string, int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := g.Runner.Submit(ctx, engine.Request{
		Prompt:    Segments(prompt),
		MaxTokens: opts.MaxTokens,
		Stop:      opts.StopStrings,
		Sample: sample.Params{
			Temperature: opts.Temperature, TopK: opts.TopK, TopP: opts.TopP,
			RepeatPenalty: opts.RepeatPenalty, RepeatLastN: 64, Seed: opts.Seed,
		},
	})
	if err != nil {
		return "", 0, err
	}
	var text strings.Builder
	var emitErr error
	for {
		piece, res, err := s.Recv(context.WithoutCancel(ctx))
		if err != nil {
			return text.String(), 0, err
		}
		if piece != "" {
			text.WriteString(piece)
			if emit != nil && emitErr == nil {
				if emitErr = emit(piece); emitErr != nil {
					cancel() // stop generating; the stream still ends with a result
				}
			}
			continue
		}
		if g.Done != nil {
			g.Done(*res)
		}
		switch {
		case emitErr != nil:
			return text.String(), res.Tokens, emitErr
		case res.Reason == engine.FinishStop || res.Reason == engine.FinishLength:
			return text.String(), res.Tokens, nil
		case res.Err != nil:
			return text.String(), res.Tokens, res.Err
		default:
			return text.String(), res.Tokens, errors.New("generation ended: " + string(res.Reason))
		}
	}
}
