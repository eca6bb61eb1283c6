package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestShellMetacharacters passes shell syntax, quotes, a line break and a
// leading "-" wherever a user's words reach a tool: the database names of a
// dump and of a restore, a table pattern, pg_dump options and restore
// options. Each is either that literal value for the tool (the dump and
// restore round-trip and no marker file appears) or refused with an error
// naming the field.
func TestShellMetacharacters(t *testing.T) {
	dsn := resolveServer(t)
	// A short directory: database names have at most 63 bytes.
	dir, err := os.MkdirTemp("/tmp", "pm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	m := filepath.Join(dir, "m")
	source := "-s;rm -rf\n`touch " + m + "`'\"$(x)"
	target := "--t\n$(touch " + m + ") `x` 'q\" ;"
	// (A pattern is one line of include-tables: a table name with a line
	// break cannot be selected, and is not tried.)
	table := "-t; rm -rf $(touch " + m + ") `id` \"q\" '"
	for _, n := range []string{source, target, table} {
		if len(n) > 63 {
			t.Fatalf("test name %q is %d bytes, more than PostgreSQL's 63", n, len(n))
		}
	}
	createDB(t, dsn, source)
	dropLater(t, dsn, target)
	conn := admin(t, dsn, source)
	mustExec(t, conn, "CREATE TABLE public."+pgx.Identifier{table}.Sanitize()+" (v text)")
	mustExec(t, conn, "INSERT INTO public."+pgx.Identifier{table}.Sanitize()+" VALUES ('$(touch "+m+")'), ('`x`')")
	mustExec(t, conn, "CREATE TABLE public.left_out (v text)")

	// The table pattern names the weird table: pg_dump's pattern syntax
	// quotes with double quotes (doubled inside); the rest is literal.
	pattern := `public."` + strings.ReplaceAll(table, `"`, `""`) + `"`
	cfg := with(configFrom(t, dsn), fieldIncludeTables, pattern)
	db := client(t)
	dumpAndRestore(t, db, cfg, source, target)
	got, err := db.CountRows(callCtx(t), cfg, database.CountRowsRequest{Database: target})
	if err != nil {
		t.Fatalf("CountRows(%q): %v", target, err)
	}
	want := []database.TableRows{{Schema: "public", Table: table, Rows: 2, Exact: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tables restored from the weird pattern (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(m); err == nil {
		t.Fatalf("a name ran a shell command: %s exists", m)
	}

	// pg_dump options are an allow-list: shell syntax is refused, naming
	// the field, before any tool runs.
	for _, opt := range []string{"--no-comments;touch " + m, "$(touch " + m + ")", "`touch " + m + "`", "--no-comments\n--file=" + m, "-f" + m} {
		bad := with(configFrom(t, dsn), fieldDumpOptions, opt)
		err := db.Dump(callCtx(t), bad, database.DumpRequest{Database: source}, &memDump{})
		if !hasField(err, fieldDumpOptions) {
			t.Errorf("pg-dump-options %q: %v, want a validation error naming %s", opt, err, fieldDumpOptions)
		}
	}
	// Restore options are known names and booleans; anything else is
	// refused, naming the option.
	for k, v := range map[string]string{
		"single-transaction; touch " + m: "true",
		optNoPrivileges:                  "$(touch " + m + ")",
		"-" + optNoPrivileges:            "true",
	} {
		req := database.RestoreRequest{Source: database.DumpHeader{Database: source}, TargetDatabase: target, Options: map[string]string{k: v}}
		_, err := db.Restore(callCtx(t), cfg, req, strings.NewReader(""), spec.Discard)
		if !errors.Is(err, spec.ErrInvalidArgument) || !strings.Contains(err.Error(), strings.Split(k, ";")[0]) {
			t.Errorf("restore option %q=%q: %v, want spec.ErrInvalidArgument naming it", k, v, err)
		}
	}
	// Configuration values that would break the tools' line-based files are
	// refused, naming the field.
	for field, v := range map[string]string{fieldUser: "postgres\nhost=evil", fieldDatabase: "postgres\n-x", fieldPassword: "a\nb"} {
		err := db.Dump(callCtx(t), with(configFrom(t, dsn), field, v), database.DumpRequest{Database: source}, &memDump{})
		if !hasField(err, field) {
			t.Errorf("%s %q: %v, want a validation error naming it", field, v, err)
		}
	}
	if _, err := os.Stat(m); err == nil {
		t.Errorf("an option ran a shell command: %s exists", m)
	}
}

func hasField(err error, field string) bool {
	for _, f := range spec.FieldErrors(err) {
		if f.Field == field {
			return true
		}
	}
	return false
}

// TestStderrRedacted makes pg_dump print the password on its stderr (in a
// table pattern it refuses, quoting it) and checks that neither the
// execution log nor the error holds it: the tool's words are captured, the
// password in them masked.
func TestStderrRedacted(t *testing.T) {
	dsn := resolveServer(t)
	name := uniqueName("redact")
	createDB(t, dsn, name)
	password := "Pw-" + uniqueName("secret")
	cfg := with(with(configFrom(t, dsn), fieldPassword, password), fieldIncludeTables, "a.b.c.nosuch_"+password)
	d := &memDump{}
	err := client(t).Dump(callCtx(t), cfg, database.DumpRequest{Database: name}, d)
	if err == nil {
		t.Fatal("a dump with an improper table pattern succeeded")
	}
	logs := strings.Join(d.lines(), "\n")
	if strings.Contains(logs, password) || strings.Contains(err.Error(), password) {
		t.Errorf("the password leaked:\nerror: %v\nlog: %s", err, logs)
	}
	if want := "nosuch_" + spec.Mask; !strings.Contains(logs, want) || !strings.Contains(err.Error(), want) {
		t.Errorf("pg_dump's complaint about the pattern is not in the log and the error with the password masked (%q):\nerror: %v\nlog: %s", want, err, logs)
	}
}
