package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Things broken on purpose under a running backup, each seen as the user
// sees it: the execution's status and error, its log, the backups listed,
// and the files left in storage. docs/backups.md ("Final status and what
// each failure does") is what each test holds the engine to. After each
// failure the next run of the same job must work.

// dest is one destination of a job made by failJob.
type dest struct {
	name     string
	pluginID string
	config   map[string]any
}

// localDest is a storage-local destination in dir, created on first use.
func localDest(name, dir string) dest {
	return dest{name: name, pluginID: "storage-local", config: map[string]any{"path": dir, "create": true}}
}

// failJob makes a source and destinations and a job backing up databases
// (nil: all) of the source to every destination, uncompressed so that the
// stored size is the dump's, and returns the job's id and its
// destinations' ids.
func failJob(t *testing.T, c *core, name, sourcePlugin string, source map[string]any, databases []string, dests ...dest) (int64, []int64) {
	t.Helper()
	var src struct{ ID int64 }
	c.mustCall("POST", "/api/v1/sources", map[string]any{"name": name, "pluginId": sourcePlugin, "config": source}, &src)
	var jds []map[string]any
	var ids []int64
	for _, d := range dests {
		var dst struct{ ID int64 }
		c.mustCall("POST", "/api/v1/destinations", map[string]any{"name": d.name, "pluginId": d.pluginID, "config": d.config}, &dst)
		jds = append(jds, map[string]any{"destinationId": dst.ID, "retention": map[string]any{"policy": "keep-all"}})
		ids = append(ids, dst.ID)
	}
	body := map[string]any{"name": name, "sourceId": src.ID, "compression": "none", "destinations": jds}
	if databases == nil {
		body["databases"] = "all"
	} else {
		body["databases"] = databases
	}
	var job struct{ ID int64 }
	c.mustCall("POST", "/api/v1/jobs", body, &job)
	return job.ID, ids
}

// expect fails the test unless text holds every one of words.
func expect(t *testing.T, what, text string, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, text)
		}
	}
}

// uploadStarted reports whether the local destination dir holds the
// temporary file of an upload in progress: in a set's folder, not the
// probe the destination's test writes at the top at the start of the run.
func uploadStarted(t *testing.T, dir string) bool {
	for _, f := range files(t, dir) {
		if strings.Contains(f, "/") && strings.HasPrefix(filepath.Base(f), ".dbkeep-tmp-") {
			return true
		}
	}
	return false
}

// afterFailure checks what every failure must end in: no execution left
// running, nothing listed as a backup of the failed run but the complete
// sets, and the next run of the job succeeding with a set on every
// destination.
func afterFailure(t *testing.T, c *core, job int64, failed execution, completeSets int) {
	t.Helper()
	c.noneRunning()
	listed := c.backupsOf(job)
	if len(listed) != completeSets {
		t.Errorf("GET /backups lists %d set(s) after execution %d ended %s, want %d: %v", len(listed), failed.ID, failed.Status, completeSets, listed)
	}
	next := c.runJob(job, time.Minute)
	if next.Status != "success" {
		t.Errorf("the run after the failure ended %s (%s), want success; its log:\n%s", next.Status, next.Error, c.logText(next.ID))
	}
}

// The storage plugin is killed while an object is being uploaded to the
// job's only destination: the run fails, saying the plugin crashed; nothing
// is left in storage; the next run restarts the plugin and succeeds.
func TestStoragePluginKilledMidUpload(t *testing.T) {
	pg := postgres(t)
	pg.createDatabase(t, "e2e_stkill", 2000)
	release := pg.lockTable(t, "e2e_stkill")

	c := newCore(t)
	c.start()
	c.setup()
	dir := filepath.Join(t.TempDir(), "disk")
	job, _ := failJob(t, c, "stkill", "database-postgres", pg.config, []string{"e2e_stkill"}, localDest("disk", dir))

	var ex execution
	c.mustCall("POST", fmt.Sprintf("/api/v1/jobs/%d/run", job), nil, &ex)
	waitFor(t, "the upload of e2e_stkill to begin", time.Minute, func() bool { return uploadStarted(t, dir) })
	pid := c.killPlugin("dbkeep-storage-local")
	release()

	ex = c.waitFinished(ex.ID, time.Minute)
	log := c.logText(ex.ID)
	t.Logf("killed dbkeep-storage-local (pid %d); the run ended %s: %s", pid, ex.Status, ex.Error)
	if ex.Status != "failed" {
		t.Errorf("status %s, want failed; log:\n%s", ex.Status, log)
	}
	expect(t, "the execution's error", ex.Error, "crashed", `"disk"`)
	expect(t, "the execution's log", log, "crashed")
	if left := files(t, dir); len(left) > 0 {
		t.Errorf("files left in the destination by the failed run: %v", left)
	}
	afterFailure(t, c, job, ex, 0)
}

