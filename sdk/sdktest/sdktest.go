package sdktest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/host"
)

// Start serves p inside the test process and returns a connection to it
// through go-plugin's reattach: every call crosses real gRPC over a socket,
// while the plugin's code runs under the test's coverage and race detector.
// Everything is stopped when the test ends.
func Start(t testing.TB, p sdk.Plugin) *host.Conn {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rc, closed, err := sdk.ServeInProcess(ctx, p)
	if err != nil {
		cancel()
		t.Fatalf("serve plugin %s: %v", p.Name, err)
	}
	client := goplugin.NewClient(host.ClientConfig(nil, rc, testLogger(t)))
	t.Cleanup(func() {
		client.Kill()
		cancel()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Errorf("plugin %s did not stop within 10s", p.Name)
		}
	})
	return dispense(t, client)
}

// StartBinary launches a plugin executable and returns a connection to it.
// The process is killed when the test ends.
func StartBinary(t testing.TB, path string) *host.Conn {
	t.Helper()
	client := goplugin.NewClient(host.ClientConfig(exec.Command(path), nil, testLogger(t)))
	t.Cleanup(client.Kill)
	return dispense(t, client)
}

func dispense(t testing.TB, client *goplugin.Client) *host.Conn {
	t.Helper()
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("connect to plugin: %v", err)
	}
	conn, err := host.Dispense(rpc)
	if err != nil {
		t.Fatalf("dispense plugin: %v", err)
	}
	return conn
}

// testLogger keeps go-plugin's chatter out of test output; warnings and
// errors (a plugin crash, a panic) still show. It writes to stderr rather than
// t.Log because go-plugin logs from goroutines that may outlive the test.
func testLogger(testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: os.Stderr})
}
