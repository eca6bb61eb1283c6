package main

import (
	"context"
	"fmt"
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
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--logfile", filepath.Join(dir, "log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	cfg := spec.Config{fieldHost: "127.0.0.1", fieldPort: strconv.Itoa(port)}
	client := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1})
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
