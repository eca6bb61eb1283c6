package e2e

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Destinations that cannot take a backup: a full disk, a read-only one, a
// directory that is not there, an S3 bucket refusing the credentials.

// shrinkSQLite keeps the first keep rows of the items table of a database
// made by makeSQLite and gives the space back, so its dump becomes small.
func shrinkSQLite(t *testing.T, path string, keep int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{"DELETE FROM items WHERE id > ?", "VACUUM"} {
		var args []any
		if strings.Contains(s, "?") {
			args = append(args, keep)
		}
		if _, err := db.Exec(s, args...); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// freeBytes is the free space of the filesystem holding path.
func freeBytes(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Bavail * uint64(st.Bsize)
}

// One of two local destinations is a 2 MiB disk and the dump is ~6 MiB:
// the run is partial, the error names the small destination and says the
// disk is full, the other destination holds the complete set, and the
// small disk is left empty (its space given back). Once the database fits,
// the next run succeeds on both.
func TestDiskFullOnOneDestination(t *testing.T) {
	srcPath := filepath.Join(t.TempDir(), "big.db")
	makeSQLite(t, srcPath, 25000)
	tiny := filepath.Join(t.TempDir(), "tiny")
	big := filepath.Join(t.TempDir(), "big")
	if err := os.Mkdir(tiny, 0o700); err != nil {
		t.Fatal(err)
	}

	c := newCore(t)
	c.startWithDisk(tiny, "size=2m")
	c.setup()
	free := freeBytes(t, c.inCore(tiny))
	job, _ := failJob(t, c, "diskfull", "database-sqlite", map[string]any{"path": srcPath}, nil,
		localDest("tiny", tiny), localDest("big", big))

	ex := c.runJob(job, time.Minute)
	log := c.logText(ex.ID)
	t.Logf("the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "partial" {
		t.Errorf("status %s, want partial; log:\n%s", ex.Status, log)
	}
	expect(t, "the execution's error", ex.Error, `"tiny"`, "disk is full")
	if strings.Contains(ex.Error, `"big"`) {
		t.Errorf("the error blames the destination that completed: %s", ex.Error)
	}
	expect(t, "the execution's log", log, "disk is full", `set `)
	if left := files(t, c.inCore(tiny)); len(left) > 0 {
		t.Errorf("files left on the full disk: %v", left)
	}
	if now := freeBytes(t, c.inCore(tiny)); now < free {
		t.Errorf("the small disk has %d bytes free after the run, %d before: something was left", now, free)
	}
	if got := files(t, big); len(got) != 2 {
		t.Errorf("the other destination holds %v, want the object and manifest.json", got)
	}

	shrinkSQLite(t, srcPath, 500)
	afterFailure(t, c, job, ex, 1)
	if got := files(t, c.inCore(tiny)); len(got) != 2 {
		t.Errorf("after the database shrank, the small disk holds %v, want a whole set", got)
	}
}

// The only destination is a read-only filesystem: the run fails with an
// error naming the destination and saying why; nothing is written.
func TestReadOnlyDestination(t *testing.T) {
	srcPath := filepath.Join(t.TempDir(), "shop.db")
	makeSQLite(t, srcPath, 200)
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o700); err != nil {
		t.Fatal(err)
	}

	c := newCore(t)
	c.startWithDisk(ro, "size=1m,ro")
	c.setup()
	job, _ := failJob(t, c, "readonly", "database-sqlite", map[string]any{"path": srcPath}, nil, localDest("read-only", ro))

	ex := c.runJob(job, time.Minute)
	log := c.logText(ex.ID)
	t.Logf("the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "failed" {
		t.Errorf("status %s, want failed; log:\n%s", ex.Status, log)
	}
	expect(t, "the execution's error", ex.Error, `"read-only"`, "read-only file system")
	if left := files(t, c.inCore(ro)); len(left) > 0 {
		t.Errorf("files on the read-only destination: %v", left)
	}
	c.noneRunning()
	if listed := c.backupsOf(job); len(listed) > 0 {
		t.Errorf("GET /backups lists %v after a failed run", listed)
	}
}

// The destination's directory is not there (a disk not mounted) and the
// destination may not create it: the run fails saying so, and the
// directory is not created behind the user's back. Once it exists, the
// next run succeeds.
func TestMissingDestinationDirectory(t *testing.T) {
	srcPath := filepath.Join(t.TempDir(), "shop.db")
	makeSQLite(t, srcPath, 200)
	missing := filepath.Join(t.TempDir(), "not-mounted")

	c := newCore(t)
	c.start()
	c.setup()
	job, _ := failJob(t, c, "missing", "database-sqlite", map[string]any{"path": srcPath}, nil,
		dest{name: "usb disk", pluginID: "storage-local", config: map[string]any{"path": missing}})

	ex := c.runJob(job, time.Minute)
	log := c.logText(ex.ID)
	t.Logf("the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "failed" {
		t.Errorf("status %s, want failed; log:\n%s", ex.Status, log)
	}
	expect(t, "the execution's error", ex.Error, `"usb disk"`, "does not exist")
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing directory was created (or cannot be checked: %v)", err)
	}
	if err := os.Mkdir(missing, 0o700); err != nil {
		t.Fatal(err)
	}
	afterFailure(t, c, job, ex, 0)
}

