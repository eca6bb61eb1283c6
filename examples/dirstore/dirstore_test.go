package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storagetest"
)

// TestConformance is the plugin's whole contract test: the SDK's kit drives
// it through the real plugin boundary.
func TestConformance(t *testing.T) {
	storagetest.Run(t, storagetest.Options{
		Plugin: Plugin(),
		Config: spec.Config{"root": t.TempDir()},
		InvalidConfigs: []storagetest.InvalidConfig{
			{Name: "missing root", Config: spec.Config{}, Fields: []string{"root"}},
			{Name: "relative root", Config: spec.Config{"root": "backups"}, Fields: []string{"root"}},
			{Name: "unknown field", Config: spec.Config{"root": "/tmp", "bucket": "x"}, Fields: []string{"bucket"}},
		},
	})
}

// TestLayout checks what the kit cannot know: objects land in hash shards
// with escaped names, not under their own paths.
func TestLayout(t *testing.T) {
	root := t.TempDir()
	path, err := file(spec.Config{"root": root}, "nightly/db.sql")
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(root, path)
	if dir, name := filepath.Split(rel); len(dir) != 3 || name != "nightly%2Fdb.sql" {
		t.Fatalf("object path %q: want <2 hex digits>/nightly%%2Fdb.sql", rel)
	}
	if _, err := os.Stat(filepath.Join(root, "nightly")); !os.IsNotExist(err) {
		t.Fatalf("the object's own path must not exist: %v", err)
	}
}
