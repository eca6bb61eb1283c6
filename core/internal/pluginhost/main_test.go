package pluginhost

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/fixtures"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
)

// fixtureBins holds the fixture plugins built once for this test binary.
var fixtureBins map[string]string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dbkeep-pluginhost-fixtures-")
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

// testEnv is a plugins.hcl, its plugin directory and lock file in a temp dir.
type testEnv struct {
	t    *testing.T
	root string
	dir  string
	cfg  *pluginconf.Config
	log  *syncBuffer
}

func newEnv(t *testing.T, hcl string) *testEnv {
	t.Helper()
	root := t.TempDir()
	if hcl == "" {
		hcl = `plugin_dir = "plugins"` + "\n"
	}
	path := filepath.Join(root, "plugins.hcl")
	if err := os.WriteFile(path, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := pluginconf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, root: root, dir: cfg.Dir, cfg: cfg, log: &syncBuffer{}}
}

// add copies fixture into the plugin directory as dbkeep-<id>.
func (e *testEnv) add(fixture, id string) string {
	e.t.Helper()
	dst := filepath.Join(e.dir, BinaryPrefix+id)
	copyFile(e.t, fixtureBins[fixture], dst)
	return dst
}

// pin writes the file's current sum into the lock file without running it.
func (e *testEnv) pin(id string) string {
	e.t.Helper()
	sum, err := SumFile(filepath.Join(e.dir, BinaryPrefix+id))
	if err != nil {
		e.t.Fatal(err)
	}
	lock, err := pluginconf.ReadLock(e.cfg.LockFile)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := lock.Set(id, pluginconf.Pin{SHA256: sum, Version: "1.2.3", Protocol: "1.0"}); err != nil {
		e.t.Fatal(err)
	}
	if err := lock.Write(e.cfg.LockFile); err != nil {
		e.t.Fatal(err)
	}
	return sum
}

func (e *testEnv) host() *Host {
	e.t.Helper()
	logger := hclog.New(&hclog.LoggerOptions{Name: "core", Level: hclog.Debug, Output: e.log})
	h, err := New(Options{Config: e.cfg, Logger: logger})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { h.Close() })
	return h
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// appendByte tampers with a binary the way a corrupted download or a swapped
// file would: same name, different bytes.
func appendByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// marker is the file the storage fixture writes whenever it starts.
func marker(bin string) string { return bin + ".ran" }

func assertNeverRan(t *testing.T, bin string) {
	t.Helper()
	if b, err := os.ReadFile(marker(bin)); err == nil {
		t.Errorf("%s was executed (marker file holds %q)", filepath.Base(bin), b)
	} else if !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// syncBuffer is a log sink safe for the goroutines go-plugin logs from.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
