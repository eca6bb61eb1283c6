package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// content is everything that makes two databases equal for a user.
type content struct {
	// Settings are the database's encoding, collation and ctype.
	Settings []string
	// Schema is pg_dump --schema-only, without the lines that differ
	// between any two dumps (version banner, \restrict keys).
	Schema []string
	// Sequences maps each sequence to "last_value is_called".
	Sequences map[string]string
	// Tables maps each table and materialized view to its row count and the
	// MD5 of its rows' text, sorted bytewise.
	Tables map[string]string
	// LargeObjects maps each large object's OID to its owner and MD5.
	LargeObjects map[string]string
}

// snapshot reads the content of database db.
func snapshot(t testing.TB, dsn string, cfg spec.Config, db string) content {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn := admin(t, dsn, db)
	c := content{Sequences: map[string]string{}, Tables: map[string]string{}, LargeObjects: map[string]string{}}
	var enc, coll, ctype string
	if err := conn.QueryRow(ctx, `SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = current_database()`).Scan(&enc, &coll, &ctype); err != nil {
		t.Fatal(err)
	}
	c.Settings = []string{enc, coll, ctype}
	c.Schema = schemaDump(t, cfg, db)

	for _, r := range rows(t, conn, `SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences ORDER BY 1`) {
		var v string
		q := fmt.Sprintf(`SELECT last_value || ' ' || is_called FROM %s`, r)
		if err := conn.QueryRow(ctx, q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		c.Sequences[r] = v
	}
	for _, r := range rows(t, conn, `
		SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
		ORDER BY 1`) {
		var v string
		q := fmt.Sprintf(`SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text COLLATE "C")), '-') FROM %s t`, r)
		if err := conn.QueryRow(ctx, q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		c.Tables[r] = v
	}
	for _, r := range rows(t, conn, `SELECT oid || ' ' || lomowner::regrole || ' ' || md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid`) {
		oid, rest, _ := strings.Cut(r, " ")
		c.LargeObjects[oid] = rest
	}
	return c
}

func rows(t testing.TB, conn *pgx.Conn, q string) []string {
	t.Helper()
	r, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out, err := pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// schemaDump is the schema of db as pg_dump writes it, one entry a line.
func schemaDump(t testing.TB, cfg spec.Config, db string) []string {
	t.Helper()
	s, err := newSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cmd := exec.Command("pg_dump", "--schema-only", "--no-password", "--dbname="+s.conninfo(db))
	cmd.Env = s.env()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump --schema-only %q: %v", db, err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, `\restrict `) || strings.HasPrefix(l, `\unrestrict `) ||
			strings.HasPrefix(l, "-- Dumped from") || strings.HasPrefix(l, "-- Dumped by") {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

// sources caches the snapshots of source databases, which the tests never
// change: reading a million rows once is enough.
var sources sync.Map // name → content

// compareDatabases fails t unless target holds exactly what source holds.
func compareDatabases(t testing.TB, dsn string, cfg spec.Config, source, target string) {
	t.Helper()
	cached, ok := sources.Load(source)
	if !ok {
		cached, _ = sources.LoadOrStore(source, snapshot(t, dsn, cfg, source))
	}
	want, got := cached.(content), snapshot(t, dsn, cfg, target)
	if len(want.Tables) == 0 || len(want.Schema) < 10 {
		t.Fatalf("source %q looks empty: %d tables, %d schema lines", source, len(want.Tables), len(want.Schema))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restored %q differs from %q (-source +restored):\n%s", target, source, diff)
	}
}
