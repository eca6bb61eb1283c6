package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// tablesQuery lists the tables a restore drill compares: every table of the
// schema but SQLite's own (sqlite_sequence, sqlite_stat*), as a JSON array so
// that any name survives the trip from a remote sqlite3's output.
const tablesQuery = `SELECT json_group_array(name) FROM (SELECT name FROM sqlite_schema
	WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name)`

// CountRows counts the rows of every table of one file, exactly (SQLite keeps
// no statistics it could estimate from, so Estimate changes nothing). The
// database is the configured file by its listed name, or a restore target as
// Restore resolves it (a name beside the file, or an absolute path), so a
// drill can count the copy it restored. Schema is empty.
func (e *engine) CountRows(ctx context.Context, cfg spec.Config, req database.CountRowsRequest) ([]database.TableRows, error) {
	if isRemote(cfg) {
		return e.remoteCountRows(ctx, cfg, req)
	}
	p, err := countTarget(cfg, req.Database)
	if err != nil {
		return nil, err
	}
	if err := statFile(p, spec.ErrNotFound); err != nil {
		return nil, err
	}
	db, err := open(p, "ro", false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// One read transaction: every table is counted in one snapshot.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	defer tx.Rollback()
	var list string
	if err := tx.QueryRowContext(ctx, tablesQuery).Scan(&list); err != nil {
		return nil, fmt.Errorf("%s: list tables: %w", p, err)
	}
	names, err := tableNames(list)
	if err != nil {
		return nil, err
	}
	out := make([]database.TableRows, len(names))
	for i, n := range names {
		out[i] = database.TableRows{Table: n, Exact: true}
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteName(n)).Scan(&out[i].Rows); err != nil {
			return nil, fmt.Errorf("%s: count the rows of %s: %w", p, quoteName(n), err)
		}
	}
	return out, nil
}

// countTarget is the file CountRows reads for name.
func countTarget(cfg spec.Config, name string) (string, error) {
	p := cfg.String(fieldPath)
	if name == dbName(p) {
		return p, nil
	}
	if name == "" {
		return "", fmt.Errorf("count rows: no database named: %w", spec.ErrInvalidArgument)
	}
	return resolveTarget(cfg, name)
}

// quoteName quotes a table name as an SQL identifier.
func quoteName(n string) string { return `"` + strings.ReplaceAll(n, `"`, `""`) + `"` }

func tableNames(list string) ([]string, error) {
	var names []string
	if err := json.Unmarshal([]byte(strings.TrimSpace(list)), &names); err != nil {
		return nil, fmt.Errorf("list tables: unexpected answer %q: %w", list, err)
	}
	return names, nil
}

// remoteCountRows runs the same two queries with the remote sqlite3, read
// only: the table list, then every count in one SELECT of one JSON array
// (one statement, so one snapshot).
func (e *engine) remoteCountRows(ctx context.Context, cfg spec.Config, req database.CountRowsRequest) ([]database.TableRows, error) {
	c, p, err := openRemote(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if req.Database != dbName(p) {
		if p, err = countTarget(cfg, req.Database); err != nil {
			return nil, err
		}
	}
	run := func(sqlText string) (string, error) {
		s, f := shellQuote(c.r.sqlite3), shellQuote(p)
		out, err := c.output(ctx, "[ -f "+f+" ] || { echo missing; exit 0; }\nexec "+s+" -readonly -bail -batch -noheader -list "+f+" "+shellQuote(sqlText))
		if err != nil {
			return "", fmt.Errorf("count rows in %s on %s: %w", p, c.r.addr, err)
		}
		if strings.TrimSpace(out) == "missing" {
			return "", fmt.Errorf("database file %s does not exist on %s: %w", p, c.r.addr, spec.ErrNotFound)
		}
		return out, nil
	}
	list, err := run(tablesQuery)
	if err != nil {
		return nil, err
	}
	names, err := tableNames(list)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	counts := make([]string, len(names))
	for i, n := range names {
		counts[i] = "(SELECT count(*) FROM " + quoteName(n) + ")"
	}
	raw, err := run("SELECT json_array(" + strings.Join(counts, ", ") + ")")
	if err != nil {
		return nil, err
	}
	var ns []int64
	if err := json.Unmarshal([]byte(strings.TrimSpace(raw)), &ns); err != nil || len(ns) != len(names) {
		return nil, errors.Join(fmt.Errorf("count rows in %s on %s: unexpected answer %q", p, c.r.addr, raw), err)
	}
	out := make([]database.TableRows, len(names))
	for i, n := range names {
		out[i] = database.TableRows{Table: n, Rows: ns[i], Exact: true}
	}
	return out, nil
}
