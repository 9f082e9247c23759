package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	sd "github.com/coreos/go-systemd/v22/daemon"

	"github.com/baylingd/baylingd/daemon/config"
)

// FDName is the name of the socket systemd passes (FileDescriptorName= in
// baylingd.socket).
const FDName = "baylingd"

// notify sends a state to systemd (sd_notify). Without NOTIFY_SOCKET, that
// is outside systemd, it does nothing. The environment is kept: the
// watchdog and later states need it.
func (d *daemon) notify(state string) {
	if _, err := sd.SdNotify(false, state); err != nil {
		d.log.Debug("sd_notify failed", "state", state, "err", err)
	}
}

// listen returns the socket systemd passed (socket activation) or, when
// there is none, one it creates at cfg.Path.
func listen(cfg config.Socket, log *slog.Logger) (l net.Listener, activated bool, err error) {
	named, err := activation.ListenersWithNames()
	if err != nil {
		return nil, false, fmt.Errorf("socket activation: %w", err)
	}
	var pick net.Listener
	for name, ls := range named {
		for _, x := range ls {
			switch {
			case pick == nil && name == FDName:
				pick = x
			case pick == nil && len(named) == 1 && len(ls) == 1:
				// One socket without our name (FileDescriptorName= not set,
				// or systemd-socket-activate without --fdname): it can only
				// be meant for us.
				log.Warn("using the one socket systemd passed, though it is not named "+FDName, "name", name)
				pick = x
			default:
				log.Warn("ignoring a socket systemd passed", "name", name, "addr", x.Addr())
				x.Close()
			}
		}
	}
	if pick != nil {
		if ul, ok := pick.(*net.UnixListener); ok {
			// systemd owns the socket file; it stays when we exit so that
			// requests queue while the daemon restarts.
			ul.SetUnlinkOnClose(false)
		}
		return pick, true, nil
	}
	l, err = listenPlain(cfg, log)
	return l, false, err
}

// listenPlain creates the socket file: its directory if missing, a stale
// socket of a previous run removed, then the configured mode and group.
func listenPlain(cfg config.Socket, log *slog.Logger) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o755); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if st, err := os.Lstat(cfg.Path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket; not removing it", cfg.Path)
		}
		// A socket someone answers on belongs to a running daemon; one
		// that refuses connections is left over from a crash.
		if c, err := net.DialTimeout("unix", cfg.Path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s is in use (is another baylingd running?)", cfg.Path)
		}
		if err := os.Remove(cfg.Path); err != nil {
			return nil, fmt.Errorf("removing the stale socket: %w", err)
		}
		log.Info("removed a stale socket", "path", cfg.Path)
	}
	l, err := net.Listen("unix", cfg.Path)
	if err != nil {
		return nil, err
	}
	// Between Listen and Chmod the file has the umask's mode (0755 with
	// the usual 022): connecting needs write permission, so the window
	// admits no one but the owner.
	if err := os.Chmod(cfg.Path, cfg.Mode); err != nil {
		l.Close()
		return nil, fmt.Errorf("socket mode: %w", err)
	}
	if cfg.Group != "" {
		g, err := user.LookupGroup(cfg.Group)
		if err != nil {
			log.Info("the socket's group does not exist; leaving the file's group as is", "group", cfg.Group)
		} else if gid, err := strconv.Atoi(g.Gid); err == nil {
			if err := os.Chown(cfg.Path, -1, gid); err != nil {
				log.Warn("cannot give the socket its group", "group", cfg.Group, "err", err)
			}
		}
	}
	return l, nil
}

// watchdog sends WATCHDOG=1 every half interval while the daemon is
// healthy. Skipping a ping is the point: a runner stuck in a forward pass,
// or a socket server that no longer answers, gets the daemon restarted by
// systemd after WatchdogSec.
func (d *daemon) watchdog(ctx context.Context, interval time.Duration, addr string) {
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	healthy := true
	for {
		err := d.check(ctx, addr)
		switch {
		case err == nil:
			d.notify(sd.SdNotifyWatchdog)
			if !healthy {
				d.log.Info("healthy again; feeding the watchdog")
			}
		case ctx.Err() != nil:
			return
		case healthy:
			// Once per episode: the journal should not fill up while
			// systemd's timeout runs out.
			d.log.Warn("health check failed; not feeding the watchdog", "err", err)
		default:
			d.log.Debug("health check still failing", "err", err)
		}
		healthy = err == nil
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// check is the watchdog's health check: the engine makes progress, and a
// request over the daemon's own socket is answered (the accept loop, the
// HTTP server and the handlers all work).
func (d *daemon) check(ctx context.Context, addr string) error {
	if err := d.metrics.runner.Load().Health(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Watchdog.ProbeTimeout)
	defer cancel()
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", addr)
		},
		DisableKeepAlives: true,
	}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://baylingd/v1/health", nil)
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("probing the socket: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("probing the socket: " + resp.Status)
	}
	return nil
}
