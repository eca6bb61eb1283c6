package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestConnectionErrors checks that each way of not reaching a database is the
// error a person (and the core) can act on, and comes quickly.
func TestConnectionErrors(t *testing.T) {
	dsn := resolveServer(t)
	cfg := configFrom(t, dsn)
	db := client(t)
	role := uniqueName("nologin")
	conn := admin(t, dsn, "")
	mustExec(t, conn, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" NOLOGIN")
	t.Cleanup(func() { mustExec(t, admin(t, dsn, ""), "DROP ROLE "+pgx.Identifier{role}.Sanitize()) })

	for _, c := range []struct {
		name string
		cfg  spec.Config
		want error
	}{
		{"unknown role", with(cfg, fieldUser, uniqueName("nobody")), spec.ErrUnauthenticated},
		{"role may not log in", with(cfg, fieldUser, role), spec.ErrUnauthenticated},
		{"missing maintenance database", with(cfg, fieldDatabase, uniqueName("missing")), spec.ErrNotFound},
		{"closed port", with(with(cfg, fieldHost, "127.0.0.1"), fieldPort, closedPort(t)), spec.ErrUnavailable},
		{"missing Unix socket", with(cfg, fieldHost, t.TempDir()), spec.ErrUnavailable},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := db.Test(callCtx(t), c.cfg)
			if !errors.Is(err, c.want) {
				t.Fatalf("Test = %v, want an error matching %v", err, c.want)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Test took %v to fail", took)
			}
			t.Logf("message: %v", err)
			_, err = db.ListDatabases(callCtx(t), c.cfg)
			if !errors.Is(err, c.want) {
				t.Errorf("ListDatabases = %v, want an error matching %v", err, c.want)
			}
		})
	}
}

