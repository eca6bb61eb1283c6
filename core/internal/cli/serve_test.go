package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/fixtures"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
	"github.com/dbkeep/dbkeep/core/internal/server"
)

// buildDbkeep builds the real binary with a stamped version, once per run.
var buildDbkeep = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "dbkeep-cli-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "dbkeep")
	cmd := exec.Command("go", "build", "-o", bin,
		"-ldflags", "-X github.com/dbkeep/dbkeep/core/internal/buildinfo.Version=9.9.9-test", "../../cmd/dbkeep")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(string(out))
	}
	return bin, nil
})

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The real binary serves health, the API placeholder and the UI; refuses the
// tampered plugin with a logged error naming file and sums while loading the
// good one; and on SIGTERM shuts down cleanly, killing its plugins.
func TestServeBinary(t *testing.T) {
	bin, err := buildDbkeep()
	if err != nil {
		t.Fatalf("build dbkeep: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(bin)) })

	w := newWorkspace(t)
	w.add(fixtures.Storage, "storage-fixture")
	tampered := w.add(fixtures.Storage, "storage-tampered")
	// Pin both without running them (lock would describe the second one,
	// whose description names storage-fixture), then tamper with one.
	lock := pluginconf.NewLock()
	for _, id := range []string{"storage-fixture", "storage-tampered"} {
		if err := lock.Set(id, pluginconf.Pin{SHA256: sha256File(t, filepath.Join(w.dir, "dbkeep-"+id))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := lock.Write(filepath.Join(w.root, pluginconf.LockFileName)); err != nil {
		t.Fatal(err)
	}
	pinned := sha256File(t, tampered)
	appendByte(t, tampered)
	actual := sha256File(t, tampered)
	os.Remove(tampered + ".ran")

	addr := freeAddr(t)
	data := filepath.Join(w.root, "state")
	var stderr lockedBuffer
	cmd := exec.Command(bin, "--config", w.config, "serve", "--listen", addr, "--data", data)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	var health server.Health
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&health)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /healthz within 30s: %v\nstderr:\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	if health.Status != "degraded" || health.Version != "9.9.9-test" {
		t.Errorf("health status %q version %q, want degraded 9.9.9-test", health.Status, health.Version)
	}
	if len(health.Plugins.Loaded) != 1 || health.Plugins.Loaded[0] != "storage-fixture" {
		t.Errorf("loaded = %v, want [storage-fixture]", health.Plugins.Loaded)
	}
	if len(health.Plugins.Failed) != 1 || health.Plugins.Failed[0].ID != "storage-tampered" || health.Plugins.Failed[0].State != "checksum-mismatch" {
		t.Fatalf("failed = %+v, want storage-tampered checksum-mismatch", health.Plugins.Failed)
	}
	for _, s := range []string{"dbkeep-storage-tampered", "expected sha256 " + pinned, tampered + " has " + actual} {
		if !strings.Contains(health.Plugins.Failed[0].Error, s) {
			t.Errorf("failed error %q lacks %q", health.Plugins.Failed[0].Error, s)
		}
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, stderr.String())
		}
	}
	if len(health.Plugins.Status) != 1 || !health.Plugins.Status[0].Running {
		t.Fatalf("plugin status = %+v, want storage-fixture running", health.Plugins.Status)
	}
	pluginPID := health.Plugins.Status[0].PID
	if _, err := os.Stat(tampered + ".ran"); !os.IsNotExist(err) {
		t.Errorf("serve executed the tampered binary (marker: %v)", err)
	}

	body := get(t, "http://"+addr+"/")
	if !strings.Contains(body, "dbkeep is running") {
		t.Errorf("GET / = %.300s", body)
	}
	// An unknown API path answers in the envelope, not with the UI's page.
	resp, err := http.Get("http://" + addr + "/api/v1/no-such-thing")
	if err != nil {
		t.Fatal(err)
	}
	var api struct {
		Success bool
		Error   struct{ Code string }
	}
	err = json.NewDecoder(resp.Body).Decode(&api)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusNotFound || api.Success || api.Error.Code != "not_found" {
		t.Errorf("GET /api/v1/no-such-thing: %s %v %+v", resp.Status, err, api)
	}
	if info, err := os.Stat(data); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v %v", err, info)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("serve exited with %v after SIGTERM\nstderr:\n%s", waitErr, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve still running 20s after SIGTERM\nstderr:\n%s", stderr.String())
	}
	if err := syscall.Kill(pluginPID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("plugin process %d outlived serve: kill -0 = %v", pluginPID, err)
	}
	if !strings.Contains(stderr.String(), "shutting down") || strings.Contains(stderr.String(), "plugin crashed") {
		t.Errorf("shutdown log:\n%s", stderr.String())
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b)
}
