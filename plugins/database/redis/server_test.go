package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// resolveServer returns the URL of a real Redis server the tests may empty
// (FLUSHALL): redis://[user:password@]host:port.
func resolveServer(t testing.TB) string {
	t.Helper()
	return testserver.Resolve(t, testserver.Server{Name: "Redis", Env: "DBKEEP_TEST_REDIS_URL", Container: redisContainer})
}

// redisContainer starts redis:7 for machines with Docker.
func redisContainer(ctx context.Context, t testing.TB) (string, error) {
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        "redis:7",
			Cmd:          []string{"redis-server", "--save", "", "--appendonly", "no"},
			ExposedPorts: []string{"6379/tcp"},
			WaitingFor:   wait.ForLog("Ready to accept connections").WithStartupTimeout(2 * time.Minute),
		},
		Started: true,
	})
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { testcontainers.TerminateContainer(c) })
	host, err := c.Host(ctx)
	if err != nil {
		return "", err
	}
	port, err := c.MappedPort(ctx, "6379/tcp")
	if err != nil {
		return "", err
	}
	return "redis://" + net.JoinHostPort(host, port.Port()), nil
}

// configFrom turns a server URL into the plugin's configuration.
func configFrom(t testing.TB, raw string) spec.Config {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "redis" {
		t.Fatalf("DBKEEP_TEST_REDIS_URL %q: want redis://[user:password@]host:port", raw)
	}
	cfg := spec.Config{fieldHost: u.Hostname(), fieldPort: "6379"}
	if p := u.Port(); p != "" {
		cfg[fieldPort] = p
	}
	if u.User != nil {
		cfg[fieldUsername] = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			cfg[fieldPassword] = pw
		}
	}
	return cfg
}

// clientFor connects the test itself to logical database db.
func clientFor(t testing.TB, cfg spec.Config, db int) *redis.Client {
	t.Helper()
	c, err := parseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client, err := open(context.Background(), c, db)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// startScratchServer starts a second, empty redis-server on a free loopback
// port that saves nothing, and returns its configuration.
func startScratchServer(t testing.TB) spec.Config {
	t.Helper()
	return startRedis(t, false)
}

// startRedis starts an empty redis-server on a free loopback port, with TLS
// only (a self-signed certificate for 127.0.0.1, returned as the config's
// CA) when tlsOnly is set.
func startRedis(t testing.TB, tlsOnly bool) spec.Config {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if testserver.CI() {
			t.Fatal("CI=true: redis-server is needed for a second instance")
		}
		t.Skip("redis-server is not installed: no second instance to restore into")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--logfile", filepath.Join(dir, "log")}
	cfg := spec.Config{fieldHost: "127.0.0.1", fieldPort: strconv.Itoa(port)}
	var tlsConf *tls.Config
	if tlsOnly {
		certPEM := selfSigned(t, dir)
		args = append(args, "--port", "0", "--tls-port", strconv.Itoa(port), "--tls-auth-clients", "no",
			"--tls-cert-file", filepath.Join(dir, "cert.pem"), "--tls-key-file", filepath.Join(dir, "key.pem"))
		cfg[fieldTLS], cfg[fieldTLSCA] = "true", certPEM
		c, _ := parseConfig(cfg)
		tlsConf = c.tlsConfig()
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	client := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1, TLSConfig: tlsConf})
	defer client.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if client.Ping(context.Background()).Err() == nil {
			return cfg
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("the second redis-server did not answer: %s", log)
		}
	}
}

// selfSigned writes cert.pem and key.pem for 127.0.0.1 into dir and returns
// the certificate's PEM.
func selfSigned(t testing.TB, dir string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return string(certPEM)
}
