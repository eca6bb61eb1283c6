package main

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestTableNamesWithShellSyntax selects and skips tables whose names are
// shell syntax, quotes and a leading "-": each reaches the dump tool as one
// literal name (after "--", or inside --ignore-table=), and the restored
// copy holds exactly the tables asked for. A table name MySQL refuses (a
// line break) is refused first, naming the field that holds it.
func TestTableNamesWithShellSyntax(t *testing.T) {
	cfg := testServer(t)
	// A short directory: table names have at most 64 characters.
	dir, err := os.MkdirTemp("/tmp", "mm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	m := filepath.Join(dir, "m")
	weird := "-t; rm -rf $(touch " + m + ") `id` \"q\" '"
	other := "--help"
	if len([]rune(weird)) > 64 {
		t.Fatalf("table name %q is longer than MySQL's 64 characters", weird)
	}
	source := uniqueName("dbk_meta")
	createDB(t, cfg, source)
	db := admin(t, cfg, source)
	for _, tbl := range []string{weird, other, "plain"} {
		mustExec(t, db, "CREATE TABLE "+quoteIdent(tbl)+" (v VARCHAR(40))",
			"INSERT INTO "+quoteIdent(tbl)+" VALUES ('$(touch "+m+")'), ('`x`')")
	}
	c := client(t)
	for name, tc := range map[string]struct {
		field, value string
		want         []string
	}{
		"include": {fieldIncludeTables, weird + "\n" + other, []string{other, weird}},
		"exclude": {fieldExcludeTables, weird + "\n" + other, []string{"plain"}},
	} {
		t.Run(name, func(t *testing.T) {
			target := uniqueName("dbk_meta_copy")
			dropLater(t, cfg, target)
			dumpAndRestore(t, c, withField(cfg, tc.field, tc.value), source, target)
			counts, err := c.CountRows(testCtx(t), cfg, database.CountRowsRequest{Database: target})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range counts {
				got = append(got, r.Table)
				if r.Rows != 2 {
					t.Errorf("table %q restored with %d rows, want 2", r.Table, r.Rows)
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tables restored with %s=%q (-want +got):\n%s", tc.field, tc.value, diff)
			}
		})
	}
	if _, err := os.Stat(m); err == nil {
		t.Fatalf("a table name ran a shell command: %s exists", m)
	}
	for _, field := range []string{fieldIncludeTables, fieldExcludeTables} {
		err := c.Dump(testCtx(t), withField(cfg, field, "a\rb"), database.DumpRequest{Database: source}, newFileWriter(t))
		named := false
		for _, f := range spec.FieldErrors(err) {
			named = named || f.Field == field
		}
		if !named {
			t.Errorf("%s with a carriage return: %v, want a validation error naming %s", field, err, field)
		}
	}
	// A database name with a line break is refused before any tool runs.
	err = c.Dump(testCtx(t), cfg, database.DumpRequest{Database: "x\n--help"}, newFileWriter(t))
	if !errors.Is(err, spec.ErrInvalidArgument) || !strings.Contains(err.Error(), "database name") {
		t.Errorf("Dump of a name with a line break = %v, want spec.ErrInvalidArgument naming the database name", err)
	}
}

// TestStderrRedacted makes the client print the password on its stderr (in
// the name of a table the restored SQL reads) and checks that neither the
// execution log nor the error holds it.
func TestStderrRedacted(t *testing.T) {
	cfg := testServer(t)
	source, target := uniqueName("dbk_redact"), uniqueName("dbk_redact_copy")
	createDB(t, cfg, source)
	dropLater(t, cfg, target)
	user, password := uniqueName("dbk_redact"), "Pw-"+uniqueName("secret")
	root := admin(t, cfg, "")
	mustExec(t, root,
		"CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+password+"'",
		"GRANT ALL ON "+quoteIdent(source)+".* TO '"+user+"'@'%'",
		"GRANT ALL ON "+quoteIdent(target)+".* TO '"+user+"'@'%'",
		"GRANT SELECT ON mysql.proc TO '"+user+"'@'%'",
	)
	t.Cleanup(func() { root.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	ucfg := withField(cfg, fieldUser, user, fieldPassword, password)
	c := client(t)
	w := newFileWriter(t) // a real header for the restore
	if err := c.Dump(testCtx(t), cfg, database.DumpRequest{Database: source}, w); err != nil {
		t.Fatal(err)
	}
	body := "SELECT * FROM `nosuch_" + password + "`;\n-- Dump completed on 2026-01-01  0:00:00\n"
	rep := &logLines{}
	_, err := c.Restore(testCtx(t), ucfg, database.RestoreRequest{Source: w.header, TargetDatabase: target}, strings.NewReader(body), rep)
	if err == nil {
		t.Fatal("a restore whose SQL fails succeeded")
	}
	logs := strings.Join(rep.lines, "\n")
	if strings.Contains(logs, password) || strings.Contains(err.Error(), password) {
		t.Errorf("the password leaked:\nerror: %v\nlog: %s", err, logs)
	}
	if want := "nosuch_" + spec.Mask; !strings.Contains(logs, want) || !strings.Contains(err.Error(), want) {
		t.Errorf("the client's complaint is not in the log and the error with the password masked (%q):\nerror: %v\nlog: %s", want, err, logs)
	}
}

// logLines is a Reporter keeping the log.
type logLines struct{ lines []string }

func (l *logLines) Log(_ spec.Level, msg string) { l.lines = append(l.lines, msg) }
func (l *logLines) Progress(spec.Progress)       {}
