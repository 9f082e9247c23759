package mqtt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no hostname")
	}
	b, err := New(Config{Broker: "tcp://localhost:1883"}, &fakeService{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := b.s
	want := settings{Config: Config{
		Broker: "tcp://localhost:1883", ClientID: "baylingd-" + host,
		RequestTopic: DefaultRequestTopic, ResponsePrefix: DefaultResponsePrefix,
		StatusTopic: DefaultStatusPrefix + "/baylingd-" + host, QoS: 1, MaxInFlight: 4,
		MaxPayload: 64 << 10, RequestTimeout: 2 * time.Minute,
	}, subTopic: DefaultRequestTopic}
	if s.Config != want.Config || s.clean || s.subTopic != want.subTopic || s.tls != nil {
		t.Errorf("defaults:\n got %+v clean=%v sub=%q\nwant %+v", s.Config, s.clean, s.subTopic, want.Config)
	}
	if cap(b.sem) != 4 || b.Connected() {
		t.Errorf("worker slots %d, connected %v", cap(b.sem), b.Connected())
	}

	// A shared group forces a clean session and the $share subscription.
	b, err = New(Config{Broker: "tcp://h:1883", ClientID: "x", SharedGroup: "fleet", RequestTopic: "a/+/req"}, &fakeService{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !b.s.clean || b.s.subTopic != "$share/fleet/a/+/req" {
		t.Errorf("shared: clean %v, subscription %q", b.s.clean, b.s.subTopic)
	}
	// TLS URL without files: system roots.
	b, err = New(Config{Broker: "ssl://h:8883", ClientID: "x"}, &fakeService{}, nil)
	if err != nil || b.s.tls == nil || b.s.tls.RootCAs != nil {
		t.Errorf("ssl:// without files: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing-ca.pem")
	ok := Config{Broker: "ssl://h:8883", ClientID: "c"}
	with := func(f func(*Config)) Config { c := ok; f(&c); return c }
	cases := []struct {
		cfg  Config
		want string // substring of the error
	}{
		{Config{}, "Broker is empty"},
		{Config{Broker: "localhost:1883"}, "no scheme"},
		{Config{Broker: "http://h"}, "unsupported scheme"},
		{Config{Broker: "tcp://"}, "no host"},
		{Config{Broker: "tcp://h:1883", CAFile: "/etc/ca.pem"}, "CAFile /etc/ca.pem is set but Broker"},
		{with(func(c *Config) { c.CAFile = missing }), missing},
		{with(func(c *Config) { c.CAFile = notPEM }), "CAFile " + notPEM + ": no PEM"},
		{with(func(c *Config) { c.CertFile = notPEM }), "CertFile " + notPEM + " is set without KeyFile"},
		{with(func(c *Config) { c.KeyFile = notPEM }), "KeyFile " + notPEM + " is set without CertFile"},
		{with(func(c *Config) { c.CertFile, c.KeyFile = notPEM, missing }), missing},
		{with(func(c *Config) { c.CertFile, c.KeyFile = notPEM, notPEM }), "CertFile " + notPEM + ", KeyFile " + notPEM},
		{with(func(c *Config) { c.Password = "p" }), "Password is set without Username"},
		{with(func(c *Config) { c.QoS = 3 }), "QoS 3"},
		{with(func(c *Config) { c.MaxInFlight = -1 }), "MaxInFlight"},
		{with(func(c *Config) { c.MaxPayload = -1 }), "MaxPayload"},
		{with(func(c *Config) { c.RequestTimeout = -time.Second }), "RequestTimeout"},
		{with(func(c *Config) { c.RequestTopic = "a/#/b" }), "RequestTopic"},
		{with(func(c *Config) { c.RequestTopic = "a/b+" }), "RequestTopic"},
		{with(func(c *Config) { c.RequestTopic = "$share/g/a" }), "set SharedGroup"},
		{with(func(c *Config) { c.SharedGroup = "a/b" }), "SharedGroup"},
		{with(func(c *Config) { c.ResponsePrefix = "resp/+" }), "ResponsePrefix"},
		{with(func(c *Config) { c.StatusTopic = "$SYS/x" }), "StatusTopic"},
		{with(func(c *Config) { c.ClientID = "a+b" }), "StatusTopic"}, // the default status topic embeds it
		{with(func(c *Config) { c.ClientID = "bad\x00id" }), "ClientID"},
	}
	for _, c := range cases {
		_, err := New(c.cfg, &fakeService{}, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.cfg, err, c.want)
		}
	}
	if _, err := New(ok, nil, nil); err == nil {
		t.Error("nil Service accepted")
	}
}

func TestTopicChecks(t *testing.T) {
	for _, f := range []string{"a", "a/b", "+", "#", "a/+/c", "a/#", "+/+", "/"} {
		if err := checkTopicFilter(f); err != nil {
			t.Errorf("filter %q: %v", f, err)
		}
	}
	for _, f := range []string{"", "a/#/b", "a+", "a/b#", "x\x01y"} {
		if checkTopicFilter(f) == nil {
			t.Errorf("filter %q accepted", f)
		}
	}
	for _, n := range []string{"a", "a/b/c", "dev/ü/x"} {
		if err := checkTopicName(n); err != nil {
			t.Errorf("name %q: %v", n, err)
		}
	}
	for _, n := range []string{"", "a/+", "#", "$SYS/x", "a\x00", "a\u0085b", "\xff", strings.Repeat("a", 65536)} {
		if checkTopicName(n) == nil {
			t.Errorf("name %q accepted", n)
		}
	}
	for _, c := range []struct {
		filter, topic string
		want          bool
	}{
		{"a/b", "a/b", true}, {"a/+", "a/b", true}, {"a/#", "a/b/c", true}, {"a/#", "a", true},
		{"a/+", "a/b/c", false}, {"a/b", "a/c", false}, {"a/b/c", "a/b", false}, {"+", "a", true},
	} {
		if got := routeMatches(c.filter, c.topic); got != c.want {
			t.Errorf("routeMatches(%q, %q) = %v", c.filter, c.topic, got)
		}
	}
}
