package main

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// row is one result row, column name to value; NULL is nullValue and values
// that are not valid UTF-8 (binary data) are shown by length and hash.
type row map[string]string

const nullValue = "<NULL>"

func queryRows(t testing.TB, db *sql.DB, q string, args ...any) []row {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", short(q), err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []row
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := row{}
		for i, v := range vals {
			switch {
			case v == nil:
				r[cols[i]] = nullValue
			case !utf8.Valid(v) || len(v) > 4096:
				sum := sha256.Sum256(v)
				r[cols[i]] = fmt.Sprintf("<%d bytes %s>", len(v), hex.EncodeToString(sum[:8]))
			default:
				r[cols[i]] = string(v)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", short(q), err)
	}
	return out
}

// snapshot is everything that makes two databases equal for a user: their
// defaults, every object's definition as the server shows it, and every
// table's rows (in full for small tables, by count and checksum for all).
// The database's own name is replaced by <db> where definitions name it, so
// that a copy under another name compares equal, while a definition that
// still pointed at the source after a restore would not.
func snapshot(t testing.TB, cfg spec.Config, name string) map[string][]row {
	t.Helper()
	db := admin(t, cfg, name)
	mustExec(t, db, "SET NAMES utf8mb4")
	out := map[string][]row{
		"schema": queryRows(t, db, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name),
		"tables": queryRows(t, db, `SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, TABLE_COMMENT FROM information_schema.TABLES
			WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`, name),
		"columns": queryRows(t, db, `SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE,
			CHARACTER_SET_NAME, COLLATION_NAME, EXTRA, GENERATION_EXPRESSION FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`, name),
	}
	normalise := func(s string) string {
		return strings.ReplaceAll(s, quoteIdent(name), "`<db>`")
	}
	show := func(key, q string, drop ...string) {
		for _, r := range queryRows(t, db, q) {
			for _, c := range drop {
				delete(r, c)
			}
			for c, v := range r {
				r[c] = normalise(v)
			}
			out[key] = append(out[key], r)
		}
	}
	for _, r := range queryRows(t, db, "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", name) {
		tbl, typ := r["TABLE_NAME"], r["TABLE_TYPE"]
		switch typ {
		case "VIEW":
			show("view "+tbl, "SHOW CREATE VIEW "+quoteIdent(tbl))
		case "SEQUENCE":
			show("sequence "+tbl, "SHOW CREATE SEQUENCE "+quoteIdent(tbl))
			out["sequence state "+tbl] = queryRows(t, db, "SELECT * FROM "+quoteIdent(tbl))
		default:
			show("table "+tbl, "SHOW CREATE TABLE "+quoteIdent(tbl))
			out["count "+tbl] = queryRows(t, db, "SELECT COUNT(*) FROM "+quoteIdent(tbl))
			out["checksum "+tbl] = queryRows(t, db, "CHECKSUM TABLE "+quoteIdent(tbl)+" EXTENDED")
			for _, c := range out["checksum "+tbl] {
				delete(c, "Table") // it names the database
			}
			if n := out["count "+tbl][0]["COUNT(*)"]; len(n) <= 3 { // under 1000 rows: show them
				out["rows "+tbl] = queryRows(t, db, "SELECT * FROM "+quoteIdent(tbl)+" ORDER BY 1")
			}
		}
	}
	for _, r := range queryRows(t, db, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1", name) {
		show("trigger "+r["TRIGGER_NAME"], "SHOW CREATE TRIGGER "+quoteIdent(r["TRIGGER_NAME"]), "Created")
	}
	for _, r := range queryRows(t, db, "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1, 2", name) {
		show(strings.ToLower(r["ROUTINE_TYPE"])+" "+r["ROUTINE_NAME"], "SHOW CREATE "+r["ROUTINE_TYPE"]+" "+quoteIdent(r["ROUTINE_NAME"]))
	}
	for _, r := range queryRows(t, db, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1", name) {
		show("event "+r["EVENT_NAME"], "SHOW CREATE EVENT "+quoteIdent(r["EVENT_NAME"]))
	}
	return out
}

// compare fails t unless target holds exactly what source holds.
func compare(t testing.TB, cfg spec.Config, source, target string) {
	t.Helper()
	src, dst := snapshot(t, cfg, source), snapshot(t, cfg, target)
	if len(src) < 4 {
		t.Fatalf("compare: source %q looks empty: %v", source, src)
	}
	if diff := cmp.Diff(src, dst); diff != "" {
		t.Errorf("restored %q differs from %q (-source +restored):\n%s", target, source, diff)
	}
}
