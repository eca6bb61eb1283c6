package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// pgServer is the PostgreSQL the tests dump: its DSN, and the fields of a
// database-postgres source reaching it.
type pgServer struct {
	dsn    string
	config map[string]any
}

func postgres(t testing.TB) pgServer {
	t.Helper()
	dsn := testserver.Resolve(t, testserver.Server{Name: "PostgreSQL", Env: "DBKEEP_TEST_POSTGRES_DSN"})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DBKEEP_TEST_POSTGRES_DSN: %v", err)
	}
	cfg := map[string]any{"host": u.Hostname(), "user": u.User.Username(), "sslmode": "disable"}
	if p := u.Port(); p != "" {
		cfg["port"] = p
	}
	if pw, ok := u.User.Password(); ok {
		cfg["password"] = pw
	}
	return pgServer{dsn: dsn, config: cfg}
}

// connect opens a connection to database name (the DSN's own when empty).
func (s pgServer) connect(t testing.TB, name string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	if name != "" {
		cfg.Database = name
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect to PostgreSQL database %q: %v", name, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// createDatabase makes a fresh database with one table of rows, dropped at
// the end of the test.
func (s pgServer) createDatabase(t *testing.T, name string, rows int) {
	t.Helper()
	admin := s.connect(t, "")
	ctx := context.Background()
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	db := s.connect(t, name)
	if _, err := db.Exec(ctx, "CREATE TABLE items (id bigint PRIMARY KEY, payload text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, $1) g", rows); err != nil {
		t.Fatal(err)
	}
}

// lockTable holds an ACCESS EXCLUSIVE lock on database name's items table
// until the returned release is called (or the test ends): a pg_dump of
// that database starts, then waits for the lock, without end — the dump is
// running, and stays so as long as the test needs.
func (s pgServer) lockTable(t *testing.T, name string) (release func()) {
	t.Helper()
	conn := s.connect(t, name)
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE items IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			tx.Rollback(context.Background())
		}
	}
	t.Cleanup(release)
	return release
}

// pgDumps returns the pids of pg_dump processes dumping database name
// (the plugin passes a quoted conninfo: --dbname=... dbname='name' ...).
func pgDumps(t *testing.T, name string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(raw), "\x00")
		if filepath.Base(args[0]) != "pg_dump" {
			continue
		}
		for _, a := range args {
			if strings.HasPrefix(a, "--dbname=") && strings.Contains(a, "dbname='"+name+"'") {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// waitFor polls cond until it holds or limit passes.
func waitFor(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// files lists the regular files under dir, relative to it.
func files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}
