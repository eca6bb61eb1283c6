package testserver

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestResolveUsesTheEnvironment(t *testing.T) {
	t.Setenv("DBKEEP_TEST_EXAMPLE_DSN", "example://127.0.0.1:1")
	got := Resolve(t, Server{Name: "Example", Env: "DBKEEP_TEST_EXAMPLE_DSN"})
	if got != "example://127.0.0.1:1" {
		t.Fatalf("Resolve = %q", got)
	}
}

// TestMissingServer runs Resolve in a child test process, with and without
// CI=true, and checks that it skips outside CI and fails under it.
func TestMissingServer(t *testing.T) {
	if os.Getenv("TESTSERVER_CHILD") == "1" {
		Resolve(t, Server{Name: "Example", Env: "DBKEEP_TEST_MISSING_DSN",
			Container: func(context.Context, testing.TB) (string, error) { return "", nil }})
		return
	}
	for _, tc := range []struct {
		ci   string
		want string
	}{
		{"", "--- SKIP: TestMissingServer"},
		{"true", "--- FAIL: TestMissingServer"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingServer$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTSERVER_CHILD=1", "CI="+tc.ci, "DBKEEP_TEST_MISSING_DSN=",
			"DOCKER_HOST=unix:///nonexistent/docker.sock")
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "DBKEEP_TEST_MISSING_DSN") {
			t.Errorf("CI=%q: want %q and the variable's name in the output:\n%s", tc.ci, tc.want, out)
		}
	}
}
