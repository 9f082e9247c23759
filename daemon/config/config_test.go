package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestDefaultFile: configs/baylingd.toml sets every key, each to its
// default, so the file documents the defaults and cannot drift from them.
func TestDefaultFile(t *testing.T) {
	path := filepath.Join("..", "..", "configs", "baylingd.toml")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		if !c.Set(k) {
			t.Errorf("%s does not set %s", path, k)
		}
	}
	d := Default()
	c.File, c.pos, d.pos = "", nil, nil
	if !reflect.DeepEqual(c, d) {
		t.Errorf("%s differs from the defaults:\n file:     %+v\n defaults: %+v", path, c, d)
	}
}

func TestEmptyIsDefault(t *testing.T) {
	c, err := Parse("empty", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	c.File, c.pos, d.pos = "", nil, nil
	if !reflect.DeepEqual(c, d) {
		t.Errorf("empty file: %+v, want %+v", c, d)
	}
	if d.Limits.Deadline != 120*time.Second || d.Socket.Mode != 0o660 || d.MQTT.MaxInFlight != 8 || !strings.HasPrefix(d.MQTT.StatusTopic, "bayling/status/baylingd-") {
		t.Errorf("unexpected defaults %+v", d)
	}
}

func TestValues(t *testing.T) {
	doc := `
[model]
path = "/m.gguf"
accel = "vulkan"
[engine]
threads = 3
context_size = 0
[limits]
deadline = "1m30s"
[socket]
path = "./run/x.sock"
mode = "0600"
group = ""
[mqtt]
enabled = true
broker = "ssl://broker.example:8883"
client_id = "board-1"
shared_group = "fleet"
response_prefix = "r/"
max_in_flight = 3
[log]
level = "DEBUG"
format = "json"
`
	c, err := Parse("t.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if c.Model.Accel != "vulkan" || c.Engine.Threads != 3 || c.Limits.Deadline != 90*time.Second ||
		c.Socket.Mode != 0o600 || c.MQTT.StatusTopic != "bayling/status/board-1" || c.MQTT.ResponsePrefix != "r" ||
		c.MQTT.MaxInFlight != 3 || c.Log.Level.String() != "DEBUG" || c.Log.Format != "json" {
		t.Errorf("got %+v", c)
	}
}

// TestErrors: each bad file is rejected with the key and its line.
func TestErrors(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"[engine]\nthreadz = 2\n", "t.toml:2:1: engine.threadz: unknown key (did you mean engine.threads?)"},
		{"[model]\nthreads = 2\n", "t.toml:2:1: model.threads: unknown key (did you mean engine.threads?)"},
		{"[nope]\n", "t.toml:1:2: nope: unknown key"},
		{"[engine]\nthreads = \"two\"\n", "t.toml:2:11: engine.threads: want an integer, got a string"},
		{"[model]\nwarm = 1\n", "t.toml:2:8: model.warm: want true or false, got an integer"},
		{"[engine]\n\n\nthreads = -1\n", "t.toml:4:1: engine.threads: -1 is out of range [0, 1024]"},
		{"[engine]\nthreads = 99999999999999999999\n", "t.toml:2:11: engine.threads:"},
		{"[limits]\ndeadline = \"soon\"\n", "t.toml:2:1: limits.deadline: \"soon\" is not a duration"},
		{"[limits]\ndeadline = 30\n", "t.toml:2:12: limits.deadline: want a string, got an integer"},
		{"[socket]\nmode = \"0999\"\n", "t.toml:2:1: socket.mode: \"0999\" is not an octal permission"},
		{"[socket]\nmode = \"0060\"\n", "t.toml:2:1: socket.mode: 0060: the owner"},
		{"[socket]\npath = \"/" + strings.Repeat("x", 120) + "\"\n", "t.toml:2:1: socket.path: 121 bytes is longer"},
		{"[model]\naccel = \"gpu\"\n", "t.toml:2:1: model.accel: \"gpu\" is not one of auto, cpu, vulkan, rknpu"},
		{"[mqtt]\nbroker = \"localhost\"\n", "t.toml:2:1: mqtt.broker:"},
		{"[mqtt]\nbroker = \"http://x\"\n", "t.toml:2:1: mqtt.broker: scheme \"http\""},
		{"[mqtt]\nqos = 0\n", "t.toml:2:1: mqtt.qos: 0: must be 1 or 2"},
		{"[mqtt]\nrequest_topic = \"a/#/b\"\n", "t.toml:2:1: mqtt.request_topic:"},
		{"[mqtt]\nrequest_topic = \"a/b+\"\n", "t.toml:2:1: mqtt.request_topic:"},
		{"[mqtt]\nresponse_prefix = \"a/+\"\n", "t.toml:2:1: mqtt.response_prefix:"},
		{"[mqtt]\nca_file = \"/ca.pem\"\n", "t.toml:2:1: mqtt.ca_file: TLS files need a TLS broker URL"},
		{"[mqtt]\npassword = \"x\"\n", "t.toml:2:1: mqtt.password: a password needs a username"},
		{"[mqtt]\nshared_group = \"a/b\"\n", "t.toml:2:1: mqtt.shared_group:"},
		{"[mqtt]\ncert_file = \"c.pem\"\n", "t.toml: mqtt.key_file: a client certificate needs both"},
		{"[mqtt]\nusername = \"u\"\npassword = \"x\"\npassword_file = \"/p\"\n", "t.toml:4:1: mqtt.password_file: set password or password_file, not both"},
		{"[mqtt]\nmax_in_flight = 100\n", "t.toml:2:1: mqtt.max_in_flight: 100 is more than"},
		{"[log]\nlevel = \"loud\"\n", "t.toml:2:1: log.level: \"loud\" is not one of"},
		{"[model\n", "t.toml:1:7: expected ']'"},
		{"engine = 3\n", "t.toml:1:10: engine: want a table, got an integer"},
		{"[engine]\nthreads = 1\nthreads = 2\n", "t.toml:3:1:"},
		{"[engine]\nthreads = 1\n[engine]\n", "t.toml:3:2:"},
		{"engine.threads = 2\nengine.threadz = 1\n", "t.toml:2:1: engine.threadz: unknown key"},
		{"engine = { threads = -5 }\n", "t.toml:1:12: engine.threads: -5 is out of range"},
	}
	for _, c := range cases {
		_, err := Parse("t.toml", []byte(c.doc))
		if err == nil {
			t.Errorf("%q: no error", c.doc)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got  %s\n want %s...", c.doc, err, c.want)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: %T is not an *Error", c.doc, err)
		}
	}
}

