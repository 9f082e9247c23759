package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/baylingd/baylingd/daemon/client"
	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/translate"
)

func init() {
	register(&command{
		name:    "chat",
		summary: "chat with the model line by line (through baylingd, or in-process with --model)",
		usage:   "[--model M.gguf | --socket PATH] [--system TEXT] [--max-tokens N] [--temperature T]",
		run:     runChat,
	})
}

func runChat(e *env, args []string) error {
	fs := newFlags(e, "chat")
	model := fs.String("model", "", "run in-process on this GGUF model instead of asking the daemon")
	socket := fs.String("socket", "", "daemon socket (default $BAYLINGD_SOCKET or /run/baylingd/baylingd.sock)")
	system := fs.String("system", "", "system message (default: the model's BayLing system text)")
	maxTokens := fs.Int("max-tokens", 512, "most tokens per reply")
	temp := fs.Float64("temperature", 0, "sampling temperature (0: greedy)")
	threads := fs.Int("threads", defaultThreads(), "worker threads (with --model)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// reply answers the conversation so far, streaming to stdout.
	var reply func(msgs []translate.Message) (string, error)
	if *model != "" {
		m, err := loadModel(e, *model)
		if err != nil {
			return err
		}
		defer m.Close()
		fam, err := translate.FamilyOf(m)
		if err != nil {
			return err
		}
		r, err := engine.NewRunner(m, engine.RunnerOptions{Threads: *threads, MaxActive: 1})
		if err != nil {
			return err
		}
		defer r.Close()
		gen := &translate.EngineGenerator{Runner: r}
		reply = func(msgs []translate.Message) (string, error) {
			segs, err := fam.Chat(msgs)
			if err != nil {
				return "", err
			}
			c := translate.NewCleaner(fam)
			var out strings.Builder
			_, _, err = gen.Generate(ctx, segs, translate.GenerateOptions{MaxTokens: *maxTokens, Temperature: float32(*temp), StopStrings: fam.StopStrings()}, func(p string) error {
				s, stopped := c.Push(p)
				out.WriteString(s)
				io.WriteString(e.stdout, s)
				if stopped {
					return translate.ErrStopped
				}
				return nil
			})
			if err != nil && err != translate.ErrStopped {
				return out.String(), err
			}
			rest := c.Finish()
			io.WriteString(e.stdout, rest)
			return out.String() + rest, nil
		}
	} else {
		c := client.New(*socket)
		reply = func(msgs []translate.Message) (string, error) {
			req := client.ChatRequest{MaxTokens: *maxTokens}
			if *temp > 0 {
				req.Temperature = temp
			}
			for _, m := range msgs {
				req.Messages = append(req.Messages, client.Message{Role: m.Role, Content: m.Content})
			}
			res, err := c.Chat(ctx, req, func(p string) { io.WriteString(e.stdout, p) })
			if err != nil {
				return "", err
			}
			return res.Content, nil
		}
	}

	var msgs []translate.Message
	if *system != "" {
		msgs = append(msgs, translate.Message{Role: translate.RoleSystem, Content: *system})
	}
	in := bufio.NewScanner(e.stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	for {
		fmt.Fprint(e.stderr, "> ")
		if !in.Scan() {
			fmt.Fprintln(e.stderr)
			return in.Err()
		}
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		msgs = append(msgs, translate.Message{Role: translate.RoleUser, Content: line})
		text, err := reply(msgs)
		fmt.Fprintln(e.stdout)
		if err != nil {
			return err
		}
		msgs = append(msgs, translate.Message{Role: translate.RoleAssistant, Content: text})
	}
}
