package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// fieldPath names the one configuration field: the database file.
const fieldPath = "path"

// engine implements database.Database and database.Restorer for SQLite files.
// It holds no state but the per-target restore locks: configuration travels
// with every call.
type engine struct {
	restoring targetLocks
}

// ValidateConfig refuses a relative path (see the package documentation).
func (e *engine) ValidateConfig(_ context.Context, cfg spec.Config) error {
	var errs spec.ValidationError
	if p := cfg.String(fieldPath); !filepath.IsAbs(p) {
		errs.Add(fieldPath, "must be an absolute path")
	} else if strings.ContainsRune(p, 0) {
		errs.Add(fieldPath, "must not contain NUL characters")
	}
	if isRemote(cfg) {
		parseRemote(cfg, &errs)
	}
	return errs.Err()
}

// dbName is the name the file is listed and dumped under: its base name
// without the extension.
func dbName(path string) string {
	base := filepath.Base(path)
	if name := strings.TrimSuffix(base, filepath.Ext(base)); name != "" {
		return name
	}
	return base // ".db": a name of only an extension keeps it
}

// resolveTarget turns a RestoreRequest.TargetDatabase into a file path:
//   - empty: the configured file itself (restore in place);
//   - an absolute path: that file;
//   - a bare name without a separator: a file of that name beside the
//     configured one, with its extension ("shop-copy" → /srv/app/shop-copy.db),
//     so the core's database mapping (rename) works as for other engines.
//
// Anything else (a relative path with a separator, "..") is refused.
func resolveTarget(cfg spec.Config, target string) (string, error) {
	src := cfg.String(fieldPath)
	switch {
	case target == "":
		return src, nil
	case filepath.IsAbs(target):
		return filepath.Clean(target), nil
	case strings.ContainsRune(target, filepath.Separator) || target == "." || target == "..":
		return "", fmt.Errorf("restore target %q: give an absolute path or a bare name: %w", target, spec.ErrInvalidArgument)
	case target == dbName(src):
		return src, nil
	default:
		return filepath.Join(filepath.Dir(src), target+filepath.Ext(src)), nil
	}
}
