package webui

import (
	"io/fs"
	"strings"
	"testing"
)

// The embed must hold a page to serve: an empty dist/ (only .gitkeep) would
// build fine and serve nothing.
func TestEmbedHoldsIndexPage(t *testing.T) {
	b, err := fs.ReadFile(FS(), "index.html")
	if err != nil {
		t.Fatalf("embedded UI has no index.html: %v", err)
	}
	if !strings.Contains(string(b), "dbkeep") {
		t.Errorf("index.html does not look like dbkeep's: %.200s", b)
	}
	var files int
	fs.WalkDir(FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path != ".gitkeep" {
			files++
		}
		return err
	})
	if files == 0 {
		t.Error("embedded UI is empty")
	}
}
