package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// fileWriter is a DumpWriter keeping the dump in a file, with a hook on each
// write for tests that look at the world while the dump tool runs.
type fileWriter struct {
	mu      sync.Mutex
	f       *os.File
	header  database.DumpHeader
	size    int64
	writes  int
	logs    []string
	onWrite func(n int)
}

func newFileWriter(t testing.TB) *fileWriter {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "dump.sql"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &fileWriter{f: f}
}

func (w *fileWriter) Begin(h database.DumpHeader) error { w.header = h; return nil }
func (w *fileWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	n := w.writes
	w.mu.Unlock()
	if w.onWrite != nil {
		w.onWrite(n)
	}
	k, err := w.f.Write(p)
	w.size += int64(k)
	return k, err
}
func (w *fileWriter) Log(l spec.Level, m string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.logs = append(w.logs, string(l)+": "+m)
}
func (w *fileWriter) Progress(spec.Progress) {}

func (w *fileWriter) open(t testing.TB) io.Reader {
	t.Helper()
	f, err := os.Open(w.f.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// client serves the plugin in-process through the real gRPC boundary.
func client(t testing.TB) host.DatabaseClient {
	return sdktest.Start(t, plugin()).Database()
}

// dumpAndRestore dumps source and restores it into target through c.
func dumpAndRestore(t testing.TB, c host.DatabaseClient, cfg spec.Config, source, target string) *fileWriter {
	t.Helper()
	ctx := testCtx(t)
	w := newFileWriter(t)
	start := time.Now()
	if err := c.Dump(ctx, cfg, database.DumpRequest{Database: source}, w); err != nil {
		t.Fatalf("Dump(%q): %v (log %q)", source, err, w.logs)
	}
	t.Logf("dump of %q: %d bytes in %v", source, w.size, time.Since(start).Round(time.Millisecond))
	req := database.RestoreRequest{Source: w.header, TargetDatabase: target}
	plan, err := c.PrepareRestore(ctx, cfg, req)
	if err != nil || len(plan.Problems) > 0 {
		t.Fatalf("PrepareRestore into %q: %+v, %v", target, plan, err)
	}
	start = time.Now()
	res, err := c.Restore(ctx, cfg, req, w.open(t), spec.Discard)
	if err != nil {
		t.Fatalf("Restore into %q: %v", target, err)
	}
	if res.BytesRead != w.size {
		t.Errorf("Restore read %d of %d bytes", res.BytesRead, w.size)
	}
	t.Logf("restore into %q: %v", target, time.Since(start).Round(time.Millisecond))
	return w
}

// TestAwkwardRoundTrip restores awkward data and a million-row table under
// another name and compares everything.
func TestAwkwardRoundTrip(t *testing.T) {
	cfg := testServer(t)
	source, target := uniqueName("dbk_awkward"), uniqueName("dbk_awkward_copy")
	createDB(t, cfg, source)
	seedAwkward(t, cfg, source)
	seedMillion(t, cfg, source)
	dropLater(t, cfg, target)
	w := dumpAndRestore(t, client(t), cfg, source, target)
	compare(t, cfg, source, target)

	// The mapping went through the client's connection, not through the
	// bytes: the row naming the source database kept its text.
	db := admin(t, cfg, target)
	var text string
	err := db.QueryRow("SELECT note FROM `people ☕ ß` WHERE `naïve name` = ?", source).Scan(&text)
	if want := fmt.Sprintf("USE `%s`; CREATE DATABASE `%s`; -- %s", source, source, source); err != nil || text != want {
		t.Errorf("row naming the source after restore: %q, %v; want %q", text, err, want)
	}
	// The dump names no database to use or create.
	b, err := os.ReadFile(w.f.Name())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if u := strings.ToUpper(line); strings.HasPrefix(u, "USE ") || strings.HasPrefix(u, "CREATE DATABASE") {
			t.Errorf("the dump has a line %q", short(line))
		}
	}
	h := w.header
	if h.Server.Engine != engineMariaDB || h.Metadata[metaTool] == "" || h.Metadata[metaCharset] != "utf8mb4" || h.Format != formatSQL {
		t.Errorf("header %+v", h)
	}
}

// TestCompareSeesDifferences keeps the comparison honest: a copy that
// differs in one value, in an AUTO_INCREMENT counter or in a routine fails.
func TestCompareSeesDifferences(t *testing.T) {
	cfg := testServer(t)
	source := uniqueName("dbk_cmp")
	createDB(t, cfg, source)
	seedAwkward(t, cfg, source)
	for name, change := range map[string]string{
		"value":          "UPDATE `people ☕ ß` SET avatar = X'000102FE' WHERE avatar = X'000102FF'",
		"auto_increment": "ALTER TABLE `people ☕ ß` AUTO_INCREMENT = 2000",
		"routine":        "DROP PROCEDURE count_people",
		"event":          "ALTER EVENT `nightly ✓` ENABLE",
		"null":           "UPDATE latin SET v = X'' WHERE k = 'null'",
	} {
		t.Run(name, func(t *testing.T) {
			target := uniqueName("dbk_cmp_copy")
			dropLater(t, cfg, target)
			dumpAndRestore(t, client(t), cfg, source, target)
			mustExec(t, admin(t, cfg, target), change)
			rec := &failRecorder{TB: t}
			compare(rec, cfg, source, target)
			if !rec.failed {
				t.Errorf("compare did not notice %q", change)
			}
		})
	}
}

// failRecorder notes Errorf instead of failing, to test a comparison.
type failRecorder struct {
	testing.TB
	failed bool
}

func (r *failRecorder) Errorf(string, ...any) { r.failed = true }

// TestRestorePlans restores into an existing empty database, and checks the
// flavour and version guards of PrepareRestore and Restore.
func TestRestorePlans(t *testing.T) {
	cfg := testServer(t)
	c := client(t)
	ctx := testCtx(t)
	source, target := uniqueName("dbk_plan"), uniqueName("dbk_plan_existing")
	createDB(t, cfg, source)
	seedAwkward(t, cfg, source)
	createDB(t, cfg, target)
	w := dumpAndRestore(t, c, cfg, source, target)
	compare(t, cfg, source, target)

	plan, err := c.PrepareRestore(ctx, cfg, database.RestoreRequest{Source: w.header, TargetDatabase: target})
	if err != nil || !plan.TargetExists || len(plan.Warnings) == 0 {
		t.Errorf("plan for an existing target: %+v, %v", plan, err)
	}
	mysqlDump := w.header
	mysqlDump.Server = database.ServerInfo{Engine: engineMySQL, Version: "8.0.36"}
	plan, err = c.PrepareRestore(ctx, cfg, database.RestoreRequest{Source: mysqlDump, TargetDatabase: target})
	if err != nil || len(plan.Problems) != 1 || !strings.Contains(plan.Problems[0], optAllowCrossFlavour) {
		t.Errorf("plan for a MySQL dump into MariaDB: %+v, %v", plan, err)
	}
	// Called directly: the wire's PrepareRestoreRequest has no options field
	// yet (SDK 0.1.0), so through gRPC the option reaches Restore only.
	plan, err = (&engine{}).PrepareRestore(ctx, cfg, database.RestoreRequest{Source: mysqlDump, TargetDatabase: target,
		Options: map[string]string{optAllowCrossFlavour: "true"}})
	if err != nil || len(plan.Problems) != 0 {
		t.Errorf("plan for a MySQL dump into MariaDB, allowed: %+v, %v", plan, err)
	}
	newer := w.header
	newer.Server.Version = "99.1.0"
	plan, err = c.PrepareRestore(ctx, cfg, database.RestoreRequest{Source: newer, TargetDatabase: target})
	if err != nil || len(plan.Problems) != 1 || !strings.Contains(plan.Problems[0], "newer") {
		t.Errorf("plan for a newer dump: %+v, %v", plan, err)
	}
	_, err = c.Restore(ctx, cfg, database.RestoreRequest{Source: newer, TargetDatabase: target}, w.open(t), spec.Discard)
	if !errors.Is(err, spec.ErrInvalidArgument) {
		t.Errorf("Restore of a newer dump = %v, want spec.ErrInvalidArgument", err)
	}
}
