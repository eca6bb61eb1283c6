package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// open opens the SQLite file at path without ever creating it. mode is "ro"
// or "rw"; immutable opens a file nobody else may be writing (a restore's own
// temporary file) without locks, so that no -wal or -shm appears beside it.
// One connection: every use here is one sequence of statements.
func open(path, mode string, immutable bool) (*sql.DB, error) {
	q := url.Values{}
	q.Set("mode", mode)
	if immutable {
		q.Set("immutable", "1")
	}
	// Wait for a writer's lock rather than fail at once; a dump only needs a
	// read transaction, which in WAL mode never waits.
	q.Add("_pragma", "busy_timeout(30000)")
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", "file://"+u.EscapedPath()+"?"+u.RawQuery)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// libraryVersion is the version of the SQLite library linked into the plugin:
// the "server" of every file it touches.
func libraryVersion(ctx context.Context) (string, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v); err != nil {
		return "", fmt.Errorf("sqlite version: %w", err)
	}
	return v, nil
}
