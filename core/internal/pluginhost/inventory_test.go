package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/fixtures"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// sdkProtocol is the protocol the fixtures, built with this SDK, describe;
// pins made by hand in the tests keep their own.
var sdkProtocol = fmt.Sprintf("%d.%d", spec.ProtocolMajor, spec.ProtocolMinor)

func notificationEvent() notification.Event {
	return notification.Event{Type: "test", Severity: notification.SeverityInfo, Title: "t", Text: "x", Time: time.Now().UTC()}
}

func TestInventoryStates(t *testing.T) {
	env := newEnv(t, "plugin_dir = \"plugins\"\nplugin \"notification-off\" {\n  enabled = false\n}\n")
	storageBin := env.add(fixtures.Storage, "storage-fixture")
	env.add(fixtures.Notification, "notification-fixture")
	env.add(fixtures.Notification, "notification-off")
	env.add(fixtures.NotAPlugin, "database-broken")
	env.add(fixtures.Storage, "storage-unpinned")
	for _, id := range []string{"storage-fixture", "notification-fixture", "notification-off", "database-broken"} {
		env.pin(id)
	}
	lock, _ := pluginconf.ReadLock(env.cfg.LockFile)
	lock.Set("storage-gone", pluginconf.Pin{SHA256: strings.Repeat("ab", 32), Version: "0.0.1", Protocol: "1.0"})
	if err := lock.Write(env.cfg.LockFile); err != nil {
		t.Fatal(err)
	}
	// Named like plugins but not usable ones.
	os.WriteFile(filepath.Join(env.dir, "dbkeep-storage-noexec"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(env.dir, "dbkeep-tape-drive"), []byte("x"), 0o755)
	os.Symlink(storageBin, filepath.Join(env.dir, "dbkeep-storage-link"))
	os.WriteFile(filepath.Join(env.dir, "README"), []byte("x"), 0o644)

	inv, err := env.host().Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ ID, State, Version, Protocol string }
	var got []row
	for _, e := range inv.Plugins {
		got = append(got, row{e.ID, string(e.State), e.Version, e.Protocol})
		if e.State != StateMissing {
			sum, _ := SumFile(e.File)
			if e.SHA256 != sum {
				t.Errorf("%s: sha256 %s, file has %s", e.ID, e.SHA256, sum)
			}
		}
	}
	want := []row{
		{"database-broken", "describe-failed", "1.2.3", "1.0"},
		{"notification-fixture", "ok", "0.9.0", sdkProtocol},
		{"notification-off", "disabled", "1.2.3", "1.0"},
		{"storage-fixture", "ok", "1.2.3", sdkProtocol},
		{"storage-gone", "missing", "0.0.1", "1.0"},
		{"storage-unpinned", "unpinned", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
	var ignored []string
	for _, ig := range inv.Ignored {
		ignored = append(ignored, filepath.Base(ig.Path)+": "+ig.Reason)
	}
	wantIgnored := []string{
		"dbkeep-storage-link: not a regular file",
		"dbkeep-storage-noexec: not executable",
		`dbkeep-tape-drive: plugin id "tape-drive": want <kind>-<name> with kind database, storage, notification or oidc`,
	}
	if diff := cmp.Diff(wantIgnored, ignored); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
	broken := inv.Plugins[0]
	if !strings.Contains(broken.Error, "I do not describe myself") {
		t.Errorf("describe-failed error %q does not carry the binary's stderr", broken.Error)
	}
	if got := len(inv.Problems()); got != 3 {
		t.Errorf("Problems() = %d entries, want 3 (describe-failed, missing, unpinned)", got)
	}
}

func TestInstallCopiesAndPins(t *testing.T) {
	env := newEnv(t, "")
	src := filepath.Join(t.TempDir(), "dbkeep-storage-fixture")
	copyFile(t, fixtureBins[fixtures.Storage], src)
	h := env.host()
	ctx := context.Background()

	e, err := h.Install(ctx, src, false)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(env.dir, "dbkeep-storage-fixture")
	sum, _ := SumFile(src)
	if got, _ := SumFile(dst); got != sum || e.SHA256 != sum {
		t.Errorf("installed sum %s, entry %s, source %s", got, e.SHA256, sum)
	}
	if info, err := os.Stat(dst); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("installed file: %v, mode %v", err, info.Mode())
	}
	lock, err := pluginconf.ReadLock(env.cfg.LockFile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pluginconf.Pin{SHA256: sum, Version: "1.2.3", Protocol: sdkProtocol}, lock.Pins["storage-fixture"]); diff != "" {
		t.Errorf("pin (-want +got):\n%s", diff)
	}
	// The host trusts what it pinned without a restart.
	if _, err := h.Start(ctx, "storage-fixture"); err != nil {
		t.Errorf("start after install: %v", err)
	}
	// Installing the same bytes again is fine; different bytes need force.
	if _, err := h.Install(ctx, src, false); err != nil {
		t.Errorf("reinstall of the same binary: %v", err)
	}
	appendByte(t, src)
	if _, err := h.Install(ctx, src, false); !errors.Is(err, ErrInstalled) {
		t.Errorf("install over a different binary without force: %v, want ErrInstalled", err)
	}
	if _, err := h.Install(ctx, src, true); err != nil {
		t.Errorf("install with force: %v", err)
	}
	assertOnlyFiles(t, env.dir, "dbkeep-storage-fixture")
}

func TestInstallRefusesMisnamedBinary(t *testing.T) {
	env := newEnv(t, "")
	src := filepath.Join(t.TempDir(), "dbkeep-storage-fixture")
	copyFile(t, fixtureBins[fixtures.Notification], src) // says notification-fixture
	_, err := env.host().Install(context.Background(), src, false)
	if err == nil || !strings.Contains(err.Error(), `describes itself as "notification-fixture"`) {
		t.Errorf("Install: %v, want a refusal naming both ids", err)
	}
	assertOnlyFiles(t, env.dir)
	if _, err := os.Stat(env.cfg.LockFile); !os.IsNotExist(err) {
		t.Errorf("lock file written for a refused install: %v", err)
	}
}

func TestLockAllPinsTheDirectory(t *testing.T) {
	env := newEnv(t, "")
	env.add(fixtures.Storage, "storage-fixture")
	env.add(fixtures.Notification, "notification-fixture")
	h := env.host()
	entries, err := h.LockAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("LockAll pinned %d, want 2", len(entries))
	}
	inv, err := h.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := inv.Problems(); len(p) != 0 {
		t.Errorf("problems after LockAll: %+v", p)
	}
	// A directory with a broken binary pins nothing.
	env.add(fixtures.NotAPlugin, "database-broken")
	if _, err := h.LockAll(context.Background()); err == nil || !strings.Contains(err.Error(), "dbkeep-database-broken") {
		t.Errorf("LockAll with a broken binary: %v", err)
	}
}

func assertOnlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	got := []string{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".ran") { // fixture markers
			got = append(got, e.Name())
		}
	}
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files in %s (-want +got):\n%s", dir, diff)
	}
}
