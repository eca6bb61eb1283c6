package pluginhost

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Ignored is a file in the plugin directory that looks like a plugin
// (its name starts with BinaryPrefix) but is not one the host will consider.
type Ignored struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Discover lists the plugin binaries in dir, sorted by id: regular executable
// files named dbkeep-<kind>-<name>. Files whose name starts with the prefix but
// do not qualify are returned as ignored, with the reason; other files are
// skipped silently. A missing directory holds no plugins.
func Discover(dir string) ([]Binary, []Ignored, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read plugin directory: %w", err)
	}
	var bins []Binary
	var ignored []Ignored
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, BinaryPrefix) {
			continue
		}
		b, err := binaryFor(dir, strings.TrimPrefix(name, BinaryPrefix))
		if err != nil {
			ignored = append(ignored, Ignored{Path: filepath.Join(dir, name), Reason: err.Error()})
			continue
		}
		// Symlinks are not followed: the sum checked must be of the very file
		// go-plugin executes, and a link can be repointed between the two.
		if !e.Type().IsRegular() {
			ignored = append(ignored, Ignored{Path: b.Path, Reason: "not a regular file"})
			continue
		}
		info, err := e.Info()
		if err != nil {
			ignored = append(ignored, Ignored{Path: b.Path, Reason: err.Error()})
			continue
		}
		if info.Mode().Perm()&0o111 == 0 {
			ignored = append(ignored, Ignored{Path: b.Path, Reason: "not executable"})
			continue
		}
		bins = append(bins, b)
	}
	sort.Slice(bins, func(i, j int) bool { return bins[i].ID < bins[j].ID })
	return bins, ignored, nil
}
