package mqtt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// testPKI is a CA made for one test, with a server certificate for
// 127.0.0.1/localhost and a client certificate, all ECDSA P-256, written as
// PEM files.
type testPKI struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func newTestPKI(t *testing.T, dir string) testPKI {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	writeKey := func(name string, k *ecdsa.PrivateKey) string {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return write(name, "PRIVATE KEY", der)
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "baylingd test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, k *ecdsa.PrivateKey) []byte {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		if usage == x509.ExtKeyUsageServerAuth {
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
			tmpl.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	srvKey, cliKey := newKey(), newKey()
	return testPKI{
		ca:         write("ca.pem", "CERTIFICATE", caDER),
		serverCert: write("server.pem", "CERTIFICATE", leaf(2, "localhost", x509.ExtKeyUsageServerAuth, srvKey)),
		serverKey:  writeKey("server.key", srvKey),
		clientCert: write("client.pem", "CERTIFICATE", leaf(3, "bridge", x509.ExtKeyUsageClientAuth, cliKey)),
		clientKey:  writeKey("client.key", cliKey),
	}
}

// passwordFile writes a Mosquitto password file with mosquitto_passwd (from
// the mosquitto package).
func passwordFile(t *testing.T, dir, user, pass string) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		if _, err2 := os.Stat("/usr/bin/mosquitto_passwd"); err2 != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("mosquitto_passwd not found (apt-get install mosquitto)")
			}
			t.Skip("mosquitto_passwd not found; install mosquitto")
		}
		bin = "/usr/bin/mosquitto_passwd"
	}
	p := filepath.Join(dir, "passwd")
	if out, err := exec.Command(bin, "-c", "-b", p, user, pass).CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v: %s", err, out)
	}
	return p
}

// TestTLSAndPassword: a broker with only a TLS listener that requires a
// client certificate, and a password file with anonymous access off. The
// bridge connects with the test CA, its client certificate and the
// password, and serves; with a wrong password it keeps retrying and never
// reports Connected.
func TestTLSAndPassword(t *testing.T) {
	mosquittoBin(t)
	dir := t.TempDir()
	pki := newTestPKI(t, dir)
	pw := passwordFile(t, dir, "bayling", "s3cret")
	br := startBroker(t, brokerOpts{
		tls:  fmt.Sprintf("cafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true", pki.ca, pki.serverCert, pki.serverKey),
		auth: "password_file " + pw,
	})
	url := fmt.Sprintf("ssl://127.0.0.1:%d", br.port)
	cfg := Config{
		Broker: url, ClientID: "bridge-tls", Username: "bayling", Password: "s3cret",
		CAFile: pki.ca, CertFile: pki.clientCert, KeyFile: pki.clientKey,
	}

	tlsCfg, err := loadTLS(pki.ca, pki.clientCert, pki.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	secureDevice := func(o *paho.ClientOptions) {
		o.SetTLSConfig(tlsCfg).SetUsername("bayling").SetPassword("s3cret")
	}
	dev := newDevice(t, url, "tls", nil, secureDevice)
	startBridge(t, cfg, &fakeService{})
	r := request("t1", "over tls", "ja")
	r["reply_to"] = "dev/tls/r"
	dev.send(r, 1)
	if got := dev.waitReply("t1", 5*time.Second); got.Translation != "OVER TLS [ja]" {
		t.Errorf("reply over TLS: %+v", got)
	}

	// Wrong password: never connected, and Run still returns promptly.
	bad := cfg
	bad.ClientID, bad.Password = "bridge-badpw", "wrong"
	b, err := New(bad, &fakeService{}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	b.backoffMin, b.backoffMax = 50*time.Millisecond, 200*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	if err := b.Run(ctx); err != nil {
		t.Errorf("Run with a wrong password: %v", err)
	}
	if b.Connected() || time.Since(start) > 3*time.Second {
		t.Errorf("wrong password: connected %v, Run took %v", b.Connected(), time.Since(start))
	}

	// A client without the CA does not trust the broker.
	noCA := cfg
	noCA.ClientID, noCA.CAFile = "bridge-noca", ""
	b, err = New(noCA, &fakeService{}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if b.s.tls == nil || b.s.tls.RootCAs != nil {
		t.Fatal("without CAFile the system roots should be used")
	}
	b.backoffMin, b.backoffMax = 50*time.Millisecond, 200*time.Millisecond
	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	_ = b.Run(ctx2)
	if b.Connected() {
		t.Error("connected to a broker whose CA is not trusted")
	}
}
