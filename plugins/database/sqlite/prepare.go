package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// PrepareRestore checks what Restore will need and changes nothing. It only
// sees the dump's header, so whether the bytes are a SQLite file is checked by
// Restore itself, before the target is touched.
func (e *engine) PrepareRestore(ctx context.Context, cfg spec.Config, req database.RestoreRequest) (database.RestorePlan, error) {
	if isRemote(cfg) {
		return e.remotePrepare(ctx, cfg, req)
	}
	srv, err := server(ctx)
	if err != nil {
		return database.RestorePlan{}, err
	}
	plan := database.RestorePlan{TargetServer: srv}
	target, err := resolveTarget(cfg, req.TargetDatabase)
	if err != nil {
		plan.Problems = append(plan.Problems, err.Error())
		return plan, nil
	}
	c := checkRestore(req.Source, target, srv.Version)
	plan.TargetExists, plan.Problems, plan.Warnings = c.exists, c.problems, c.warnings
	return plan, nil
}

// restoreCheck is what PrepareRestore reports and Restore refuses on.
type restoreCheck struct {
	exists             bool
	problems, warnings []string
}

func checkRestore(src database.DumpHeader, target, libVersion string) restoreCheck {
	var c restoreCheck
	if src.Format != "" && src.Format != formatSQLite3 {
		c.problems = append(c.problems, fmt.Sprintf("the dump's format is %q, not a SQLite file (%q)", src.Format, formatSQLite3))
	}
	if src.Server.Engine != "" && src.Server.Engine != engineName {
		c.problems = append(c.problems, fmt.Sprintf("the dump comes from engine %q, not %q", src.Server.Engine, engineName))
	}
	// The file is restored byte for byte, so a dump from a newer SQLite is
	// only a risk for the applications that open it, not for the restore.
	if src.Server.Version != "" && newer(src.Server.Version, libVersion) {
		c.warnings = append(c.warnings, fmt.Sprintf("the dump was made with SQLite %s, newer than this plugin's %s: applications on an older SQLite may not read it", src.Server.Version, libVersion))
	}
	dir := filepath.Dir(target)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		c.problems = append(c.problems, fmt.Sprintf("the target's directory %s does not exist", dir))
	} else if syscall.Access(dir, 0x2|0x1) != nil { // W_OK|X_OK: create the temporary file, rename
		c.problems = append(c.problems, fmt.Sprintf("the plugin cannot write in %s", dir))
	}
	st, err := os.Lstat(target)
	c.exists = err == nil
	switch {
	case !c.exists:
	case !st.Mode().IsRegular():
		c.problems = append(c.problems, fmt.Sprintf("%s exists and is not a regular file", target))
	default:
		c.warnings = append(c.warnings, fmt.Sprintf("%s exists: it will be kept as %s.bak-<UTC timestamp> and replaced", target, target))
		if exists(target + "-wal") {
			c.warnings = append(c.warnings, fmt.Sprintf("%s has a WAL file, so it may be in use: stop the applications using it before restoring", target))
		}
	}
	return c
}

// newer reports whether dotted version a is greater than b.
func newer(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x > y
		}
	}
	return false
}
