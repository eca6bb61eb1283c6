package engine_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	_ "time/tzdata" // zone names resolve whatever the test machine has installed

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
)

// The tests run backups through the real first-party plugins, built from
// this repository once per test binary and loaded by a real Host the way
// `dbkeep serve` loads them.
var (
	testHost   *pluginhost.Host
	testLoaded pluginhost.LoadReport
)

var realPlugins = map[string]string{
	"dbkeep-database-sqlite":      "./plugins/database/sqlite",
	"dbkeep-storage-local":        "./plugins/storage/local",
	"dbkeep-notification-webhook": "./plugins/notification/webhook",
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dbkeep-engine-plugins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if err := startPlugins(dir); err != nil {
		fmt.Fprintln(os.Stderr, "engine tests:", err)
	} else {
		code = m.Run()
		testHost.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func startPlugins(dir string) error {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return fmt.Errorf("cannot locate the source directory")
	}
	root := filepath.Join(filepath.Dir(self), "..", "..", "..")
	pluginDir := filepath.Join(dir, "plugins")
	if err := os.MkdirAll(pluginDir, 0o755); err != nil {
		return err
	}
	for bin, pkg := range realPlugins {
		cmd := exec.Command("go", "build", "-o", filepath.Join(pluginDir, bin), pkg)
		cmd.Dir = root
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", pkg, err)
		}
	}
	hcl := filepath.Join(dir, "plugins.hcl")
	if err := os.WriteFile(hcl, []byte("plugin_dir = \"plugins\"\ntrust {\n  policy = \"pinned\"\n}\n"), 0o644); err != nil {
		return err
	}
	cfg, err := pluginconf.Load(hcl)
	if err != nil {
		return err
	}
	testHost, err = pluginhost.New(pluginhost.Options{Config: cfg})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := testHost.LockAll(ctx); err != nil {
		return err
	}
	if testLoaded, err = testHost.LoadAll(ctx); err != nil {
		return err
	}
	if len(testLoaded.Loaded) != len(realPlugins) {
		return fmt.Errorf("loaded %d plugins, want %d: refused %+v", len(testLoaded.Loaded), len(realPlugins), testLoaded.Refused)
	}
	return nil
}
