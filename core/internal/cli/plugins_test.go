package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/core/internal/buildinfo"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost/fixtures"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

type listJSON struct {
	PluginDir string `json:"pluginDir"`
	Plugins   []struct {
		ID, Kind, Name, File, Version, Protocol, SHA256, State, Error string
		PinnedSHA256                                                  string `json:"pinnedSha256"`
	} `json:"plugins"`
}

func TestPluginsLockThenListJSON(t *testing.T) {
	w := newWorkspace(t)
	storageBin := w.add(fixtures.Storage, "storage-fixture")
	notifyBin := w.add(fixtures.Notification, "notification-fixture")
	out := w.mustRun("plugins", "lock")
	if !strings.Contains(out, "pinned storage-fixture 1.2.3 sha256 "+sha256File(t, storageBin)) {
		t.Errorf("lock output:\n%s", out)
	}

	var got listJSON
	if err := json.Unmarshal([]byte(w.mustRun("plugins", "list", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	type row struct{ ID, Kind, Name, File, Version, Protocol, SHA256, Pinned, State string }
	var rows []row
	for _, p := range got.Plugins {
		rows = append(rows, row{p.ID, p.Kind, p.Name, p.File, p.Version, p.Protocol, p.SHA256, p.PinnedSHA256, p.State})
	}
	storageSum, notifySum := sha256File(t, storageBin), sha256File(t, notifyBin)
	want := []row{
		{"notification-fixture", "notification", "fixture", notifyBin, "0.9.0", protocol, notifySum, notifySum, "ok"},
		{"storage-fixture", "storage", "fixture", storageBin, "1.2.3", protocol, storageSum, storageSum, "ok"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("plugins list --json (-want +got):\n%s", diff)
	}
	if got.PluginDir != w.dir {
		t.Errorf("pluginDir = %q, want %q", got.PluginDir, w.dir)
	}

	table := w.mustRun("plugins", "list")
	for _, s := range []string{"ID", "storage-fixture", "notification-fixture", "1.2.3", "ok", storageSum[:16]} {
		if !strings.Contains(table, s) {
			t.Errorf("plugins list table lacks %q:\n%s", s, table)
		}
	}
}

func TestPluginsVerifyFailsAfterTampering(t *testing.T) {
	w := newWorkspace(t)
	bin := w.add(fixtures.Storage, "storage-fixture")
	w.mustRun("plugins", "lock")
	pinned := sha256File(t, bin)
	if out := w.mustRun("plugins", "verify"); !strings.Contains(out, "ok                storage-fixture sha256 "+pinned) {
		t.Errorf("verify before tampering:\n%s", out)
	}

	appendByte(t, bin)
	os.Remove(bin + ".ran")
	actual := sha256File(t, bin)
	out, _, err := w.run("plugins", "verify")
	if err == nil {
		t.Fatalf("verify succeeded after tampering:\n%s", out)
	}
	for _, s := range []string{"checksum-mismatch", "dbkeep-storage-fixture", "expected sha256 " + pinned, bin + " has " + actual} {
		if !strings.Contains(out, s) {
			t.Errorf("verify output lacks %q:\n%s", s, out)
		}
	}
	if _, err := os.Stat(bin + ".ran"); !os.IsNotExist(err) {
		t.Errorf("verify executed the tampered binary (marker: %v)", err)
	}
	// The process exit code, as a script sees it.
	if code := Execute(context.Background(), []string{"--config", w.config, "plugins", "verify"}); code == 0 {
		t.Error("Execute(plugins verify) exited 0 after tampering")
	}

	// An unpinned binary fails verify too.
	w2 := newWorkspace(t)
	w2.add(fixtures.Storage, "storage-fixture")
	if out, _, err := w2.run("plugins", "verify"); err == nil || !strings.Contains(out, "unpinned") {
		t.Errorf("verify of an unpinned binary: err %v, output:\n%s", err, out)
	}
}

func TestPluginsInstallPinsAndCopies(t *testing.T) {
	w := newWorkspace(t)
	src := filepath.Join(t.TempDir(), "dbkeep-storage-fixture")
	copyFile(t, fixtureBins[fixtures.Storage], src)
	sum := sha256File(t, src)

	out := w.mustRun("plugins", "install", src)
	dst := filepath.Join(w.dir, "dbkeep-storage-fixture")
	if !strings.Contains(out, "installed storage-fixture 1.2.3 as "+dst) || !strings.Contains(out, "pinned sha256 "+sum) {
		t.Errorf("install output:\n%s", out)
	}
	if got := sha256File(t, dst); got != sum {
		t.Errorf("installed file sha256 %s, source %s", got, sum)
	}
	lock, err := pluginconf.ReadLock(filepath.Join(w.root, "plugins.lock.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pluginconf.Pin{SHA256: sum, Version: "1.2.3", Protocol: protocol}, lock.Pins["storage-fixture"]); diff != "" {
		t.Errorf("pin (-want +got):\n%s", diff)
	}
	w.mustRun("plugins", "verify")

	// A different binary under the same name needs --force.
	appendByte(t, src)
	if _, _, err := w.run("plugins", "install", src); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("install over a different binary: %v", err)
	}
	w.mustRun("plugins", "install", "--force", src)
	if got := sha256File(t, dst); got != sha256File(t, src) {
		t.Error("--force did not replace the binary")
	}
}

func TestPluginsInspectShowsSchema(t *testing.T) {
	w := newWorkspace(t)
	w.add(fixtures.Storage, "storage-fixture")
	w.mustRun("plugins", "lock")

	out := w.mustRun("plugins", "inspect", "dbkeep-storage-fixture")
	for _, s := range []string{"Fixture storage", "A storage plugin for tests.", "Protocol", protocol, "Configuration:",
		"path", "string", "yes", "Location", "Where objects go.", "token", "secret"} {
		if !strings.Contains(out, s) {
			t.Errorf("inspect output lacks %q:\n%s", s, out)
		}
	}
	var e struct {
		State       string
		Description spec.Description
	}
	if err := json.Unmarshal([]byte(w.mustRun("plugins", "inspect", "storage-fixture", "--json")), &e); err != nil {
		t.Fatal(err)
	}
	wantFields := []spec.Field{
		{Name: "path", Label: "Path", Type: spec.String, Required: true, Help: "Where objects go.", Group: "Location"},
		{Name: "token", Label: "Token", Type: spec.Secret},
	}
	if diff := cmp.Diff(wantFields, e.Description.Schema.Fields); diff != "" || e.State != "ok" {
		t.Errorf("inspect --json state %q, schema (-want +got):\n%s", e.State, diff)
	}
	if _, _, err := w.run("plugins", "inspect", "storage-nothere"); err == nil {
		t.Error("inspect of a missing plugin succeeded")
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	w := newWorkspace(t)
	w.add(fixtures.Storage, "storage-fixture")
	t.Setenv(EnvPluginsConfig, w.config)
	out, _, err := runCtx(context.Background(), "plugins", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"unpinned"`) {
		t.Errorf("list with the config from %s:\n%s", EnvPluginsConfig, out)
	}
}

func TestConfigErrorNamesFileAndLine(t *testing.T) {
	w := newWorkspace(t)
	os.WriteFile(w.config, []byte("plugin_dir = \"plugins\"\ntrust {\n  policy = \"whatever\"\n}\n"), 0o644)
	_, _, err := w.run("plugins", "list")
	if err == nil || !strings.Contains(err.Error(), w.config+":3,12: Unknown trust policy") {
		t.Errorf("error = %v", err)
	}
}

// The repository's own plugins.hcl is valid.
func TestRepositoryPluginsConfigParses(t *testing.T) {
	cfg, err := pluginconf.Load(filepath.Join("..", "..", "..", "plugins.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(cfg.Dir) != "plugins" || cfg.Policy != pluginconf.PolicyPinned {
		t.Errorf("repository plugins.hcl: dir %q policy %q", cfg.Dir, cfg.Policy)
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runCtx(context.Background(), "version", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got buildinfo.Info
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(buildinfo.Get(), got); diff != "" || got.Version != "dev" || got.Protocol != protocol {
		t.Errorf("version --json (-want +got):\n%s", diff)
	}
}

// protocol is the protocol version this build speaks, as listings show it.
var protocol = fmt.Sprintf("%d.%d", spec.ProtocolMajor, spec.ProtocolMinor)
