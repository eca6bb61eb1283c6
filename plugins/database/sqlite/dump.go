package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Dump format written in the header; the bytes are a SQLite database file.
const (
	formatSQLite3 = "sqlite3"
	extension     = "sqlite"
	engineName    = "sqlite"
	// metaJournalMode records the source's journal mode, which VACUUM INTO
	// does not carry (its output is always in rollback mode), so a restore
	// can give the file back its WAL mode.
	metaJournalMode = "journal_mode"
)

// Test opens the file read-only and asks it something only a SQLite database
// answers. A missing file is spec.ErrUnavailable: like a server that is down
// (an unmounted volume), it may be there when tried again.
func (e *engine) Test(ctx context.Context, cfg spec.Config) (database.ServerInfo, error) {
	if isRemote(cfg) {
		return e.remoteTest(ctx, cfg)
	}
	path := cfg.String(fieldPath)
	if err := statFile(path, spec.ErrUnavailable); err != nil {
		return database.ServerInfo{}, err
	}
	db, err := open(path, "ro", false)
	if err != nil {
		return database.ServerInfo{}, err
	}
	defer db.Close()
	var schemaVersion int64
	if err := db.QueryRowContext(ctx, "PRAGMA schema_version").Scan(&schemaVersion); err != nil {
		return database.ServerInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	return server(ctx)
}

// server is the library the plugin runs, which plays the server's part.
func server(ctx context.Context) (database.ServerInfo, error) {
	v, err := libraryVersion(ctx)
	if err != nil {
		return database.ServerInfo{}, err
	}
	return database.ServerInfo{Engine: engineName, Version: v}, nil
}

// statFile checks that path is a regular file; a missing one wraps missing.
func statFile(path string, missing error) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("database file %s does not exist: %w", path, missing)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("database file %s: %v: %w", path, err, spec.ErrPermission)
	case err != nil:
		return fmt.Errorf("database file: %w", err)
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// ListDatabases lists the one file, with the size of the file and its WAL
// (committed data not yet checkpointed lives there).
func (e *engine) ListDatabases(ctx context.Context, cfg spec.Config) ([]database.DatabaseInfo, error) {
	if isRemote(cfg) {
		return e.remoteList(ctx, cfg)
	}
	path := cfg.String(fieldPath)
	if err := statFile(path, spec.ErrNotFound); err != nil {
		return nil, err
	}
	var size int64
	for _, p := range []string{path, path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			size += st.Size()
		}
	}
	return []database.DatabaseInfo{{Name: dbName(path), SizeBytes: size}}, nil
}

// Dump snapshots the file with VACUUM INTO and streams the snapshot.
func (e *engine) Dump(ctx context.Context, cfg spec.Config, req database.DumpRequest, w database.DumpWriter) error {
	if isRemote(cfg) {
		return e.remoteDump(ctx, cfg, req, w)
	}
	path := cfg.String(fieldPath)
	if name := dbName(path); req.Database != name {
		return fmt.Errorf("database %q: this configuration holds only %q: %w", req.Database, name, spec.ErrNotFound)
	}
	if err := statFile(path, spec.ErrNotFound); err != nil {
		return err
	}
	srv, err := server(ctx)
	if err != nil {
		return err
	}
	snap, journal, err := snapshot(ctx, path, w)
	if err != nil {
		return err
	}
	defer os.Remove(snap)
	f, err := os.Open(snap)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := w.Begin(database.DumpHeader{
		Database: req.Database, Format: formatSQLite3, Extension: extension, Server: srv,
		Metadata: map[string]string{metaJournalMode: journal},
	}); err != nil {
		return err
	}
	n, err := io.Copy(w, &progressReader{ctx: ctx, r: f, total: st.Size(), rep: w, stage: "dump"})
	if err != nil {
		return fmt.Errorf("dump %s: %w", path, err)
	}
	if n != st.Size() {
		return fmt.Errorf("dump %s: sent %d of %d bytes", path, n, st.Size())
	}
	return nil
}

// snapshot writes a consistent copy of path into a new 0600 temporary file
// and returns its name and the source's journal mode. The caller removes it.
func snapshot(ctx context.Context, path string, rep spec.Reporter) (string, string, error) {
	pattern := "." + filepath.Base(path) + ".dbkeep-dump-*"
	tmp, err := os.CreateTemp(filepath.Dir(path), pattern)
	if err != nil { // a read-only directory or volume: /tmp is better than no backup
		rep.Log(spec.LevelWarn, fmt.Sprintf("cannot write beside %s (%v); snapshot goes to %s", path, err, os.TempDir()))
		tmp, err = os.CreateTemp("", pattern)
	}
	if err != nil {
		return "", "", fmt.Errorf("snapshot file: %w", err)
	}
	name := tmp.Name()
	tmp.Close() // VACUUM INTO accepts an existing empty file, and keeps its 0600
	journal, err := vacuumInto(ctx, path, name)
	if err != nil {
		os.Remove(name)
		return "", "", err
	}
	return name, journal, nil
}

func vacuumInto(ctx context.Context, path, into string) (string, error) {
	db, err := open(path, "ro", false)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var journal string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", into); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("snapshot of %s: %w", path, ctx.Err())
		}
		return "", fmt.Errorf("snapshot of %s: %w", path, err)
	}
	return strings.ToLower(journal), nil
}

// progressReader reports progress as bytes pass and stops at cancellation,
// so a dump or restore of a large file does not outlive its caller.
type progressReader struct {
	ctx   context.Context
	r     io.Reader
	done  int64
	total int64
	next  int64
	rep   spec.Reporter
	stage string
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done >= p.next || errors.Is(err, io.EOF) {
		p.rep.Progress(spec.Progress{DoneBytes: p.done, TotalBytes: p.total, Stage: p.stage})
		p.next = p.done + 4*spec.ChunkSize
	}
	return n, err
}
