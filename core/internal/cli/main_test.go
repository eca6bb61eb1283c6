package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/fixtures"
)

var fixtureBins map[string]string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dbkeep-cli-fixtures-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureBins, err = fixtures.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// workspace is a plugins.hcl with its plugin directory in a temp dir.
type workspace struct {
	t      *testing.T
	root   string
	config string
	dir    string
}

func newWorkspace(t *testing.T) *workspace {
	t.Helper()
	root := t.TempDir()
	w := &workspace{t: t, root: root, config: filepath.Join(root, "plugins.hcl"), dir: filepath.Join(root, "plugins")}
	if err := os.WriteFile(w.config, []byte("plugin_dir = \"plugins\"\ntrust {\n  policy = \"pinned\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(w.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return w
}

// add copies a fixture into the plugin directory as dbkeep-<id>.
func (w *workspace) add(fixture, id string) string {
	w.t.Helper()
	dst := filepath.Join(w.dir, "dbkeep-"+id)
	copyFile(w.t, fixtureBins[fixture], dst)
	return dst
}

// run executes the dbkeep command line in-process.
func (w *workspace) run(args ...string) (stdout, stderr string, err error) {
	return runCtx(context.Background(), append([]string{"--config", w.config}, args...)...)
}

func runCtx(ctx context.Context, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	root := NewRoot()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func (w *workspace) mustRun(args ...string) string {
	w.t.Helper()
	out, errOut, err := w.run(args...)
	if err != nil {
		w.t.Fatalf("dbkeep %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, out, errOut)
	}
	return out
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func appendByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