// The same kill with a second destination on another plugin (S3): the run
// is partial, the error names the local destination and the crash, the S3
// set is complete and listed, the local one leaves nothing behind.
func TestStoragePluginKilledMidUploadOtherDestinationCompletes(t *testing.T) {
	pg := postgres(t)
	srv := s3(t)
	bucket := srv.bucket(t)
	pg.createDatabase(t, "e2e_stkill2", 2000)
	release := pg.lockTable(t, "e2e_stkill2")

	c := newCore(t)
	c.start()
	c.setup()
	dir := filepath.Join(t.TempDir(), "disk")
	job, _ := failJob(t, c, "stkill2", "database-postgres", pg.config, []string{"e2e_stkill2"},
		localDest("disk", dir), dest{name: "bucket", pluginID: "storage-s3", config: srv.config(bucket)})

	var ex execution
	c.mustCall("POST", fmt.Sprintf("/api/v1/jobs/%d/run", job), nil, &ex)
	waitFor(t, "the upload of e2e_stkill2 to begin", time.Minute, func() bool { return uploadStarted(t, dir) })
	c.killPlugin("dbkeep-storage-local")
	release()

	ex = c.waitFinished(ex.ID, time.Minute)
	log := c.logText(ex.ID)
	t.Logf("the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "partial" {
		t.Errorf("status %s, want partial; log:\n%s", ex.Status, log)
	}
	expect(t, "the execution's error", ex.Error, "crashed", `"disk"`)
	if strings.Contains(ex.Error, `"bucket"`) {
		t.Errorf("the error blames the S3 destination, which completed: %s", ex.Error)
	}
	if left := files(t, dir); len(left) > 0 {
		t.Errorf("files left in the local destination by the failed upload: %v", left)
	}
	objs := srv.objects(t, bucket)
	if len(objs) != 2 {
		t.Errorf("the S3 destination holds %v, want the dump and manifest.json", objs)
	}
	afterFailure(t, c, job, ex, 1)
}

// The database plugin is killed while its pg_dump runs: the run fails
// naming the database and the crash, nothing is stored, the orphaned
// pg_dump does not outlive its lock, and the next run succeeds.
func TestDatabasePluginKilledMidDump(t *testing.T) {
	pg := postgres(t)
	pg.createDatabase(t, "e2e_dbkill", 2000)
	release := pg.lockTable(t, "e2e_dbkill")

	c := newCore(t)
	c.start()
	c.setup()
	dir := filepath.Join(t.TempDir(), "disk")
	job, _ := failJob(t, c, "dbkill", "database-postgres", pg.config, []string{"e2e_dbkill"}, localDest("disk", dir))

	var ex execution
	c.mustCall("POST", fmt.Sprintf("/api/v1/jobs/%d/run", job), nil, &ex)
	waitFor(t, "pg_dump of e2e_dbkill to start", time.Minute, func() bool { return len(pgDumps(t, "e2e_dbkill")) > 0 })
	c.killPlugin("dbkeep-database-postgres")

	ex = c.waitFinished(ex.ID, 30*time.Second)
	log := c.logText(ex.ID)
	t.Logf("the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "failed" {
		t.Errorf("status %s, want failed; log:\n%s", ex.Status, log)
	}
	expect(t, "the execution's error", ex.Error, `"e2e_dbkill"`, "crashed")
	if left := files(t, dir); len(left) > 0 {
		t.Errorf("files left in the destination by the failed dump: %v", left)
	}
	if pids := pgDumps(t, "e2e_dbkill"); len(pids) > 0 {
		t.Logf("pg_dump (pids %v) outlived its plugin while the table is locked", pids)
	}
	release()
	waitFor(t, "the orphaned pg_dump to exit once the lock is gone", 15*time.Second, func() bool { return len(pgDumps(t, "e2e_dbkill")) == 0 })
	afterFailure(t, c, job, ex, 0)
}

// pg_dump itself dies (SIGKILL) half-way: the run fails naming the
// database, nothing is stored, the next run succeeds.
func TestDumpToolKilled(t *testing.T) {
	pg := postgres(t)
	pg.createDatabase(t, "e2e_pgkill", 2000)
	release := pg.lockTable(t, "e2e_pgkill")

	c := newCore(t)
	c.start()
	c.setup()
	dir := filepath.Join(t.TempDir(), "disk")
	job, _ := failJob(t, c, "pgkill", "database-postgres", pg.config, []string{"e2e_pgkill"}, localDest("disk", dir))

	var ex execution
	c.mustCall("POST", fmt.Sprintf("/api/v1/jobs/%d/run", job), nil, &ex)
	var pids []int
	waitFor(t, "pg_dump of e2e_pgkill to start", time.Minute, func() bool {
		pids = pgDumps(t, "e2e_pgkill")
		return len(pids) > 0
	})
	for _, pid := range pids {
		killPID(t, pid)
	}
	ex = c.waitFinished(ex.ID, 30*time.Second)
	release()
	log := c.logText(ex.ID)
	t.Logf("the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "failed" {
		t.Errorf("status %s, want failed; log:\n%s", ex.Status, log)
	}
	expect(t, "the execution's error", ex.Error, `"e2e_pgkill"`, "pg_dump")
	if left := files(t, dir); len(left) > 0 {
		t.Errorf("files left in the destination by the failed dump: %v", left)
	}
	afterFailure(t, c, job, ex, 0)
}

