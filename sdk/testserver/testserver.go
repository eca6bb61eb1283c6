package testserver

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// Server describes how to reach one kind of test server.
type Server struct {
	// Name is what messages call it: "PostgreSQL".
	Name string
	// Env is the variable holding its address (a DSN or URL).
	Env string
	// Container, when set, starts the server in a container and returns its
	// address. It is used only when Env is unset and Docker answers; the
	// container is removed when the test ends.
	Container func(ctx context.Context, t testing.TB) (string, error)
}

// CI reports whether tests run under CI (CI=true), where nothing may skip.
func CI() bool { return os.Getenv("CI") == "true" }

// Resolve returns the address of a real server, or skips the test (fails it
// under CI) with a message that says how to provide one.
func Resolve(t testing.TB, s Server) string {
	t.Helper()
	if addr := os.Getenv(s.Env); addr != "" {
		return addr
	}
	why := "no Docker engine answers"
	if s.Container == nil {
		why = "it has no container recipe"
	} else if err := dockerHealthy(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		addr, err := s.Container(ctx, t)
		if err != nil {
			t.Fatalf("start %s in a container: %v", s.Name, err)
		}
		return addr
	} else {
		why = fmt.Sprintf("no Docker engine answers (%v)", err)
	}
	msg := fmt.Sprintf("no %s for this test: set %s (make test-services starts one on this machine), or run Docker; %s", s.Name, s.Env, why)
	if CI() {
		t.Fatal("CI=true: " + msg)
	}
	t.Skip(msg)
	return ""
}

var (
	dockerOnce sync.Once
	dockerErr  error
)

// dockerHealthy asks once per test binary whether a Docker engine answers.
func dockerHealthy() error {
	dockerOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		provider, err := testcontainers.NewDockerProvider()
		if err != nil {
			dockerErr = err
			return
		}
		defer provider.Close()
		dockerErr = provider.Health(ctx)
	})
	return dockerErr
}
