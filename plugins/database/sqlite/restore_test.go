package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// fixture is a seeded source database served by the plugin, and a dump of it.
type fixture struct {
	dir  string
	path string
	cfg  spec.Config
	db   host.DatabaseClient
	dump *fileDump
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.path = filepath.Join(f.dir, "shop.db")
	seed(t, f.path)
	f.cfg = spec.Config{fieldPath: f.path}
	f.db = sdktest.Start(t, plugin()).Database()
	f.dump = &fileDump{}
	if err := f.db.Dump(context.Background(), f.cfg, database.DumpRequest{Database: "shop"}, f.dump); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) restore(ctx context.Context, target string, body io.Reader) (database.RestoreResult, error) {
	return f.db.Restore(ctx, f.cfg, database.RestoreRequest{Source: f.dump.header, TargetDatabase: target}, body, spec.Discard)
}

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// oldTargetWithWAL makes path a WAL database whose last committed rows live
// only in its -wal file, as an application that crashed would leave it.
func oldTargetWithWAL(t *testing.T, path string) {
	t.Helper()
	live := filepath.Join(t.TempDir(), "live.db")
	db, err := open(live, "rwc", false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0",
		"CREATE TABLE old(x TEXT)", "INSERT INTO old VALUES ('checkpointed')", "PRAGMA wal_checkpoint(TRUNCATE)",
		"INSERT INTO old VALUES ('only in the WAL')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Copy the file and its WAL while the connection still holds them open.
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(live + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+suffix, b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRestoreKeepsPreviousFileAndFoldsItsWAL(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "app.db")
	oldTargetWithWAL(t, target)

	res, err := f.restore(context.Background(), target, strings.NewReader(f.dump.data.String()))
	if err != nil {
		t.Fatal(err)
	}
	if res.TargetDatabase != target {
		t.Errorf("result names %q, want %q", res.TargetDatabase, target)
	}
	// Before anything opens the new file (a WAL reader leaves -wal and -shm).
	names := listDir(t, dir)
	if len(names) != 2 || names[0] != "app.db" || !strings.HasPrefix(names[1], "app.db.bak-") {
		t.Fatalf("directory after restore: %v, want app.db and app.db.bak-<timestamp>", names)
	}
	stamp := strings.TrimPrefix(names[1], "app.db.bak-")
	if _, err := time.Parse("20060102T150405Z", stamp); err != nil {
		t.Errorf("backup suffix %q is not a UTC timestamp: %v", stamp, err)
	}
	bak, err := open(filepath.Join(dir, names[1]), "ro", false)
	if err != nil {
		t.Fatal(err)
	}
	defer bak.Close()
	got := query(t, bak, "SELECT x FROM old ORDER BY rowid")
	if diff := cmp.Diff([][]any{{"checkpointed"}, {"only in the WAL"}}, got); diff != "" {
		t.Errorf("kept file lost rows of its WAL (-want +got):\n%s", diff)
	}
	compareFiles(t, f.path, target)
	if st, err := os.Stat(target); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("restored file mode %v (%v), want the previous file's 0640", st.Mode(), err)
	}
}

func TestRestoreIntoBareNameAndInPlace(t *testing.T) {
	f := newFixture(t)
	res, err := f.restore(context.Background(), "shop-copy", strings.NewReader(f.dump.data.String()))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(f.dir, "shop-copy.db"); res.TargetDatabase != want {
		t.Fatalf("bare name restored into %q, want %q", res.TargetDatabase, want)
	}
	compareFiles(t, f.path, res.TargetDatabase)
	res, err = f.restore(context.Background(), "", strings.NewReader(f.dump.data.String()))
	if err != nil || res.TargetDatabase != f.path {
		t.Fatalf("restore in place: %+v %v", res, err)
	}
	compareFiles(t, res.TargetDatabase, filepath.Join(f.dir, "shop-copy.db"))
}

// blockingReader yields part of a dump, then blocks until its context ends.
type blockingReader struct {
	ctx context.Context
	r   io.Reader
}

func (b *blockingReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		<-b.ctx.Done()
		return 0, b.ctx.Err()
	}
	return n, err
}

