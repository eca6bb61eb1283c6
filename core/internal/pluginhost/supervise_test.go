package pluginhost

import (
	"context"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/fixtures"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// A plugin killed in the middle of a download fails that download at once
// with an error naming it, the crash is logged, and the next call through the
// same client reaches a new process.
func TestCrashFailsInFlightCallAndRestarts(t *testing.T) {
	env := newEnv(t, "")
	env.add(fixtures.Storage, "storage-fixture")
	env.pin("storage-fixture")
	h := env.host()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := spec.Config{"path": "/nowhere"}

	st, err := h.Storage("storage-fixture")
	if err != nil {
		t.Fatal(err)
	}
	before, err := st.Test(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := st.Download(ctx, cfg, storage.DownloadRequest{Name: "big.dump"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, make([]byte, 1<<20)); err != nil {
		t.Fatalf("read the first MiB: %v", err)
	}
	status := h.Status()
	if len(status) != 1 || !status[0].Running || status[0].PID == 0 {
		t.Fatalf("status before the kill = %+v", status)
	}
	pid := status[0].PID

	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, rc)
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(time.Second):
		t.Fatal("the in-flight download did not fail within 1s of the kill")
	}
	t.Logf("in-flight download failed %s after the kill: %v", time.Since(killed), err)
	var crash *CrashError
	if !errors.As(err, &crash) {
		t.Fatalf("download error = %v (%T), want a *CrashError", err, err)
	}
	if !strings.HasPrefix(err.Error(), "plugin dbkeep-storage-fixture crashed: ") || crash.PID != pid {
		t.Errorf("crash error = %q (pid %d), want it to name the plugin and pid %d", err, crash.PID, pid)
	}

	after, err := st.Test(ctx, cfg)
	if err != nil {
		t.Fatalf("call after the crash: %v", err)
	}
	if after == before {
		t.Errorf("Test answered %q before and after the crash: not a new process", after)
	}
	status = h.Status()
	if len(status) != 1 || !status[0].Running || status[0].PID == pid || status[0].Crashes != 1 || status[0].LastCrash == nil || status[0].Restarts != 1 {
		t.Errorf("status after the restart = %+v, want running, a new pid, one crash, one restart", status)
	}
	assertContainsAll(t, "log", env.log.String(), []string{
		"plugin crashed; it restarts on next use", "plugin=dbkeep-storage-fixture",
		"download started",    // the plugin's own hclog line, routed into the core's logger
		"fixture test called", // a plain write to the plugin's os.Stderr, routed too
	})
}

// Close stops the processes, and a closed host starts nothing.
func TestCloseStopsPlugins(t *testing.T) {
	env := newEnv(t, "")
	env.add(fixtures.Storage, "storage-fixture")
	env.pin("storage-fixture")
	h := env.host()
	if _, err := h.Start(context.Background(), "storage-fixture"); err != nil {
		t.Fatal(err)
	}
	pid := h.Status()[0].PID
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d after Close: kill -0 = %v, want ESRCH", pid, err)
	}
	if _, err := h.Start(context.Background(), "storage-fixture"); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}
	if strings.Contains(env.log.String(), "plugin crashed") {
		t.Errorf("a stop was logged as a crash:\n%s", env.log.String())
	}
}

func TestKindGettersCheckTheKind(t *testing.T) {
	h := newEnv(t, "").host()
	if _, err := h.Database("storage-fixture"); err == nil || !strings.Contains(err.Error(), "is a storage plugin, not a database plugin") {
		t.Errorf("Database(storage id): %v", err)
	}
	if _, err := h.Notifier("fixture"); err == nil {
		t.Error("Notifier accepted an id without a kind")
	}
}

func TestNotifierThroughHost(t *testing.T) {
	env := newEnv(t, "")
	env.add(fixtures.Notification, "notification-fixture")
	env.pin("notification-fixture")
	n, err := env.host().Notifier("notification-fixture")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), spec.Config{"url": "http://127.0.0.1:1"}, notificationEvent()); err != nil {
		t.Errorf("Send: %v", err)
	}
}
