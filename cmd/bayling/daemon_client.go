package main

import (
	"context"
	"fmt"
	"io"

	"github.com/baylingd/baylingd/daemon/client"
	"github.com/baylingd/baylingd/translate"
)

// translateViaDaemon sends the request to baylingd over its socket and
// streams the translation as it arrives.
func translateViaDaemon(ctx context.Context, e *env, f translateFlags, req translate.Request) error {
	c := client.New(f.socket)
	creq := client.TranslateRequest{
		Text: req.Text, Source: req.Source, Target: req.Target, Glossary: req.Glossary, Chinese: req.Chinese,
		MaxTokens: f.maxTokens,
	}
	if f.temperature > 0 {
		creq.Temperature = &f.temperature
	}
	var onPiece func(string)
	if !f.quiet {
		onPiece = func(p string) { io.WriteString(e.stdout, p) }
	}
	res, err := c.Translate(ctx, creq, onPiece)
	if err != nil {
		return err
	}
	if f.quiet {
		fmt.Fprint(e.stdout, res.Translation)
	}
	fmt.Fprintln(e.stdout)
	return nil
}
