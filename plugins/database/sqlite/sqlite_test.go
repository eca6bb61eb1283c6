package main

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/databasetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

func TestMain(m *testing.M) {
	// The consistency test re-executes this binary as the writing process.
	if path := os.Getenv(writerEnv); path != "" {
		os.Exit(runWriter(path))
	}
	os.Exit(m.Run())
}

// seededRows are the tables seed creates with their row counts: six people,
// each audited by the trigger; five kv rows; 50 tags less the 7 whose weight
// is 3 mod 7; 2500 chunks. sqlite_sequence is SQLite's own and not counted.
var seededRows = []database.TableRows{
	{Table: "people", Rows: 6},
	{Table: "audit", Rows: 6},
	{Table: "kv", Rows: 5},
	{Table: "tags", Rows: 43},
	{Table: "chunks", Rows: 2500},
}

// seed creates at path a database with awkward content: unicode and emoji,
// NULLs, empty and binary values, extreme numbers, a view, a trigger, an
// index, an AUTOINCREMENT sequence, a WITHOUT ROWID table, a table without an
// INTEGER PRIMARY KEY whose rowids have gaps, and enough blob rows (about
// 5 MiB) that its dump spans several chunks.
func seed(t testing.TB, path string) {
	t.Helper()
	db, err := open(path, "rwc", false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, q := range []string{
		"PRAGMA journal_mode=WAL",
		"PRAGMA user_version=42",
		"PRAGMA application_id=1684171627",
		`CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT, score REAL, avatar BLOB, big INTEGER)`,
		`CREATE INDEX people_name ON people(name COLLATE NOCASE)`,
		`CREATE TABLE audit(id INTEGER PRIMARY KEY AUTOINCREMENT, person INTEGER, action TEXT)`,
		`CREATE TRIGGER people_audit AFTER INSERT ON people BEGIN INSERT INTO audit(person, action) VALUES (new.id, 'insert ' || new.name); END`,
		`CREATE VIEW "people with notes" AS SELECT id, name FROM people WHERE note IS NOT NULL`,
		`CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID`,
		`CREATE TABLE tags(label TEXT, weight INT)`,
		`CREATE TABLE chunks(id INTEGER PRIMARY KEY, data BLOB NOT NULL)`,
	} {
		exec(q)
	}
	people := []struct {
		name  string
		note  any
		score any
		blob  any
		big   any
	}{
		{"Zoë Ångström", "naïve café", 3.5, []byte{0, 1, 2, 255}, int64(math.MaxInt64)},
		{"日本語のなまえ", nil, nil, nil, int64(math.MinInt64)},
		{"emoji 🎉👩‍👩‍👧 family", "🦀", math.Inf(1), []byte{}, nil},
		{"", "", -0.000001, []byte("\x00\x00"), int64(0)},
		{`quote ' double " back \ tab	`, "line\nbreak\r\n", math.MaxFloat64, nil, int64(-1)},
		{"right-to-left שלום", "مرحبا", math.SmallestNonzeroFloat64, []byte("blob"), int64(1) << 53},
	}
	for _, p := range people {
		exec("INSERT INTO people(name, note, score, avatar, big) VALUES (?, ?, ?, ?, ?)", p.name, p.note, p.score, p.blob, p.big)
	}
	exec("INSERT INTO kv VALUES ('int', 7), ('text', 'seven'), ('real', 7.5), ('blob', x'07'), ('null', NULL)")
	for i := range 50 {
		exec("INSERT INTO tags VALUES (?, ?)", fmt.Sprintf("tag-%d", i), i)
	}
	exec("DELETE FROM tags WHERE weight % 7 = 3") // gaps in implicit rowids
	rng := rand.New(rand.NewPCG(1, 2))
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2500 {
		b := make([]byte, 2048)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if _, err := tx.Exec("INSERT INTO chunks(id, data) VALUES (?, ?)", i*3, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// snapshotOf reads everything that makes two SQLite databases equal for a
// user: the schema as written, the header values applications set, and every
// row of every table, with its rowid where it has one, in key order.
func snapshotOf(t testing.TB, path string) map[string][][]any {
	t.Helper()
	db, err := open(path, "ro", false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][][]any{
		"schema":         query(t, db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name"),
		"user_version":   query(t, db, "PRAGMA user_version"),
		"application_id": query(t, db, "PRAGMA application_id"),
		"journal_mode":   query(t, db, "PRAGMA journal_mode"),
		"integrity":      query(t, db, "PRAGMA integrity_check"),
	}
	for _, row := range query(t, db, "SELECT name, sql LIKE '%WITHOUT ROWID%' FROM sqlite_schema WHERE type = 'table' ORDER BY name") {
		table, withoutRowid := row[0].(string), row[1].(int64) == 1
		q := fmt.Sprintf(`SELECT rowid, * FROM "%s" ORDER BY rowid`, table)
		if withoutRowid {
			q = fmt.Sprintf(`SELECT * FROM "%s" ORDER BY 1`, table)
		}
		out["table "+table] = query(t, db, q)
	}
	return out
}

func query(t testing.TB, db *sql.DB, q string) [][]any {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = blobOf(b)
			}
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// blob stands for a BLOB value in comparisons: go-cmp diffs byte slices
// element by element, far too slowly for megabytes of them.
type blob struct {
	Len    int
	SHA256 string
}

func blobOf(b []byte) blob {
	sum := sha256.Sum256(b)
	return blob{Len: len(b), SHA256: hex.EncodeToString(sum[:])}
}

// compareFiles fails t unless the databases at the two paths are equal.
func compareFiles(t testing.TB, source, target string) {
	t.Helper()
	if diff := cmp.Diff(snapshotOf(t, source), snapshotOf(t, target)); diff != "" {
		t.Errorf("restored %s differs from %s (-source +restored):\n%s", target, source, diff)
	}
}

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shop.db")
	seed(t, path)
	var n atomic.Int64
	databasetest.Run(t, databasetest.Options{
		Plugin:   plugin(),
		Config:   spec.Config{fieldPath: path},
		Database: "shop",
		Large:    "shop",
		RestoreTarget: func(t testing.TB) string {
			return filepath.Join(t.TempDir(), fmt.Sprintf("restored-%d.db", n.Add(1)))
		},
		Compare: func(t testing.TB, source, target string) {
			t.Helper()
			if source != "shop" {
				t.Fatalf("compare: unknown source database %q", source)
			}
			compareFiles(t, path, target)
		},
		InvalidConfigs: []databasetest.InvalidConfig{
			{Name: "missing path", Config: spec.Config{}, Fields: []string{fieldPath}},
			{Name: "relative path", Config: spec.Config{fieldPath: "shop.db"}, Fields: []string{fieldPath}},
			{Name: "unknown field", Config: spec.Config{fieldPath: path, "host": "x"}, Fields: []string{"host"}},
		},
		SeededRows:  seededRows,
		Unreachable: spec.Config{fieldPath: filepath.Join(dir, "absent", "nothing.db")},
	})
	// A dump leaves nothing beside the source but SQLite's own WAL files.
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "shop.db") || strings.Contains(e.Name(), "dbkeep") {
			left = append(left, e.Name())
		}
	}
	if len(left) > 0 {
		t.Errorf("files left beside the source: %v", left)
	}
}