// An S3 destination whose secret key is wrong, next to a local one: the
// run is partial, the error names the S3 destination and the refusal,
// nothing is written to the bucket, and the local set is complete.
func TestS3WrongCredentials(t *testing.T) {
	srv := s3(t)
	bucket := srv.bucket(t)
	srcPath := filepath.Join(t.TempDir(), "shop.db")
	makeSQLite(t, srcPath, 2000)
	dir := filepath.Join(t.TempDir(), "disk")

	c := newCore(t)
	c.start()
	c.setup()
	cfg := srv.config(bucket)
	cfg["secret-key"] = "not-the-secret"
	job, ids := failJob(t, c, "s3creds", "database-sqlite", map[string]any{"path": srcPath}, nil,
		localDest("disk", dir), dest{name: "bucket", pluginID: "storage-s3", config: cfg})

	ex := c.runJob(job, time.Minute)
	log := c.logText(ex.ID)
	t.Logf("the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "partial" {
		t.Errorf("status %s, want partial; log:\n%s", ex.Status, log)
	}
	expect(t, "the execution's error", ex.Error, `"bucket"`)
	if strings.Contains(log, "not-the-secret") || strings.Contains(ex.Error, "not-the-secret") {
		t.Errorf("the secret key appears in the execution's error or log")
	}
	if objs := srv.objects(t, bucket); len(objs) > 0 {
		t.Errorf("objects written with wrong credentials: %v", objs)
	}
	if got := files(t, dir); len(got) != 2 {
		t.Errorf("the local destination holds %v, want the object and manifest.json", got)
	}
	c.noneRunning()
	if listed := c.backupsOf(job); len(listed) != 1 {
		t.Errorf("GET /backups lists %v, want the local set alone", listed)
	}

	// With the right secret the next run stores both sets.
	cfg["secret-key"] = srv.secret
	c.mustCall("PUT", fmt.Sprintf("/api/v1/destinations/%d", ids[1]), map[string]any{"name": "bucket", "pluginId": "storage-s3", "config": cfg}, nil)
	next := c.runJob(job, time.Minute)
	if next.Status != "success" {
		t.Errorf("with the right secret the run ended %s (%s)", next.Status, next.Error)
	}
}

// The S3 service cannot be reached (nothing listens at its address, as
// when the connection drops for good) next to a local destination: the
// run is partial, naming the S3 destination, and the local set is whole.
func TestS3Unreachable(t *testing.T) {
	srcPath := filepath.Join(t.TempDir(), "shop.db")
	makeSQLite(t, srcPath, 500)
	dir := filepath.Join(t.TempDir(), "disk")

	c := newCore(t)
	c.start()
	c.setup()
	closed := freeAddr(t) // its listener is closed: connections are refused
	cfg := map[string]any{"provider": "other", "endpoint": "http://" + closed, "path-style": true,
		"bucket": "nowhere", "access-key": "dbkeep", "secret-key": "dbkeep-secret"}
	job, _ := failJob(t, c, "s3down", "database-sqlite", map[string]any{"path": srcPath}, nil,
		localDest("disk", dir), dest{name: "bucket", pluginID: "storage-s3", config: cfg})

	ex := c.runJob(job, time.Minute)
	t.Logf("the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "partial" {
		t.Errorf("status %s, want partial; log:\n%s", ex.Status, c.logText(ex.ID))
	}
	expect(t, "the execution's error", ex.Error, `"bucket"`, closed)
	if got := files(t, dir); len(got) != 2 {
		t.Errorf("the local destination holds %v, want the object and manifest.json", got)
	}
	c.noneRunning()
	if listed := c.backupsOf(job); len(listed) != 1 {
		t.Errorf("GET /backups lists %v, want the local set alone", listed)
	}
}

