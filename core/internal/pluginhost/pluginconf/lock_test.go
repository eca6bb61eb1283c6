package pluginconf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	sumA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	sumB = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

func TestLockRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, LockFileName)
	l := NewLock()
	for id, p := range map[string]Pin{
		"storage-local":        {SHA256: sumA, Version: "0.1.0", Protocol: "1.0"},
		"database-sqlite":      {SHA256: sumB, Version: "1.2.3", Protocol: "1.0"},
		"notification-webhook": {SHA256: sumA},
	} {
		if err := l.Set(id, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l, got); diff != "" {
		t.Errorf("lock after round trip (-want +got):\n%s", diff)
	}

	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(first, []byte("# This file is maintained by")) {
		t.Errorf("lock file does not start with its header comment:\n%s", first)
	}
	// Blocks come sorted by id whatever the map order.
	iDB, iNotify, iStorage := bytes.Index(first, []byte(`"database-sqlite"`)), bytes.Index(first, []byte(`"notification-webhook"`)), bytes.Index(first, []byte(`"storage-local"`))
	if !(iDB < iNotify && iNotify < iStorage) {
		t.Errorf("blocks not sorted by id:\n%s", first)
	}
	// Writing what was read gives the same bytes.
	if err := got.Write(path); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if diff := cmp.Diff(string(first), string(second)); diff != "" {
		t.Errorf("rewrite changed the file (-first +second):\n%s", diff)
	}
	// Atomic replacement leaves no temporary file behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only %s", names, LockFileName)
	}
}

func TestReadLockMissingIsEmpty(t *testing.T) {
	l, err := ReadLock(filepath.Join(t.TempDir(), LockFileName))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Pins) != 0 {
		t.Errorf("pins of a missing lock file: %v", l.Pins)
	}
}

func TestLockErrorsCarryFileAndLine(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"short sum", "plugin \"storage-local\" {\n  sha256 = \"abc\"\n}\n", "plugins.lock.hcl:1,1: Invalid sha256"},
		{"upper-case sum", "\n\nplugin \"storage-local\" {\n  sha256 = \"" + strings.ToUpper(sumA) + "\"\n}\n", "plugins.lock.hcl:3,1: Invalid sha256"},
		{"missing sum", "plugin \"storage-local\" {\n}\n", "plugins.lock.hcl:1,"},
		{"duplicate", "plugin \"storage-local\" {\n  sha256 = \"" + sumA + "\"\n}\nplugin \"storage-local\" {\n  sha256 = \"" + sumA + "\"\n}\n", "plugins.lock.hcl:4,1: Duplicate plugin block"},
		{"syntax", "plugin \"storage-local\" {\n  sha256 = \n", "plugins.lock.hcl:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseLock([]byte(c.src), LockFileName)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ParseLock: got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestLockSetRejectsBadInput(t *testing.T) {
	l := NewLock()
	if err := l.Set("storage-local", Pin{SHA256: "xyz"}); err == nil {
		t.Error("Set accepted a malformed sum")
	}
	if err := l.Set("nope", Pin{SHA256: sumA}); err == nil {
		t.Error("Set accepted a malformed id")
	}
}
