// Package hosttest builds first-party plugins from this repository and
// loads them into a real pluginhost.Host, pinned the way `dbkeep serve`
// loads them, for the tests of packages that need real plugins. Only tests
// import it.
package hosttest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
)

// Root is the repository's root directory, found from this file's place.
func Root() (string, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the source directory")
	}
	return filepath.Join(filepath.Dir(self), "..", "..", "..", ".."), nil
}

// Build compiles each package (a path relative to the repository root,
// "./plugins/storage/local") into dir under its binary name.
func Build(dir string, packages map[string]string) error {
	root, err := Root()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for bin, pkg := range packages {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, bin), pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	}
	return nil
}

// Start builds the plugins into dir/plugins, writes dir/plugins.hcl, pins
// the binaries and loads them all. The caller closes the Host.
func Start(ctx context.Context, dir string, plugins map[string]string) (*pluginhost.Host, pluginhost.LoadReport, error) {
	if err := Build(filepath.Join(dir, "plugins"), plugins); err != nil {
		return nil, pluginhost.LoadReport{}, err
	}
	hcl := filepath.Join(dir, "plugins.hcl")
	if err := os.WriteFile(hcl, []byte("plugin_dir = \"plugins\"\ntrust {\n  policy = \"pinned\"\n}\n"), 0o644); err != nil {
		return nil, pluginhost.LoadReport{}, err
	}
	cfg, err := pluginconf.Load(hcl)
	if err != nil {
		return nil, pluginhost.LoadReport{}, err
	}
	h, err := pluginhost.New(pluginhost.Options{Config: cfg})
	if err != nil {
		return nil, pluginhost.LoadReport{}, err
	}
	if _, err := h.LockAll(ctx); err != nil {
		h.Close()
		return nil, pluginhost.LoadReport{}, err
	}
	rep, err := h.LoadAll(ctx)
	if err != nil {
		h.Close()
		return nil, pluginhost.LoadReport{}, err
	}
	if len(rep.Loaded) != len(plugins) {
		h.Close()
		return nil, pluginhost.LoadReport{}, fmt.Errorf("loaded %d plugins, want %d: refused %+v", len(rep.Loaded), len(plugins), rep.Refused)
	}
	return h, rep, nil
}

// Main is a TestMain body: it builds and loads plugins into a temporary
// directory, hands the host to use (which the package keeps in its test
// variables), runs the tests, closes the host and removes the directory,
// and returns the exit code. name says whose tests failed to start.
func Main(m *testing.M, name string, plugins map[string]string, use func(*pluginhost.Host, pluginhost.LoadReport)) int {
	dir, err := os.MkdirTemp("", "dbkeep-"+name+"-plugins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	h, rep, err := Start(ctx, dir, plugins)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+" tests:", err)
		return 1
	}
	defer h.Close()
	use(h, rep)
	return m.Run()
}