// TestPermissionDenied dumps a database the role may not connect to.
func TestPermissionDenied(t *testing.T) {
	dsn := resolveServer(t)
	cfg := configFrom(t, dsn)
	name, role := uniqueName("closed"), uniqueName("reader")
	createDB(t, dsn, name)
	conn := admin(t, dsn, "")
	mustExec(t, conn, "REVOKE CONNECT ON DATABASE "+pgx.Identifier{name}.Sanitize()+" FROM PUBLIC")
	mustExec(t, conn, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN")
	t.Cleanup(func() { mustExec(t, admin(t, dsn, ""), "DROP ROLE "+pgx.Identifier{role}.Sanitize()) })

	db := client(t)
	restricted := with(cfg, fieldUser, role)
	dbs, err := db.ListDatabases(callCtx(t), restricted)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range dbs {
		if d.Name == name {
			found = true
			if d.SizeBytes != -1 {
				t.Errorf("ListDatabases: %q has size %d for a role that may not connect, want -1 (unknown)", name, d.SizeBytes)
			}
		}
	}
	if !found {
		t.Errorf("ListDatabases does not list %q", name)
	}
	d := &memDump{}
	err = db.Dump(callCtx(t), restricted, database.DumpRequest{Database: name}, d)
	if !errors.Is(err, spec.ErrPermission) {
		t.Errorf("Dump as a role without CONNECT = %v, want spec.ErrPermission", err)
	}
}

// TestWeirdDatabaseName dumps and restores databases whose names a shell, an
// option parser or a connection-string parser would misread.
func TestWeirdDatabaseName(t *testing.T) {
	dsn := resolveServer(t)
	cfg := configFrom(t, dsn)
	// A short directory: names have at most 63 bytes.
	dir, err := os.MkdirTemp("/tmp", "pw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	marker := filepath.Join(dir, "p")
	source := fmt.Sprintf(`-weird; $(touch %s) "db"`, marker)
	target := fmt.Sprintf(`-x' dbname=postgres a=b \ $(touch %s)`, marker)
	for _, n := range []string{source, target} {
		if len(n) > 63 {
			t.Fatalf("test name %q is longer than PostgreSQL's 63 bytes: use a shorter temp dir", n)
		}
	}
	createDB(t, dsn, source)
	dropLater(t, dsn, target)
	mustExec(t, admin(t, dsn, source), `CREATE TABLE t (v text); INSERT INTO t VALUES ('in a weird place ✓')`)

	db := client(t)
	dbs, err := db.ListDatabases(callCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !listed(dbs, source) {
		t.Errorf("ListDatabases does not list %q", source)
	}
	dumpAndRestore(t, db, cfg, source, target)
	compareDatabases(t, dsn, cfg, source, target)
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a database name ran a shell command: %s exists", marker)
	}
}

func listed(dbs []database.DatabaseInfo, name string) bool {
	for _, d := range dbs {
		if d.Name == name {
			return true
		}
	}
	return false
}

// TestPasswordNeverInArgv watches pg_dump while it runs: the password is in
// neither its command line nor its environment, only in a 0600 file of a
// 0700 directory that is gone once the dump ends.
//
// The test server trusts every loopback connection, so it cannot tell
// whether the tools would present the right password (see
// TestPasswordFileFormat for what reaches the file).
func TestPasswordNeverInArgv(t *testing.T) {
	dsn := resolveServer(t)
	name := uniqueName("argv")
	createDB(t, dsn, name)
	// Big enough that pg_dump is still running (blocked on a full pipe)
	// when the first chunk arrives and the test looks at it.
	mustExec(t, admin(t, dsn, name), `CREATE TABLE filler AS SELECT i, md5(i::text) AS v FROM generate_series(1, 300000) i`)
	password := "Sêcret:pw\\" + uniqueName("x")
	cfg := with(configFrom(t, dsn), fieldPassword, password)

	var seen []string
	var passfile string
	d := &memDump{}
	d.onWrite = func() error {
		if seen != nil {
			return nil
		}
		seen = []string{}
		for _, p := range toolProcesses(t, "pg_dump") {
			seen = append(seen, p.cmdline)
			if strings.Contains(p.cmdline, password) {
				t.Errorf("pg_dump's command line holds the password: %q", p.cmdline)
			}
			if strings.Contains(p.environ, password) {
				t.Errorf("pg_dump's environment holds the password")
			}
			for _, kv := range strings.Split(p.environ, "\x00") {
				if v, ok := strings.CutPrefix(kv, "PGPASSFILE="); ok {
					passfile = v
				}
			}
		}
		if passfile == "" {
			t.Errorf("no running pg_dump with PGPASSFILE found among %q", seen)
			return nil
		}
		for path, want := range map[string]os.FileMode{passfile: 0o600, filepath.Dir(passfile): 0o700} {
			st, err := os.Stat(path)
			if err != nil {
				t.Errorf("stat %s: %v", path, err)
			} else if st.Mode().Perm() != want {
				t.Errorf("%s has mode %v, want %v", path, st.Mode().Perm(), want)
			}
		}
		return nil
	}
	if err := client(t).Dump(callCtx(t), cfg, database.DumpRequest{Database: name}, d); err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 {
		t.Fatal("no pg_dump process seen during the dump")
	}
	if _, err := os.Stat(filepath.Dir(passfile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the private directory %s outlived the dump (%v)", filepath.Dir(passfile), err)
	}
}

type proc struct{ cmdline, environ string }

// toolProcesses lists the running processes whose executable is named tool.
func toolProcesses(t testing.TB, tool string) []proc {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []proc
	for _, dir := range dirs {
		comm, err := os.ReadFile(filepath.Join(dir, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != tool {
			continue
		}
		cmdline, err1 := os.ReadFile(filepath.Join(dir, "cmdline"))
		environ, err2 := os.ReadFile(filepath.Join(dir, "environ"))
		if err1 != nil || err2 != nil {
			continue // it ended meanwhile
		}
		out = append(out, proc{cmdline: strings.ReplaceAll(string(cmdline), "\x00", " "), environ: string(environ)})
	}
	return out
}

// TestPasswordFileFormat checks the escaping of libpq's password file.
func TestPasswordFileFormat(t *testing.T) {
	for pw, want := range map[string]string{
		"":         "",
		"plain":    "*:*:*:*:plain\n",
		`a:b\c`:    `*:*:*:*:a\:b\\c` + "\n",
		"sp ace ✓": "*:*:*:*:sp ace ✓\n",
	} {
		if got := passfileLine(pw); got != want {
			t.Errorf("passfileLine(%q) = %q, want %q", pw, got, want)
		}
	}
}

// TestOldPgDumpRefused puts a pg_dump that says it is version 14 first on
// PATH: the dump must stop before it starts, naming both versions.
func TestOldPgDumpRefused(t *testing.T) {
	dsn := resolveServer(t)
	cfg := configFrom(t, dsn)
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.1'\n"
	if err := os.WriteFile(filepath.Join(dir, "pg_dump"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	db := client(t)
	info, err := db.Test(callCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := &memDump{}
	err = db.Dump(callCtx(t), cfg, database.DumpRequest{Database: "postgres"}, d)
	if err == nil || !strings.Contains(err.Error(), "14.1") || !strings.Contains(err.Error(), info.Version) {
		t.Errorf("Dump with an older pg_dump = %v, want an error naming 14.1 and %s", err, info.Version)
	}
	if d.header != nil {
		t.Errorf("Dump began (%+v) before refusing the old pg_dump", d.header)
	}
}

// TestPrepareRestoreProblems checks the pre-flight's refusals.
func TestPrepareRestoreProblems(t *testing.T) {
	dsn := resolveServer(t)
	cfg := configFrom(t, dsn)
	db := client(t)
	info, err := db.Test(callCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	existing, role := uniqueName("owned"), uniqueName("plain")
	createDB(t, dsn, existing)
	conn := admin(t, dsn, "")
	mustExec(t, conn, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN")
	t.Cleanup(func() { mustExec(t, admin(t, dsn, ""), "DROP ROLE "+pgx.Identifier{role}.Sanitize()) })
	ours := database.DumpHeader{Database: "src", Format: formatCustom, Server: info, Metadata: map[string]string{metaPgDumpVersion: "15.0"}}
	newer := ours
	newer.Server.Version = "99.1"
	mysql := ours
	mysql.Server = database.ServerInfo{Engine: "mariadb", Version: "10.11.6"}
	future := ours
	future.Metadata = map[string]string{metaPgDumpVersion: "99.0"}

	for _, c := range []struct {
		name   string
		cfg    spec.Config
		source database.DumpHeader
		target string
		want   []string // substrings of the problems, in order; nil: none
		exists bool
	}{
		{"fresh target", cfg, ours, uniqueName("fresh"), nil, false},
		{"existing target", cfg, ours, existing, nil, true},
		{"newer server", cfg, newer, uniqueName("fresh"), []string{"PostgreSQL 99.1, newer than the target server"}, false},
		{"newer pg_dump", cfg, future, uniqueName("fresh"), []string{"pg_dump 99.0"}, false},
		{"other engine", cfg, mysql, uniqueName("fresh"), []string{`engine "mariadb"`}, false},
		{"may not create", with(cfg, fieldUser, role), ours, uniqueName("fresh"), []string{"may not create databases"}, false},
		{"may not overwrite", with(cfg, fieldUser, role), ours, existing, []string{"neither owns it nor is a superuser"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan, err := db.PrepareRestore(callCtx(t), c.cfg, database.RestoreRequest{Source: c.source, TargetDatabase: c.target})
			if err != nil {
				t.Fatal(err)
			}
			if plan.TargetExists != c.exists {
				t.Errorf("TargetExists = %v, want %v", plan.TargetExists, c.exists)
			}
			if plan.TargetServer.Engine != engineName || plan.TargetServer.Version != info.Version {
				t.Errorf("TargetServer = %+v", plan.TargetServer)
			}
			if len(plan.Problems) != len(c.want) {
				t.Fatalf("problems %q, want %d matching %q", plan.Problems, len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.Contains(plan.Problems[i], w) {
					t.Errorf("problem %q does not say %q", plan.Problems[i], w)
				}
			}
		})
	}
	// Restore itself refuses what the pre-flight reports.
	_, err = db.Restore(callCtx(t), cfg, database.RestoreRequest{Source: newer, TargetDatabase: uniqueName("never")}, bytes.NewReader(nil), &memDump{})
	if !errors.Is(err, spec.ErrInvalidArgument) {
		t.Errorf("Restore of a dump from a newer server = %v, want spec.ErrInvalidArgument", err)
	}
}

// TestRestoreIntoExistingDatabase restores over a database that holds an
// older copy of the dump's objects plus one of its own: the dump's objects
// are replaced, the other kept. A failed restore into it changes nothing.
func TestRestoreIntoExistingDatabase(t *testing.T) {
	dsn := resolveServer(t)
	cfg := configFrom(t, dsn)
	source, target := uniqueName("src"), uniqueName("existing")
	createDB(t, dsn, source)
	mustExec(t, admin(t, dsn, source), `CREATE TABLE items (id int PRIMARY KEY, v text); INSERT INTO items VALUES (1, 'new ✓'), (2, NULL)`)
	createDB(t, dsn, target)
	tc := admin(t, dsn, target)
	mustExec(t, tc, `CREATE TABLE items (id int PRIMARY KEY, v text, stale bool); INSERT INTO items VALUES (9, 'old', true)`)
	mustExec(t, tc, `CREATE TABLE keep_me (v text); INSERT INTO keep_me VALUES ('mine')`)

	db := client(t)
	d := dumpAndRestore(t, db, cfg, source, target)
	got := rows(t, tc, `SELECT id || ':' || coalesce(v, 'NULL') FROM items ORDER BY id`)
	if diff := cmp.Diff([]string{"1:new ✓", "2:NULL"}, got); diff != "" {
		t.Errorf("items after restore (-want +got):\n%s", diff)
	}
	if got := rows(t, tc, `SELECT v FROM keep_me`); !cmp.Equal(got, []string{"mine"}) {
		t.Errorf("keep_me after restore: %q", got)
	}

	// A dump cut short fails and, in one transaction, leaves the target as it was.
	mustExec(t, tc, `UPDATE items SET v = 'changed since'`)
	before := rows(t, tc, `SELECT id || ':' || v FROM items ORDER BY id`)
	cut := d.buf.Bytes()[:d.buf.Len()-1]
	_, err := db.Restore(callCtx(t), cfg, database.RestoreRequest{Source: *d.header, TargetDatabase: target}, bytes.NewReader(cut), &memDump{})
	if err == nil {
		t.Fatal("restore of a truncated dump succeeded")
	}
	t.Logf("truncated restore: %v", err)
	if diff := cmp.Diff(before, rows(t, tc, `SELECT id || ':' || v FROM items ORDER BY id`)); diff != "" {
		t.Errorf("a failed restore changed the existing target (-before +after):\n%s", diff)
	}
}

// TestFailedRestoreDropsCreatedDatabase: a database the restore created does
// not survive the restore's failure.
func TestFailedRestoreDropsCreatedDatabase(t *testing.T) {
	dsn := resolveServer(t)
	cfg := configFrom(t, dsn)
	source, target := uniqueName("src"), uniqueName("dropped")
	createDB(t, dsn, source)
	mustExec(t, admin(t, dsn, source), `CREATE TABLE t AS SELECT i FROM generate_series(1, 1000) i`)
	dropLater(t, dsn, target)
	db := client(t)
	d := &memDump{}
	if err := db.Dump(callCtx(t), cfg, database.DumpRequest{Database: source}, d); err != nil {
		t.Fatal(err)
	}
	garbage := append(bytes.Clone(d.buf.Bytes()[:d.buf.Len()/2]), bytes.Repeat([]byte{0xff}, 4096)...)
	rep := &memDump{}
	_, err := db.Restore(callCtx(t), cfg, database.RestoreRequest{Source: *d.header, TargetDatabase: target}, bytes.NewReader(garbage), rep)
	if err == nil {
		t.Fatal("restore of a damaged dump succeeded")
	}
	t.Logf("damaged restore: %v; log %q", err, rep.lines())
	dbs, err := db.ListDatabases(callCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if listed(dbs, target) {
		t.Errorf("database %q, created by the failed restore, still exists", target)
	}
}

// TestTablePatterns dumps with include and exclude patterns and checks what
// the restored database holds.
func TestTablePatterns(t *testing.T) {
	dsn := resolveServer(t)
	source := uniqueName("patterns")
	createDB(t, dsn, source)
	seedAwkward(t, admin(t, dsn, source), false)
	db := client(t)
	tables := `SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`
	for _, c := range []struct {
		name     string
		field    string
		patterns string
		want     []string
	}{
		{"include", fieldIncludeTables, "sales.audit\n\n  public.no_key  \n", []string{"public.no_key", "sales.audit"}},
		{"exclude", fieldExcludeTables, "sales.*\npublic.files\n\"Ünïcødé 🐘\".*", []string{"public.no_key", "public.people"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := with(configFrom(t, dsn), c.field, c.patterns)
			target := uniqueName(c.name)
			if c.field == fieldIncludeTables {
				// pg_dump --table dumps the tables and nothing they depend
				// on, not even their schema: the target must provide it.
				createDB(t, dsn, target)
				mustExec(t, admin(t, dsn, target), "CREATE SCHEMA sales")
			} else {
				dropLater(t, dsn, target)
			}
			dumpAndRestore(t, db, cfg, source, target)
			if diff := cmp.Diff(c.want, rows(t, admin(t, dsn, target), tables)); diff != "" {
				t.Errorf("tables restored (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDumpOptions checks the allow-list of extra pg_dump options.
func TestDumpOptions(t *testing.T) {
	for in, want := range map[string][]string{
		"":                                      nil,
		"--no-comments   --compress=6":          {"--no-comments", "--compress=6"},
		"--exclude-table-data=big.*":            {"--exclude-table-data=big.*"},
		"--schema=-dash --lock-wait-timeout=5s": {"--schema=-dash", "--lock-wait-timeout=5s"},
	} {
		got, err := parseDumpOptions(in)
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("parseDumpOptions(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"--file=/tmp/x", "-f", "--format=p", "--jobs=4", "--dbname=x", "--compress", "--compress=10",
		"--no-comments=yes", "--lock-wait-timeout=5;rm", "--section=data", "--data-only", "--host=evil", "x"} {
		if got, err := parseDumpOptions(bad); err == nil {
			t.Errorf("parseDumpOptions(%q) = %q, want a refusal", bad, got)
		}
	}
}

// TestVersions checks the readers of tool and server versions.
func TestVersions(t *testing.T) {
	for in, want := range map[string]string{
		"pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n": "15.20 15",
		"pg_restore (PostgreSQL) 17.0\n":                        "17.0 17",
		"pg_dump (PostgreSQL) 18devel\n":                        "18 18",
	} {
		v, m, err := parseToolVersion(in)
		if got := fmt.Sprint(v, " ", m); err != nil || got != want {
			t.Errorf("parseToolVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, _, err := parseToolVersion("pg_dump 15"); err == nil {
		t.Error("parseToolVersion accepted output without (PostgreSQL)")
	}
	for in, want := range map[string]int{"15.20": 15, "17beta1": 17, "9.6.24": 9, "": 0, "x": 0} {
		if got, ok := versionMajor(in); got != want || ok != (want > 0) {
			t.Errorf("versionMajor(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}