// Of two databases, the second's pg_dump is killed: the run is partial,
// the error names that database, and the set holds the first one alone,
// with a manifest listing exactly it.
func TestDumpToolKilledSecondDatabase(t *testing.T) {
	pg := postgres(t)
	pg.createDatabase(t, "e2e_pgkill_a", 2000)
	pg.createDatabase(t, "e2e_pgkill_b", 2000)
	release := pg.lockTable(t, "e2e_pgkill_b")

	c := newCore(t)
	c.start()
	c.setup()
	dir := filepath.Join(t.TempDir(), "disk")
	job, _ := failJob(t, c, "pgkill2", "database-postgres", pg.config, []string{"e2e_pgkill_a", "e2e_pgkill_b"}, localDest("disk", dir))

	var ex execution
	c.mustCall("POST", fmt.Sprintf("/api/v1/jobs/%d/run", job), nil, &ex)
	var pids []int
	waitFor(t, "pg_dump of e2e_pgkill_b to start", time.Minute, func() bool {
		pids = pgDumps(t, "e2e_pgkill_b")
		return len(pids) > 0
	})
	for _, pid := range pids {
		killPID(t, pid)
	}
	ex = c.waitFinished(ex.ID, 30*time.Second)
	release()
	t.Logf("the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "partial" {
		t.Errorf("status %s, want partial; log:\n%s", ex.Status, c.logText(ex.ID))
	}
	expect(t, "the execution's error", ex.Error, `"e2e_pgkill_b"`)
	if strings.Contains(ex.Error, `"e2e_pgkill_a"`) {
		t.Errorf("the error names e2e_pgkill_a, which was stored: %s", ex.Error)
	}
	left := files(t, dir)
	if len(left) != 2 || !strings.Contains(strings.Join(left, " "), "e2e_pgkill_a.") || strings.Contains(strings.Join(left, " "), "e2e_pgkill_b") {
		t.Errorf("the set holds %v, want e2e_pgkill_a's object and manifest.json alone", left)
	}
	for _, f := range left {
		if filepath.Base(f) == "manifest.json" {
			m := readManifest(t, filepath.Join(dir, f))
			if len(m.Objects) != 1 || m.Objects[0].Database != "e2e_pgkill_a" {
				t.Errorf("the manifest lists %+v, want e2e_pgkill_a alone", m.Objects)
			}
		}
	}
	afterFailure(t, c, job, ex, 1)
}

// The only destination's plugin is killed while pg_dump waits for a lock
// that is not released: with nowhere left to store the dump, the run must
// end by itself (failed, naming the crash) and stop pg_dump, rather than
// wait for the database, holding its lock request, for as long as the lock
// lasts.
func TestStoragePluginKilledWhileDumpWaits(t *testing.T) {
	pg := postgres(t)
	pg.createDatabase(t, "e2e_stwait", 2000)
	pg.lockTable(t, "e2e_stwait")

	c := newCore(t)
	c.start()
	c.setup()
	dir := filepath.Join(t.TempDir(), "disk")
	job, _ := failJob(t, c, "stwait", "database-postgres", pg.config, []string{"e2e_stwait"}, localDest("disk", dir))

	var ex execution
	c.mustCall("POST", fmt.Sprintf("/api/v1/jobs/%d/run", job), nil, &ex)
	waitFor(t, "the upload of e2e_stwait to begin", time.Minute, func() bool { return uploadStarted(t, dir) })
	c.killPlugin("dbkeep-storage-local")

	// The lock stays: only the engine can end this run.
	ex = c.waitFinished(ex.ID, 20*time.Second)
	t.Logf("the run ended %s: %s", ex.Status, ex.Error)
	if ex.Status != "failed" {
		t.Errorf("status %s, want failed; log:\n%s", ex.Status, c.logText(ex.ID))
	}
	expect(t, "the execution's error", ex.Error, "crashed", `"disk"`)
	waitFor(t, "pg_dump of e2e_stwait to be stopped", 10*time.Second, func() bool { return len(pgDumps(t, "e2e_stwait")) == 0 })
}
