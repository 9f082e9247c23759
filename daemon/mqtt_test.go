package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestMQTTWiring runs the daemon with [mqtt] enabled against a real
// Mosquitto broker: a device's request is answered through the same
// service as socket requests, the bridge's state shows in /metrics and
// /v1/health, and stopping the daemon leaves the retained status
// "offline". (The bridge's own behaviour is tested in daemon/mqtt.)
func TestMQTTWiring(t *testing.T) {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("mosquitto is missing (apt-get install mosquitto)")
			}
			t.Skip("mosquitto is missing (apt-get install mosquitto)")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\n", port)
	if os.Geteuid() == 0 {
		if u, err := user.Current(); err == nil {
			conf += "user " + u.Username + "\n" // root would drop to "mosquitto"
		}
	}
	os.WriteFile(filepath.Join(dir, "m.conf"), []byte(conf), 0o600)
	broker := exec.Command(bin, "-c", filepath.Join(dir, "m.conf"))
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { broker.Process.Kill(); broker.Wait() })
	url := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	for deadline := time.Now().Add(5 * time.Second); ; {
		if c, err := net.Dial("tcp", url[len("tcp://"):]); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("mosquitto did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}

	cfg := testConfig(t)
	cfg.MQTT.Enabled = true
	cfg.MQTT.Broker = url
	cfg.MQTT.ClientID = "baylingd-test"
	cfg.MQTT.StatusTopic = "bayling/status/baylingd-test"
	td := startDaemon(t, cfg, options{})
	td.waitMetric(1, "baylingd_mqtt_connected")
	if h, err := td.c.Health(context.Background()); err != nil || h.MQTTConnected == nil || !*h.MQTTConnected {
		t.Errorf("health: %+v, %v", h, err)
	}

	dev := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("device-1").SetCleanSession(true))
	if tok := dev.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("device connect: %v", tok.Error())
	}
	defer dev.Disconnect(100)
	replies := make(chan []byte, 4)
	status := make(chan string, 8)
	dev.Subscribe("device-1/replies", 1, func(_ paho.Client, m paho.Message) { replies <- m.Payload() }).Wait()
	dev.Subscribe(cfg.MQTT.StatusTopic, 1, func(_ paho.Client, m paho.Message) { status <- string(m.Payload()) }).Wait()
	dev.Publish(cfg.MQTT.RequestTopic, 1, false, `{"id":"r1","text":"Where is the station?","target":"de","reply_to":"device-1/replies"}`).Wait()
	select {
	case b := <-replies:
		var r struct {
			ID          string `json:"id"`
			Translation string `json:"translation"`
			Target      string `json:"target"`
			Tokens      int    `json:"tokens"`
		}
		if err := json.Unmarshal(b, &r); err != nil || r.ID != "r1" || r.Target != "de" || r.Tokens == 0 {
			t.Errorf("reply %s: %v", b, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no MQTT reply")
	}
	td.waitMetric(1, "baylingd_requests_total", "transport", "mqtt", "code", "ok")
	td.waitMetric(1, "baylingd_mqtt_replied_total")

	if err := td.stop(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.After(10 * time.Second); ; {
		select {
		case s := <-status:
			if s == "offline" {
				return
			}
		case <-deadline:
			t.Fatal("no retained offline status after the daemon stopped")
		}
	}
}