func TestFailedRestoreLeavesTargetUntouched(t *testing.T) {
	f := newFixture(t)
	dump := []byte(f.dump.data.String())
	corruptHeader := bytes.Clone(dump)
	copy(corruptHeader[16:18], []byte{0, 3}) // page size 3
	for name, body := range map[string]func(context.Context) io.Reader{
		"garbage":         func(context.Context) io.Reader { return strings.NewReader("this is not a database\n") },
		"empty":           func(context.Context) io.Reader { return strings.NewReader("") },
		"truncated":       func(context.Context) io.Reader { return bytes.NewReader(dump[:len(dump)/2]) },
		"last page short": func(context.Context) io.Reader { return bytes.NewReader(dump[:len(dump)-100]) },
		"corrupt header":  func(context.Context) io.Reader { return bytes.NewReader(corruptHeader) },
		"cancelled": func(ctx context.Context) io.Reader {
			return &blockingReader{ctx: ctx, r: bytes.NewReader(dump[:len(dump)/2])}
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "app.db")
			oldTargetWithWAL(t, target)
			before, _ := os.ReadFile(target)
			beforeWAL, _ := os.ReadFile(target + "-wal")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if name == "cancelled" {
				time.AfterFunc(300*time.Millisecond, cancel)
			}
			res, err := f.restore(ctx, target, body(ctx))
			if err == nil {
				t.Fatalf("restore of a %s dump succeeded: %+v", name, res)
			}
			t.Logf("restore failed as it must: %v", err)
			after, _ := os.ReadFile(target)
			afterWAL, _ := os.ReadFile(target + "-wal")
			if !bytes.Equal(before, after) || !bytes.Equal(beforeWAL, afterWAL) {
				t.Error("the target or its WAL changed")
			}
			// The server side may still be cleaning up after a cancel.
			deadline := time.Now().Add(5 * time.Second)
			for {
				names := listDir(t, dir)
				if cmp.Equal(names, []string{"app.db", "app.db-wal"}) {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("directory after a failed restore: %v, want only app.db and app.db-wal", names)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	// A flipped byte inside row data is not detectable here (SQLite pages
	// carry no checksums); the core's SHA-256 and AEAD catch it before a
	// restore, so it is not tested here.
}

func TestPrepareRestore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	prepare := func(src database.DumpHeader, target string) database.RestorePlan {
		t.Helper()
		plan, err := f.db.PrepareRestore(ctx, f.cfg, database.RestoreRequest{Source: src, TargetDatabase: target})
		if err != nil {
			t.Fatal(err)
		}
		return plan
	}
	plan := prepare(f.dump.header, "")
	if !plan.TargetExists || len(plan.Problems) > 0 || plan.TargetServer.Engine != "sqlite" || plan.TargetServer.Version == "" {
		t.Errorf("restore in place: %+v", plan)
	}
	if plan := prepare(f.dump.header, filepath.Join(f.dir, "new.db")); plan.TargetExists || len(plan.Problems) > 0 || len(plan.Warnings) > 0 {
		t.Errorf("restore into a new file: %+v", plan)
	}
	pg := database.DumpHeader{Format: "pg_dump-custom", Server: database.ServerInfo{Engine: "postgres", Version: "16.2"}}
	if plan := prepare(pg, ""); len(plan.Problems) != 2 {
		t.Errorf("a PostgreSQL dump: problems %q, want format and engine", plan.Problems)
	}
	for _, target := range []string{filepath.Join(f.dir, "absent", "x.db"), "sub/dir.db", f.dir} {
		if plan := prepare(f.dump.header, target); len(plan.Problems) == 0 {
			t.Errorf("target %q: no problem reported: %+v", target, plan)
		}
	}
	newer := f.dump.header
	newer.Server.Version = "9.0.0"
	if plan := prepare(newer, ""); len(plan.Problems) > 0 || !strings.Contains(strings.Join(plan.Warnings, " "), "newer") {
		t.Errorf("a dump from a newer SQLite: %+v, want a warning", plan)
	}
}

func TestResolveTarget(t *testing.T) {
	cfg := spec.Config{fieldPath: "/srv/app/shop.db"}
	for target, want := range map[string]string{
		"":                "/srv/app/shop.db",
		"shop":            "/srv/app/shop.db",
		"shop-restored":   "/srv/app/shop-restored.db",
		"/tmp/x/other.db": "/tmp/x/other.db",
		"/tmp/x/../y.db":  "/tmp/y.db",
	} {
		got, err := resolveTarget(cfg, target)
		if err != nil || got != want {
			t.Errorf("resolveTarget(%q) = %q, %v; want %q", target, got, err, want)
		}
	}
	for _, bad := range []string{"sub/x.db", "..", "."} {
		if _, err := resolveTarget(cfg, bad); !errors.Is(err, spec.ErrInvalidArgument) {
			t.Errorf("resolveTarget(%q) = %v, want spec.ErrInvalidArgument", bad, err)
		}
	}
}
