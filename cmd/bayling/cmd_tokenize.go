package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/baylingd/baylingd/engine/tokenizer"
)

func init() {
	register(&command{
		name:    "tokenize",
		summary: "print the token ids of a text, to check a model file against another engine",
		usage:   "--model M.gguf [--special] [--no-bos] [--json] [TEXT | --file F]",
		run:     runTokenize,
	})
}

func runTokenize(e *env, args []string) error {
	fs := newFlags(e, "tokenize")
	model := fs.String("model", "", "GGUF model or vocabulary file")
	special := fs.Bool("special", false, "parse special tokens such as <|eot_id|> in the text")
	noBOS := fs.Bool("no-bos", false, "do not add the BOS token")
	asJSON := fs.Bool("json", false, "print a JSON array (with the pieces when --pieces)")
	pieces := fs.Bool("pieces", false, "with --json, print [id, piece] pairs")
	file := fs.String("file", "", "read the text from this file ('-' for stdin)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *model == "" {
		return usagef("--model is required")
	}
	var text string
	switch {
	case *file == "-":
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return err
		}
		text = string(b)
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		text = string(b)
	case len(pos) > 0:
		text = strings.Join(pos, " ")
	default:
		return usagef("give the text as arguments or with --file")
	}
	tok, err := tokenizer.Load(*model)
	if err != nil {
		return err
	}
	ids := tok.Encode(text, !*noBOS && tok.AddBOS(), *special)
	if *asJSON {
		if *pieces {
			out := make([][2]any, len(ids))
			for i, id := range ids {
				out[i] = [2]any{id, string(tok.Piece(id, true))}
			}
			return json.NewEncoder(e.stdout).Encode(out)
		}
		return json.NewEncoder(e.stdout).Encode(ids)
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	_, err = fmt.Fprintln(e.stdout, strings.Join(s, " "))
	return err
}
