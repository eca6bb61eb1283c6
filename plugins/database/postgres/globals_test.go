package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestGlobals backs up the server's roles with include-globals, drops a role,
// and restores the globals: the role comes back with its attributes and
// password, the roles that exist are reported as warnings and kept, and
// nothing is restored without the restore-globals option or from a cut dump.
//
// The test server is shared: the restore runs ALTER ROLE on every role of
// the dump (setting them to what they were a moment before), and roles
// other tests dropped meanwhile would come back, so those are dropped again.
func TestGlobals(t *testing.T) {
	dsn := resolveServer(t)
	plain := configFrom(t, dsn)
	cfg := with(plain, fieldIncludeGlobals, "true")
	root := admin(t, dsn, "")
	role := uniqueName("role")
	ident := pgx.Identifier{role}.Sanitize()
	mustExec(t, root, "CREATE ROLE "+ident+" LOGIN CREATEDB CONNECTION LIMIT 7 PASSWORD 'Sêcret-role-pw' VALID UNTIL '2100-01-01'")
	t.Cleanup(func() { root.Exec(context.Background(), "DROP ROLE IF EXISTS "+ident) })
	roleState := func() string {
		t.Helper()
		var s string
		err := root.QueryRow(callCtx(t), `SELECT concat_ws(' ', rolcanlogin, rolcreatedb, rolconnlimit, rolvaliduntil, rolpassword)
			FROM pg_authid WHERE rolname = $1`, role).Scan(&s)
		if errors.Is(err, pgx.ErrNoRows) {
			return "absent"
		}
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	want := roleState()
	db := client(t)

	// Listed only when asked for.
	for _, c := range []struct {
		cfg    spec.Config
		listed bool
	}{{plain, false}, {cfg, true}} {
		dbs, err := db.ListDatabases(callCtx(t), c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if listed(dbs, globalsName) != c.listed {
			t.Errorf("include-globals=%s: globals entry listed %v, want %v", c.cfg[fieldIncludeGlobals], !c.listed, c.listed)
		}
	}
	if err := db.Dump(callCtx(t), plain, database.DumpRequest{Database: globalsName}, &memDump{}); !errors.Is(err, spec.ErrNotFound) {
		t.Errorf("Dump of the globals without include-globals = %v, want spec.ErrNotFound", err)
	}

	d := &memDump{}
	if err := db.Dump(callCtx(t), cfg, database.DumpRequest{Database: globalsName}, d); err != nil {
		t.Fatalf("Dump of the globals: %v (log %q)", err, d.lines())
	}
	if d.header.Format != formatGlobals || d.header.Extension != extensionSQL || d.header.Database != globalsName {
		t.Errorf("globals header %+v", *d.header)
	}
	if !bytes.Contains(d.buf.Bytes(), []byte("CREATE ROLE "+role+";")) {
		t.Fatalf("the globals dump does not create role %s", role)
	}
	dump := d.buf.Bytes()

	restore := func(body []byte, opts map[string]string) (database.RestoreResult, *memDump, error) {
		rep := &memDump{}
		req := database.RestoreRequest{Source: *d.header, TargetDatabase: globalsName, Options: opts}
		res, err := db.Restore(callCtx(t), cfg, req, bytes.NewReader(body), rep)
		return res, rep, err
	}
	mustExec(t, root, "DROP ROLE "+ident)

	// Never implicitly.
	plan, err := db.PrepareRestore(callCtx(t), cfg, database.RestoreRequest{Source: *d.header, TargetDatabase: globalsName})
	if err != nil || !strings.Contains(strings.Join(plan.Problems, " "), optRestoreGlobals) {
		t.Errorf("PrepareRestore of the globals without %s: %+v, %v; want a problem naming the option", optRestoreGlobals, plan, err)
	}
	if _, _, err := restore(dump, nil); !errors.Is(err, spec.ErrInvalidArgument) {
		t.Errorf("Restore of the globals without %s = %v, want spec.ErrInvalidArgument", optRestoreGlobals, err)
	}
	// Not from a dump cut short: the cut is found before psql runs a statement.
	if _, _, err := restore(dump[:len(dump)-40], map[string]string{optRestoreGlobals: "true"}); err == nil || !strings.Contains(err.Error(), "closing line") {
		t.Errorf("Restore of a cut globals dump = %v, want a refusal", err)
	}
	if got := roleState(); got != "absent" {
		t.Fatalf("role %s after refused restores: %s, want absent", role, got)
	}

	opts := map[string]string{optRestoreGlobals: "true"}
	plan, err = db.PrepareRestore(callCtx(t), cfg, database.RestoreRequest{Source: *d.header, TargetDatabase: globalsName, Options: opts})
	if err != nil || len(plan.Problems) > 0 || !plan.TargetExists {
		t.Errorf("PrepareRestore of the globals: %+v, %v", plan, err)
	}
	before := roles(t, root)
	res, rep, err := restore(dump, opts)
	for _, r := range newRoles(t, root, before) {
		if r != role { // dropped by another test after the dump: not ours to bring back
			root.Exec(context.Background(), "DROP ROLE IF EXISTS "+pgx.Identifier{r}.Sanitize())
		}
	}
	if err != nil {
		t.Fatalf("Restore of the globals: %v (log %q)", err, rep.lines())
	}
	if got := roleState(); got != want {
		t.Errorf("restored role %s: %q, want %q", role, got, want)
	}
	if res.TargetDatabase != globalsName || res.BytesRead != int64(len(dump)) {
		t.Errorf("result %+v", res)
	}
	exists := `role "postgres" already exists`
	if !strings.Contains(strings.Join(res.Warnings, "\n"), exists) {
		t.Errorf("warnings %q lack %q", res.Warnings, exists)
	}
	if !strings.Contains(strings.Join(rep.lines(), "\n"), exists) {
		t.Errorf("restore log %q lacks %q", rep.lines(), exists)
	}
}

func roles(t testing.TB, conn *pgx.Conn) map[string]bool {
	t.Helper()
	rows, err := conn.Query(callCtx(t), `SELECT rolname FROM pg_roles`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

func newRoles(t testing.TB, conn *pgx.Conn, before map[string]bool) []string {
	var out []string
	for r := range roles(t, conn) {
		if !before[r] {
			out = append(out, r)
		}
	}
	return out
}

// TestGlobalsNameCannotBeADatabase checks the reasoning behind globalsName:
// the server refuses a database name that long (it would truncate it), so
// the entry can never be mistaken for a database.
func TestGlobalsNameCannotBeADatabase(t *testing.T) {
	if len(globalsName) < 64 {
		t.Fatalf("globalsName is %d bytes; it must exceed PostgreSQL's 63", len(globalsName))
	}
	dsn := resolveServer(t)
	var max int
	if err := admin(t, dsn, "").QueryRow(callCtx(t), `SELECT current_setting('max_identifier_length')::int`).Scan(&max); err != nil {
		t.Fatal(err)
	}
	if len(globalsName) <= max {
		t.Errorf("the server allows names of %d bytes: %q could be a database", max, globalsName)
	}
}

// TestGlobalsAsNonSuperuser dumps the globals as a role that may not read
// password hashes (the dump leaves them out, says so in the log and the
// header) and checks that a role which may not create roles is told so by
// the pre-flight of a globals restore.
func TestGlobalsAsNonSuperuser(t *testing.T) {
	dsn := resolveServer(t)
	root := admin(t, dsn, "")
	role := uniqueName("plain")
	ident := pgx.Identifier{role}.Sanitize()
	mustExec(t, root, "CREATE ROLE "+ident+" LOGIN")
	t.Cleanup(func() { root.Exec(context.Background(), "DROP ROLE IF EXISTS "+ident) })
	cfg := with(with(configFrom(t, dsn), fieldUser, role), fieldIncludeGlobals, "true")
	db := client(t)
	d := &memDump{}
	if err := db.Dump(callCtx(t), cfg, database.DumpRequest{Database: globalsName}, d); err != nil {
		t.Fatalf("Dump of the globals as %s: %v (log %q)", role, err, d.lines())
	}
	if d.header.Metadata[metaRolePasswords] != "false" {
		t.Errorf("header metadata %v, want %s=false", d.header.Metadata, metaRolePasswords)
	}
	if !strings.Contains(strings.Join(d.lines(), "\n"), "--no-role-passwords") {
		t.Errorf("the log does not say the passwords were left out: %q", d.lines())
	}
	if bytes.Contains(d.buf.Bytes(), []byte("PASSWORD")) {
		t.Error("a dump made without access to pg_authid holds a PASSWORD clause")
	}
	plan, err := db.PrepareRestore(callCtx(t), cfg, database.RestoreRequest{
		Source: *d.header, TargetDatabase: globalsName, Options: map[string]string{optRestoreGlobals: "true"},
	})
	if err != nil || !strings.Contains(strings.Join(plan.Problems, " "), "CREATEROLE") {
		t.Errorf("PrepareRestore of the globals as %s: %+v, %v; want a problem naming CREATEROLE", role, plan, err)
	}
}
