package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand.
type command struct {
	name    string
	summary string // one line for the overview
	usage   string // arguments, shown after the name
	run     func(env *env, args []string) error
}

var commands = map[string]*command{}

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

func init() {
	register(&command{
		name:    "version",
		summary: "print the version",
		run: func(e *env, _ []string) error {
			_, err := fmt.Fprintln(e.stdout, "bayling", version)
			return err
		},
	})
}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("bayling: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// env is what a command may touch, so tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// usageError marks errors caused by how the command was called; they exit
// with status 2 and a hint to run help.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// newFlags returns a flag set for command c that reports errors instead of
// exiting, and prints the command's usage on -h.
func newFlags(e *env, c string) *flag.FlagSet {
	fs := flag.NewFlagSet("bayling "+c, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		cmd := commands[c]
		fmt.Fprintf(e.stderr, "usage: bayling %s %s\n\n%s\n\nflags:\n", c, cmd.usage, cmd.summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// ("bayling info model.gguf --json").
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func printOverview(w io.Writer) {
	fmt.Fprintf(w, "bayling: translate with BayLing 2 models through baylingd or in-process\n\nusage: bayling <command> [arguments]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'bayling <command> -h' for a command's flags.\n")
}

// run executes the command line and returns the exit status.
func run(e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return run(e, []string{c.name, "-h"})
			}
		}
		printOverview(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "bayling: unknown command %q\n", args[0])
		printOverview(e.stderr)
		return 2
	}
	err := c.run(e, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "bayling %s: %v\nRun 'bayling %s -h' for usage.\n", c.name, err, c.name)
		return 2
	}
	fmt.Fprintf(e.stderr, "bayling %s: %s\n", c.name, strings.TrimSpace(err.Error()))
	return 1
}

func main() {
	code := run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	if os.Getenv("BAYLING_REPORT_PEAK_RSS") != "" {
		reportPeakRSS(os.Stderr)
	}
	os.Exit(code)
}

// reportPeakRSS prints the process's peak resident memory (VmHWM), for
// judging what a command needs on a small board. VmHWM belongs to this
// program's own address space; getrusage's maxrss would also count the
// parent that started it, which Linux carries over through exec.
func reportPeakRSS(w io.Writer) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Fprintf(w, "peak RSS: %s\n", strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")))
		}
	}
}