// Bad input: a job naming a database the server does not have, and a
// source whose server does not answer. Each run fails with an error
// naming the culprit, and nothing is stored.
func TestBadSourceInput(t *testing.T) {
	pg := postgres(t)
	pg.createDatabase(t, "e2e_badin", 100)

	c := newCore(t)
	c.start()
	c.setup()
	dir := filepath.Join(t.TempDir(), "disk")
	job, _ := failJob(t, c, "nodb", "database-postgres", pg.config, []string{"e2e_badin", "e2e_no_such_db"}, localDest("disk", dir))
	ex := c.runJob(job, time.Minute)
	t.Logf("a missing database: the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "partial" {
		t.Errorf("status %s, want partial (e2e_badin stored); log:\n%s", ex.Status, c.logText(ex.ID))
	}
	expect(t, "the execution's error", ex.Error, `"e2e_no_such_db"`)
	for _, f := range files(t, dir) {
		if strings.Contains(f, "e2e_no_such_db") {
			t.Errorf("an object of the missing database was stored: %s", f)
		}
	}

	down := map[string]any{}
	for k, v := range pg.config {
		down[k] = v
	}
	closed := freeAddr(t)
	down["host"], down["port"] = "127.0.0.1", closed[strings.LastIndexByte(closed, ':')+1:]
	dir2 := filepath.Join(t.TempDir(), "disk2")
	job2, _ := failJob(t, c, "pgdown", "database-postgres", down, []string{"e2e_badin"}, localDest("disk2", dir2))
	ex = c.runJob(job2, time.Minute)
	t.Logf("a source that does not answer: the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "failed" {
		t.Errorf("status %s, want failed; log:\n%s", ex.Status, c.logText(ex.ID))
	}
	expect(t, "the execution's error", ex.Error, `source "pgdown"`)
	if left := files(t, dir2); len(left) > 0 {
		t.Errorf("files stored for a source that does not answer: %v", left)
	}
	c.noneRunning()
	if listed := c.backupsOf(job2); len(listed) > 0 {
		t.Errorf("GET /backups lists %v for a failed run", listed)
	}
}

// A plugin killed while idle, between runs, is started again by the next
// run, which succeeds.
func TestPluginsKilledBetweenRuns(t *testing.T) {
	srcPath := filepath.Join(t.TempDir(), "shop.db")
	makeSQLite(t, srcPath, 200)
	dir := filepath.Join(t.TempDir(), "disk")

	c := newCore(t)
	c.start()
	c.setup()
	job, _ := failJob(t, c, "idle", "database-sqlite", map[string]any{"path": srcPath}, nil, localDest("disk", dir))
	if ex := c.runJob(job, time.Minute); ex.Status != "success" {
		t.Fatalf("first run ended %s (%s)", ex.Status, ex.Error)
	}
	c.killPlugin("dbkeep-storage-local")
	c.killPlugin("dbkeep-database-sqlite")
	// As a user would, run again once the core reports the crashes (it
	// notices an exit within a poll of the process).
	waitFor(t, "GET /plugins to count the crashes", 10*time.Second, func() bool {
		return c.pluginCrashes("storage-local") > 0 && c.pluginCrashes("database-sqlite") > 0
	})
	if ex := c.runJob(job, time.Minute); ex.Status != "success" {
		t.Errorf("the run after the plugins died ended %s (%s); log:\n%s", ex.Status, ex.Error, c.logText(ex.ID))
	}
	if n := len(c.backupsOf(job)); n != 2 {
		t.Errorf("GET /backups lists %d sets, want 2", n)
	}
}
