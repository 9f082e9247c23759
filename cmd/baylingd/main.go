package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/baylingd/baylingd/daemon"
	"github.com/baylingd/baylingd/daemon/config"
)

// version is set at link time: go build -ldflags "-X main.version=1.2.3".
var version string

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const (
	exitOK     = 0
	exitFailed = 1
	exitConfig = 2
)

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("baylingd", flag.ContinueOnError)
	fl.SetOutput(stderr)
	configPath := fl.String("config", config.DefaultPath, "configuration `file`")
	check := fl.Bool("check-config", false, "validate the configuration (and that the model file exists) and exit: 0 if valid, 2 if not")
	showVersion := fl.Bool("version", false, "print the version and exit")
	model := fl.String("model", "", "serve this GGUF `file` instead of model.path (for development)")
	socket := fl.String("socket", "", "listen on this `path` instead of socket.path (for development)")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: baylingd [flags]\n\nThe BayLing translation daemon (configuration: %s).\n\nflags:\n", config.DefaultPath)
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitConfig
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "baylingd: unexpected argument %q\n", fl.Arg(0))
		return exitConfig
	}
	if *showVersion {
		fmt.Fprintln(stdout, "baylingd", versionString())
		return exitOK
	}
	explicit := false
	fl.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "config" })

	cfg, err := loadConfig(*configPath, explicit)
	if err == nil {
		err = override(cfg, *model, *socket)
	}
	if err == nil && *check {
		err = checkFiles(cfg)
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, "baylingd: "+line)
		}
		return exitConfig
	}
	if *check {
		name := cfg.File
		if name == "" {
			name = "the defaults (no configuration file)"
		}
		fmt.Fprintf(stdout, "baylingd: %s: configuration OK\n", name)
		return exitOK
	}

	level := new(slog.LevelVar)
	level.Set(cfg.Log.Level)
	log := newLogger(stderr, cfg.Log.Format, level, os.Getenv("JOURNAL_STREAM") != "")
	daemon.Version = versionString()
	if cfg.File == "" {
		log.Info("no configuration file; using the defaults", "path", *configPath)
	}
	log.Info("starting baylingd", "version", daemon.Version, "config", cfg.File, "model", cfg.Model.Path)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		// A second Ctrl-C (or SIGTERM) during the drain kills at once.
		stop()
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go reloadOnHUP(hup, cfg, level, log)

	if err := daemon.Run(ctx, cfg, log); err != nil {
		log.Error("baylingd failed", "err", err)
		return exitFailed
	}
	return exitOK
}

// loadConfig reads the file. A missing file is an error when it was named
// on the command line; the default path may be absent (a checkout, a
// test), and then the defaults apply.
func loadConfig(path string, explicit bool) (*config.Config, error) {
	cfg, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return config.Default(), nil
	}
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// override applies --model and --socket.
func override(cfg *config.Config, model, socket string) error {
	if model != "" {
		cfg.Model.Path = model
	}
	if socket != "" {
		if len(socket) > 107 {
			return fmt.Errorf("--socket: %d bytes is longer than a Unix socket path may be (107)", len(socket))
		}
		cfg.Socket.Path = socket
	}
	return nil
}

// checkFiles is what --check-config adds to parsing: the files the daemon
// will open exist and are readable (by whoever runs the check; run it as
// the baylingd user to be sure).
func checkFiles(cfg *config.Config) error {
	var errs []error
	readable := func(key, path string) {
		if path == "" {
			return
		}
		f, err := os.Open(path)
		if err != nil {
			errs = append(errs, cfg.Errorf(key, "%v", err))
			return
		}
		f.Close()
	}
	readable("model.path", cfg.Model.Path)
	if cfg.MQTT.Enabled {
		readable("mqtt.ca_file", cfg.MQTT.CAFile)
		readable("mqtt.cert_file", cfg.MQTT.CertFile)
		readable("mqtt.key_file", cfg.MQTT.KeyFile)
	}
	return errors.Join(errs...)
}

// reloadOnHUP re-reads the configuration on SIGHUP. Only the log level can
// change in a running daemon; other changes are reported as needing a
// restart, since the model, the socket and the scheduler's sizes are fixed
// once serving.
func reloadOnHUP(hup <-chan os.Signal, cur *config.Config, level *slog.LevelVar, log *slog.Logger) {
	for range hup {
		if cur.File == "" {
			log.Info("SIGHUP: no configuration file to reload")
			continue
		}
		next, err := config.Load(cur.File)
		if err != nil {
			log.Error("SIGHUP: the configuration has errors; keeping the running one", "err", err)
			continue
		}
		if next.Log.Level != level.Level() {
			level.Set(next.Log.Level)
			log.Info("SIGHUP: log level changed", "level", next.Log.Level)
		}
		var restart []string
		for _, sec := range config.Changed(cur, next) {
			if sec != "log" {
				restart = append(restart, sec)
			}
		}
		if next.Log.Format != cur.Log.Format {
			restart = append(restart, "log.format")
		}
		if len(restart) > 0 {
			log.Warn("SIGHUP: these settings changed and take effect on restart (systemctl restart baylingd)", "changed", strings.Join(restart, ", "))
		} else {
			log.Info("SIGHUP: configuration reloaded")
		}
	}
}

// versionString is the -X version, or the module version from the build
// information, with the VCS revision when the build recorded one.
func versionString() string {
	v := version
	bi, ok := debug.ReadBuildInfo()
	if v == "" && ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "devel"
		if ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v += "+" + s.Value[:12]
				}
			}
		}
	}
	return v
}
