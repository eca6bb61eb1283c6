package engine_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// completeSets returns the complete set rows of job.
func completeSets(t *testing.T, st *store.Store, jobID int64) []store.BackupSet {
	t.Helper()
	sets, _, err := st.BackupSets().List(context.Background(), store.BackupSetFilter{JobID: &jobID, Status: store.SetComplete}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

func allSets(t *testing.T, st *store.Store, jobID int64) []store.BackupSet {
	t.Helper()
	sets, _, err := st.BackupSets().List(context.Background(), store.BackupSetFilter{JobID: &jobID}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

func TestBackupToTwoDestinations(t *testing.T) {
	for _, tc := range []struct {
		name        string
		compression string
		encrypted   bool
	}{
		{"plain", "none", false},
		{"zstd", "zstd", false},
		{"gzip encrypted", "gzip", true},
		{"zstd encrypted", "zstd", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			srcPath, src := f.sqliteSource("shop", 2000, 300)
			dir1, d1 := f.localDestination("first")
			dir2, d2 := f.localDestination("second")
			var profile *int64
			var key []byte
			if tc.encrypted {
				p, err := f.st.EncryptionProfiles().Create(ctx, "vault", "")
				if err != nil {
					t.Fatal(err)
				}
				profile = &p.ID
				if key, err = f.st.EncryptionProfiles().Key(ctx, p.ID); err != nil {
					t.Fatal(err)
				}
			}
			job := f.job("Nightly shop", src, tc.compression, profile, d1, d2)

			ex := f.run(ctx, job.ID)
			if ex.Status != store.StatusSuccess {
				t.Fatalf("status %s (%s), want success; log:\n%s", ex.Status, ex.Error, f.journal.log(ex.ID))
			}
			wantRows, wantDigest := tableDigest(t, srcPath)
			sets := completeSets(t, f.st, job.ID)
			if len(sets) != 2 {
				t.Fatalf("%d complete sets, want 2", len(sets))
			}
			for _, dir := range []string{dir1, dir2} {
				m := readManifest(t, dir, sets[0].Prefix)
				if m.ExecutionID != ex.ID || m.Job.Slug != job.Slug || m.Source.Engine != "sqlite" || m.Plugin.ID != "database-sqlite" || m.Plugin.Version == "" {
					t.Errorf("manifest header %+v", m)
				}
				if len(m.Objects) != 1 {
					t.Fatalf("manifest lists %d objects, want 1", len(m.Objects))
				}
				o := m.Objects[0]
				path := filepath.Join(dir, filepath.FromSlash(sets[0].Prefix), o.Name)
				if got := sha256File(t, path); got != o.SHA256 {
					t.Errorf("%s: sha256 %s, manifest says %s", path, got, o.SHA256)
				}
				st, err := os.Stat(path)
				if err != nil || st.Size() != o.Size {
					t.Errorf("%s: size %v (%v), manifest says %d", path, st, err, o.Size)
				}
				if tc.encrypted != (o.Encryption != nil) || (tc.encrypted && !strings.HasSuffix(o.Name, ".dbk")) {
					t.Errorf("object %s, encryption %+v", o.Name, o.Encryption)
				}
				if o.Compression.Algorithm != tc.compression {
					t.Errorf("compression %q, want %q", o.Compression.Algorithm, tc.compression)
				}
				restored := restoreObject(t, path, o, key)
				if n, d := tableDigest(t, restored); n != wantRows || d != wantDigest {
					t.Errorf("restored %d rows (%s), source has %d (%s)", n, d, wantRows, wantDigest)
				}
				if got := files(t, dir); len(got) != 2 {
					t.Errorf("%s holds %v, want the object and the manifest", dir, got)
				}
			}
			for _, s := range sets {
				if s.ExecutionRunning || s.SizeBytes == 0 || s.Manifest == nil {
					t.Errorf("set row %+v", s)
				}
			}
			p := f.journal.lastProgress(ex.ID)
			if p.BytesRead == 0 || len(p.Destinations) != 2 || p.Destinations[0].State != "done" || p.Destinations[1].BytesStored == 0 {
				t.Errorf("last progress %+v", p)
			}
		})
	}
}

// A destination removed while the dump streams fails alone: the other one
// completes and the run is partial, naming the destination.
func TestDestinationFailsMidRun(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, src := f.sqliteSource("crm", 4000, 1000)
	dir1, d1 := f.localDestination("healthy")
	dir2, d2 := f.localDestination("flaky")
	job := f.job("crm", src, "none", nil, d1, d2)
	var once sync.Once
	f.journal.onProgress = func(p execlog.Progress) {
		if p.BytesRead > 0 {
			once.Do(func() { os.RemoveAll(dir2) })
		}
	}
	ex := f.run(ctx, job.ID)
	if ex.Status != store.StatusPartial {
		t.Fatalf("status %s (%s), want partial; log:\n%s", ex.Status, ex.Error, f.journal.log(ex.ID))
	}
	if !strings.Contains(ex.Error, `"flaky"`) {
		t.Errorf("error %q does not name the failed destination", ex.Error)
	}
	// The flaky destination's directory is gone, so its partial set cannot
	// be listed to be removed: its row stays incomplete, for retention to
	// finish once the destination is back; it is never a backup.
	sets := completeSets(t, f.st, job.ID)
	if len(sets) != 1 || sets[0].DestinationID != d1 {
		t.Fatalf("complete sets %+v, want one on the healthy destination", sets)
	}
	if log := f.journal.log(ex.ID); !strings.Contains(log, `destination "flaky" (2) dropped`) {
		t.Errorf("the drop is not logged:\n%s", log)
	}
	if got := files(t, dir1); len(got) != 2 {
		t.Errorf("healthy destination holds %v", got)
	}
	if got := files(t, dir2); len(got) != 0 {
		t.Errorf("failed destination holds %v", got)
	}
}

// Every destination failing fails the run and leaves no set.
func TestAllDestinationsFail(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, src := f.sqliteSource("hr", 100, 100)
	dir1, d1 := f.localDestination("gone")
	job := f.job("hr", src, "zstd", nil, d1)
	if err := os.RemoveAll(dir1); err != nil {
		t.Fatal(err)
	}
	ex := f.run(ctx, job.ID)
	if ex.Status != store.StatusFailed || !strings.Contains(ex.Error, `"gone"`) {
		t.Fatalf("status %s (%s), want failed naming the destination", ex.Status, ex.Error)
	}
	t.Logf("error: %s", ex.Error)
	if sets := completeSets(t, f.st, job.ID); len(sets) != 0 {
		t.Errorf("complete sets: %+v", sets)
	}
}

// A database that cannot be dumped fails the run when it is the only one.
func TestDumpFails(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, src := f.sqliteSource("erp", 10, 10)
	dir1, d1 := f.localDestination("store")
	job, err := f.st.Jobs().Create(ctx, store.JobInput{Name: "erp", SourceID: src, Databases: []string{"nosuchdb"},
		Compression: "zstd", Enabled: true,
		Destinations: []store.JobDestination{{DestinationID: d1, Retention: store.Retention{Policy: store.RetentionKeepAll}}}})
	if err != nil {
		t.Fatal(err)
	}
	ex := f.run(ctx, job.ID)
	if ex.Status != store.StatusFailed || !strings.Contains(ex.Error, `database "nosuchdb"`) {
		t.Fatalf("status %s (%s), want failed naming the database", ex.Status, ex.Error)
	}
	if got := files(t, dir1); len(got) != 0 {
		t.Errorf("destination holds %v", got)
	}
	if sets := allSets(t, f.st, job.ID); len(sets) != 0 {
		t.Errorf("sets left: %+v", sets)
	}

	// With a database that dumps, the run is partial and the set holds it.
	job2, err := f.st.Jobs().Create(ctx, store.JobInput{Name: "erp2", SourceID: src, Databases: []string{"nosuchdb", "erp"},
		Compression: "zstd", Enabled: true,
		Destinations: []store.JobDestination{{DestinationID: d1, Retention: store.Retention{Policy: store.RetentionKeepAll}}}})
	if err != nil {
		t.Fatal(err)
	}
	ex = f.run(ctx, job2.ID)
	if ex.Status != store.StatusPartial || !strings.Contains(ex.Error, `database "nosuchdb"`) {
		t.Fatalf("status %s (%s), want partial naming the database", ex.Status, ex.Error)
	}
	sets := completeSets(t, f.st, job2.ID)
	if len(sets) != 1 {
		t.Fatalf("complete sets %+v", sets)
	}
	m := readManifest(t, dir1, sets[0].Prefix)
	if len(m.Objects) != 1 || m.Objects[0].Database != "erp" {
		t.Errorf("manifest objects %+v, want erp only", m.Objects)
	}
}

// Cancelling while the dump streams stops the run, removes every object
// already written, and records cancelled (interrupted when the core is
// shutting down).
func TestCancelMidDump(t *testing.T) {
	for _, tc := range []struct {
		cause error
		want  store.ExecutionStatus
	}{
		{queue.ErrCancelled, store.StatusCancelled},
		{queue.ErrShutdown, store.StatusInterrupted},
	} {
		t.Run(string(tc.want), func(t *testing.T) {
			f := newFixture(t)
			_, src := f.sqliteSource("big", 3000, 16<<10) // ~48 MiB of incompressible rows
			dir1, d1 := f.localDestination("one")
			dir2, d2 := f.localDestination("two")
			job := f.job("big", src, "none", nil, d1, d2)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			var cancelledAt time.Time
			var once sync.Once
			f.journal.onProgress = func(p execlog.Progress) {
				if p.BytesRead > 0 {
					once.Do(func() { cancelledAt = time.Now(); cancel(tc.cause) })
				}
			}
			ex := f.run(ctx, job.ID)
			took := time.Since(cancelledAt)
			if ex.Status != tc.want || !strings.Contains(ex.Error, tc.cause.Error()) {
				t.Fatalf("status %s (%s), want %s; log:\n%s", ex.Status, ex.Error, tc.want, f.journal.log(ex.ID))
			}
			t.Logf("run ended %s after the cancel", took)
			if p := f.journal.lastProgress(ex.ID); p.BytesRead >= 40<<20 {
				t.Errorf("the dump went on to %d bytes after the cancel", p.BytesRead)
			}
			for _, dir := range []string{dir1, dir2} {
				if got := files(t, dir); len(got) != 0 {
					t.Errorf("%s holds %v after the cancel", dir, got)
				}
			}
			if sets := allSets(t, f.st, job.ID); len(sets) != 0 {
				t.Errorf("sets left: %+v", sets)
			}
			if !waitFor(5*time.Second, func() bool { return len(dumpChildren(t)) == 0 }) {
				t.Errorf("dump processes left: %v", dumpChildren(t))
			}
		})
	}
}

// dumpChildren lists processes named like dump tools (the sqlite plugin
// dumps in-process; a plugin that ran sqlite3 would show here).
func dumpChildren(t *testing.T) []string {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		name := strings.TrimSpace(string(comm))
		if name != "sqlite3" {
			continue
		}
		status, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		for _, line := range strings.Split(string(status), "\n") {
			if ppid, ok := strings.CutPrefix(line, "PPid:"); ok && isPluginPid(strings.TrimSpace(ppid)) {
				out = append(out, e.Name()+" "+name)
			}
		}
	}
	return out
}

// isPluginPid reports whether pid runs one of the test's plugin binaries.
func isPluginPid(pid string) bool {
	exe, err := os.Readlink(filepath.Join("/proc", pid, "exe"))
	return err == nil && strings.Contains(exe, "dbkeep-engine-plugins-")
}

// After a crash, CleanupInterrupted removes the execution's incomplete
// sets (objects and rows) and keeps a set it had completed.
func TestCleanupInterrupted(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, src := f.sqliteSource("ops", 10, 10)
	dir1, d1 := f.localDestination("left")
	dir2, d2 := f.localDestination("done")
	job := f.job("ops", src, "zstd", nil, d1, d2)
	ex := f.claim(job.ID)
	created := time.Now().UTC().Truncate(time.Second)
	prefix := backupset.Prefix(job.Slug, created, ex.ID)
	partial, err := f.st.BackupSets().Create(ctx, store.NewBackupSet{DestinationID: d1, JobID: job.ID, ExecutionID: ex.ID, Prefix: prefix, CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := f.st.BackupSets().Create(ctx, store.NewBackupSet{DestinationID: d2, JobID: job.ID, ExecutionID: ex.ID, Prefix: prefix, CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.BackupSets().Complete(ctx, whole.ID, 3, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir1, prefix, "ops.sqlite.zst"), filepath.Join(dir2, prefix, "ops.sqlite.zst"), filepath.Join(dir2, prefix, "manifest.json")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.Executions().InterruptRunning(ctx, "dbkeep stopped while this ran"); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.CleanupInterrupted(ctx, ex.ID); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir1); len(got) != 0 {
		t.Errorf("interrupted destination holds %v", got)
	}
	if got := files(t, dir2); len(got) != 2 {
		t.Errorf("the complete set's destination holds %v, want both files kept", got)
	}
	if _, err := f.st.BackupSets().Get(ctx, partial.ID); err == nil {
		t.Error("the partial set's row is still there")
	}
	if _, err := f.st.BackupSets().Get(ctx, whole.ID); err != nil {
		t.Errorf("the complete set's row: %v", err)
	}
	if log := f.journal.log(ex.ID); !strings.Contains(log, "removed the partial set "+prefix) {
		t.Errorf("log does not say what was removed:\n%s", log)
	}
}

// Retention after a run deletes what the policy lets go (manifest first,
// objects, row) and logs it; locked sets stay.
func TestRetentionAfterRun(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, src := f.sqliteSource("blog", 10, 10)
	dir, d := f.localDestination("archive")
	two := 2
	job, err := f.st.Jobs().Create(ctx, store.JobInput{Name: "blog", SourceID: src, AllDatabases: true, Compression: "zstd", Enabled: true,
		Destinations: []store.JobDestination{{DestinationID: d, Retention: store.Retention{Policy: store.RetentionSimple, KeepLast: &two}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Four old sets from finished runs, the oldest one locked.
	var seeded []store.BackupSet
	for i := range 4 {
		ex := f.claim(job.ID)
		created := time.Now().UTC().Add(-time.Duration(4-i) * 24 * time.Hour).Truncate(time.Second)
		prefix := backupset.Prefix(job.Slug, created, ex.ID)
		set, err := f.st.BackupSets().Create(ctx, store.NewBackupSet{DestinationID: d, JobID: job.ID, ExecutionID: ex.ID, Prefix: prefix, CreatedAt: created})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.BackupSets().Complete(ctx, set.ID, 6, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"blog.sqlite.zst", "manifest.json"} {
			p := filepath.Join(dir, prefix, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.st.Executions().Finish(ctx, ex.ID, store.StatusSuccess, ""); err != nil {
			t.Fatal(err)
		}
		seeded = append(seeded, set)
	}
	if err := f.st.BackupSets().SetLocked(ctx, seeded[0].ID, true); err != nil {
		t.Fatal(err)
	}

	ex := f.run(ctx, job.ID)
	if ex.Status != store.StatusSuccess {
		t.Fatalf("status %s (%s); log:\n%s", ex.Status, ex.Error, f.journal.log(ex.ID))
	}
	var kept []int64
	for _, s := range allSets(t, f.st, job.ID) {
		kept = append(kept, s.ID)
	}
	// Kept: the new set and the newest seeded one (last 2), the locked one.
	if len(kept) != 3 || !slices.Contains(kept, seeded[0].ID) || !slices.Contains(kept, seeded[3].ID) {
		t.Fatalf("kept sets %v; seeded %d..%d", kept, seeded[0].ID, seeded[3].ID)
	}
	for _, s := range seeded[1:3] {
		if got := files(t, filepath.Join(dir, s.Prefix)); len(got) != 0 {
			t.Errorf("deleted set %s still holds %v", s.Prefix, got)
		}
		if log := f.journal.log(ex.ID); !strings.Contains(log, "deleted set "+s.Prefix) {
			t.Errorf("the deletion of %s is not logged:\n%s", s.Prefix, log)
		}
	}
	if got := files(t, filepath.Join(dir, seeded[0].Prefix)); len(got) != 2 {
		t.Errorf("locked set holds %v", got)
	}
}

// Channels whose events match get the outcome; a channel that fails is
// logged and changes nothing.
func TestNotifications(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, src := f.sqliteSource("wiki", 10, 10)
	_, d := f.localDestination("box")

	type delivery struct {
		Type      string            `json:"type"`
		Severity  string            `json:"severity"`
		Fields    map[string]string `json:"fields"`
		Execution struct {
			ID, JobName, URL string
		} `json:"execution"`
	}
	got := make(chan delivery, 4)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			http.Error(w, "receiver down", http.StatusServiceUnavailable)
			return
		}
		var dv delivery
		if err := json.NewDecoder(r.Body).Decode(&dv); err != nil {
			t.Errorf("delivery: %v", err)
		}
		got <- dv
	})}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	channel := func(name, path string) int64 {
		conn, err := f.st.NotificationChannels().Create(ctx, store.ConnectionInput{Name: name, PluginID: "notification-webhook",
			Schema: schemaOf(t, "notification-webhook"), Config: spec.Config{"url": base + path, "timeout": "5"}})
		if err != nil {
			t.Fatal(err)
		}
		return conn.ID
	}
	ok, broken, failuresOnly := channel("ops hook", "/hook"), channel("broken hook", "/broken"), channel("failures", "/failures")
	job, err := f.st.Jobs().Create(ctx, store.JobInput{Name: "wiki", SourceID: src, AllDatabases: true, Compression: "zstd", Enabled: true,
		Destinations: []store.JobDestination{{DestinationID: d, Retention: store.Retention{Policy: store.RetentionKeepAll}}},
		Notifications: []store.JobNotification{
			{ChannelID: ok, OnSuccess: true, OnFailure: true},
			{ChannelID: broken, OnSuccess: true},
			{ChannelID: failuresOnly, OnFailure: true},
		}})
	if err != nil {
		t.Fatal(err)
	}
	ex := f.run(ctx, job.ID)
	if ex.Status != store.StatusSuccess {
		t.Fatalf("status %s (%s), want success whatever the broken channel did", ex.Status, ex.Error)
	}
	var dv delivery
	select {
	case dv = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	if dv.Type != "backup.success" || dv.Severity != "info" || dv.Fields["job"] != "wiki" || dv.Fields["status"] != "success" ||
		dv.Fields["destination box"] == "" || dv.Execution.URL == "" || !strings.HasSuffix(dv.Execution.URL, "/executions/"+dv.Execution.ID) {
		t.Errorf("delivery %+v", dv)
	}
	select {
	case extra := <-got:
		t.Errorf("a channel that wants failures only got %+v", extra)
	default:
	}
	if log := f.journal.log(ex.ID); !strings.Contains(log, `notification channel "broken hook": not notified`) {
		t.Errorf("the failed notification is not logged:\n%s", log)
	}

	// A failed run reaches the channels that want failures, with the error.
	gone, goneID := f.localDestination("gone")
	failing, err := f.st.Jobs().Create(ctx, store.JobInput{Name: "wiki to nowhere", SourceID: src, AllDatabases: true, Compression: "zstd", Enabled: true,
		Destinations:  []store.JobDestination{{DestinationID: goneID, Retention: store.Retention{Policy: store.RetentionKeepAll}}},
		Notifications: []store.JobNotification{{ChannelID: failuresOnly, OnFailure: true}, {ChannelID: broken, OnSuccess: true}}})
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(gone)
	ex = f.run(ctx, failing.ID)
	if ex.Status != store.StatusFailed {
		t.Fatalf("status %s, want failed", ex.Status)
	}
	select {
	case dv = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery of the failure")
	}
	if dv.Type != "backup.failure" || dv.Severity != "error" || dv.Fields["status"] != "failed" ||
		!strings.Contains(dv.Fields["error"], `destination "gone"`) || !strings.HasPrefix(dv.Fields["destination gone"], "failed: ") {
		t.Errorf("failure delivery %+v", dv)
	}
}