func TestManyErrors(t *testing.T) {
	_, err := Parse("t.toml", []byte("[engine]\nthreads = -1\nmax_sequences = 0\n[log]\nformat = \"xml\"\n"))
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 || es[0].Line != 2 || es[1].Line != 3 || es[2].Line != 5 {
		t.Fatalf("got %v", err)
	}
}

func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	cfg := filepath.Join(dir, "c.toml")
	os.WriteFile(cfg, []byte("[mqtt]\nusername = \"u\"\npassword_file = \""+pw+"\"\n"), 0o600)
	c, err := Load(cfg)
	if err != nil || c.MQTT.Password != "s3cret" {
		t.Fatalf("got %v, %v", c, err)
	}
	os.WriteFile(cfg, []byte("[mqtt]\nusername = \"u\"\npassword_file = \""+pw+".missing\"\n"), 0o600)
	if _, err := Load(cfg); err == nil || !strings.Contains(err.Error(), ":3:1: mqtt.password_file:") {
		t.Fatalf("missing password file: %v", err)
	}
}

func TestErrorf(t *testing.T) {
	c, err := Parse("c.toml", []byte("\n[model]\npath = \"/x.gguf\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Errorf("model.path", "no such file").Error(); got != "c.toml:3:1: model.path: no such file" {
		t.Errorf("got %q", got)
	}
}

// FuzzParse: no document makes Parse panic, and whatever it accepts is
// within the documented ranges.
func FuzzParse(f *testing.F) {
	// The seeds are small on purpose: the fuzzer minimizes every
	// interesting input, and minimizing the 6 KB default file takes longer
	// than a short fuzzing run (TestDefaultFile covers that file).
	f.Add([]byte("[engine]\nthreads = 2\n"))
	f.Add([]byte("engine = { threads = 1, max_batch = 3 }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.toml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not an *Error: %v", err, err)
			}
			return
		}
		if c.Engine.MaxSequences < 1 || c.Limits.MaxInputBytes < 1 || c.Socket.Path == "" || c.Limits.Deadline <= 0 || c.MQTT.MaxInFlight < 1 {
			t.Fatalf("accepted out-of-range values: %+v", c)
		}
	})
}

func TestChanged(t *testing.T) {
	a, _ := Parse("a", []byte("[log]\nlevel = \"debug\"\n"))
	b, _ := Parse("b", []byte("\n\n[engine]\nthreads = 2\n[log]\nlevel = \"warn\"\n"))
	if got := Changed(a, b); !reflect.DeepEqual(got, []string{"engine", "log"}) {
		t.Errorf("got %v", got)
	}
	if got := Changed(a, a); len(got) != 0 {
		t.Errorf("got %v", got)
	}
}
