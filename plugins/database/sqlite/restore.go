package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Restore writes the dump to a temporary file beside the target, fsyncs and
// verifies it (its header's page count, then PRAGMA integrity_check), and
// only then replaces the target:
//
//  1. if the target has a -wal or -journal file, the plugin opens it so that
//     SQLite folds the WAL into the file (checkpoint) or rolls back a hot
//     journal; a target whose WAL cannot be checkpointed because another
//     connection is using it fails the restore, untouched;
//  2. the current file is kept as <path>.bak-<UTC timestamp> (a hard link, so
//     the target never disappears);
//  3. its -wal, -shm and -journal are removed, so that no old WAL frame is
//     ever replayed onto the new file;
//  4. the new file takes the old file's mode and is renamed over the target.
//
// Stop the applications that write to the target before restoring it: SQLite
// has no way to tell an open connection that its file was replaced.
// A failed or cancelled restore leaves the target as it was and removes its
// temporary file.
func (e *engine) Restore(ctx context.Context, cfg spec.Config, req database.RestoreRequest, r io.Reader, rep spec.Reporter) (database.RestoreResult, error) {
	if isRemote(cfg) {
		return e.remoteRestore(ctx, cfg, req, r, rep)
	}
	target, err := resolveTarget(cfg, req.TargetDatabase)
	if err != nil {
		return database.RestoreResult{}, err
	}
	v, err := libraryVersion(ctx)
	if err != nil {
		return database.RestoreResult{}, err
	}
	check := checkRestore(req.Source, target, v)
	if len(check.problems) > 0 {
		return database.RestoreResult{}, fmt.Errorf("restore into %s: %s: %w", target, strings.Join(check.problems, "; "), spec.ErrInvalidArgument)
	}
	unlock := e.restoring.lock(target)
	defer unlock()

	tmp, err := receive(ctx, target, req.Source, r, rep)
	if err != nil {
		return database.RestoreResult{}, err
	}
	installed := false
	defer func() {
		if !installed {
			removeWithSidecars(tmp)
		}
	}()
	if err := ctx.Err(); err != nil {
		return database.RestoreResult{}, err
	}
	bak, err := install(ctx, target, tmp)
	if err != nil {
		return database.RestoreResult{}, err
	}
	installed = true
	if bak != "" {
		rep.Log(spec.LevelInfo, "previous file kept as "+bak)
	}
	rep.Log(spec.LevelInfo, "restored "+target)
	return database.RestoreResult{TargetDatabase: target}, nil
}

// receive writes the dump into a temporary file beside target and verifies
// it. It returns the file's name; on error nothing is left behind.
func receive(ctx context.Context, target string, src database.DumpHeader, r io.Reader, rep spec.Reporter) (_ string, err error) {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".dbkeep-restore-*")
	if err != nil {
		return "", fmt.Errorf("restore into %s: %w", target, err)
	}
	name := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			removeWithSidecars(name)
		}
	}()
	if _, err := io.Copy(f, &progressReader{ctx: ctx, r: r, total: -1, rep: rep, stage: "restore"}); err != nil {
		return "", fmt.Errorf("restore into %s: receiving dump: %w", target, err)
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := verify(ctx, name); err != nil {
		return "", fmt.Errorf("restore into %s: the dump is not a sound SQLite database, target left untouched: %w", target, err)
	}
	if src.Metadata[metaJournalMode] == "wal" {
		if err := setWAL(ctx, name); err != nil {
			return "", fmt.Errorf("restore into %s: %w", target, err)
		}
	}
	return name, nil
}

// verify checks a received file: its shape, then SQLite's integrity check.
// immutable keeps SQLite from creating -wal or -shm beside the file.
func verify(ctx context.Context, path string) error {
	if err := checkFileShape(path); err != nil {
		return err
	}
	db, err := open(path, "ro", true)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var report []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		report = append(report, line)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(report) != 1 || report[0] != "ok" {
		return fmt.Errorf("integrity check: %s", strings.Join(report, "; "))
	}
	return nil
}

// setWAL gives the restored file back the WAL mode of its source. The last
// connection's close checkpoints and removes the -wal and -shm it made.
func setWAL(ctx context.Context, path string) error {
	db, err := open(path, "rw", false)
	if err != nil {
		return err
	}
	var mode string
	err = db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("set WAL mode: %w", err)
	}
	return nil
}

// install replaces target with tmp (steps 1–4 of Restore) and returns the
// name the previous file is kept under, or "".
func install(ctx context.Context, target, tmp string) (bak string, err error) {
	old, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return "", err
	}
	if old != nil {
		if err := fold(ctx, target); err != nil {
			return "", err
		}
		if bak, err = keep(target); err != nil {
			return "", err
		}
		// The application that owns the file must still be able to open it.
		if err := os.Chmod(tmp, old.Mode().Perm()); err != nil {
			return "", err
		}
		if st, ok := old.Sys().(*syscall.Stat_t); ok {
			_ = os.Chown(tmp, int(st.Uid), int(st.Gid)) // only root may; others already own it
		}
	}
	for _, sidecar := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(target + sidecar); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("remove the old %s of %s: %w", sidecar, target, err)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return "", err
	}
	return bak, syncDir(filepath.Dir(target))
}

// fold makes the target's file complete on its own before it is kept: a WAL
// is checkpointed into it, a hot rollback journal is rolled back. Nothing is
// done for a file without either, so a target that is not a SQLite database
// at all can still be replaced.
func fold(ctx context.Context, target string) error {
	wal, journal := exists(target+"-wal"), exists(target+"-journal")
	if !wal && !journal {
		return nil
	}
	db, err := open(target, "rw", false)
	if err != nil {
		return err
	}
	defer db.Close()
	var schema int64
	if err := db.QueryRowContext(ctx, "PRAGMA schema_version").Scan(&schema); err != nil {
		return fmt.Errorf("open current %s: %w", target, err)
	}
	var busy, logPages, done int64
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logPages, &done); err != nil {
		return fmt.Errorf("checkpoint current %s: %w", target, err)
	}
	if busy != 0 {
		return fmt.Errorf("%s is in use: another connection keeps its WAL from being checkpointed; stop the applications using it: %w", target, spec.ErrUnavailable)
	}
	return db.Close()
}

// keep links the current target to <target>.bak-<UTC timestamp>, adding a
// counter when a restore in the same second already made one.
func keep(target string) (string, error) {
	base := target + ".bak-" + time.Now().UTC().Format("20060102T150405Z")
	for i := 1; ; i++ {
		bak := base
		if i > 1 {
			bak += "-" + strconv.Itoa(i)
		}
		err := os.Link(target, bak)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("keep the current %s: %w", target, err)
		}
		return bak, nil
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// removeWithSidecars removes a temporary database and anything SQLite made
// beside it.
func removeWithSidecars(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		os.Remove(p)
	}
}

// syncDir makes a rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
