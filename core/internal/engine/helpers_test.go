package engine_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/compress"
	"github.com/dbkeep/dbkeep/core/internal/dbk1"
	"github.com/dbkeep/dbkeep/core/internal/engine"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// journal keeps what executions say in memory; onProgress, when set, sees
// every progress report (tests cancel or break things from there, at a
// point of the run they can name).
type journal struct {
	mu         sync.Mutex
	lines      map[int64][]string
	progress   map[int64]execlog.Progress
	finished   map[int64]int
	onProgress func(execlog.Progress)
	// statusAtFinish is the execution's stored status when Finish came.
	statusAtFinish func(id int64) store.ExecutionStatus
	atFinish       map[int64]store.ExecutionStatus
}

// The real journal is what serve wires in.
var _ engine.Journal = (*execlog.Journal)(nil)

func newJournal() *journal {
	return &journal{lines: map[int64][]string{}, progress: map[int64]execlog.Progress{}, finished: map[int64]int{},
		atFinish: map[int64]store.ExecutionStatus{}}
}

func (j *journal) For(id int64) execlog.Recorder { return &recorder{j: j, id: id} }

func (j *journal) Finish(id int64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finished[id]++
	if j.statusAtFinish != nil {
		j.atFinish[id] = j.statusAtFinish(id)
	}
	return nil
}

func (j *journal) log(id int64) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return strings.Join(j.lines[id], "\n")
}

func (j *journal) lastProgress(id int64) execlog.Progress {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.progress[id]
}

type recorder struct {
	j  *journal
	id int64
}

func (r *recorder) Log(level execlog.Level, origin, message string) {
	r.j.mu.Lock()
	defer r.j.mu.Unlock()
	r.j.lines[r.id] = append(r.j.lines[r.id], fmt.Sprintf("%s [%s] %s", level, origin, message))
}

func (r *recorder) Progress(p execlog.Progress) {
	r.j.mu.Lock()
	r.j.progress[r.id] = p
	f := r.j.onProgress
	r.j.mu.Unlock()
	if f != nil {
		f(p)
	}
}

// fixture is a state store, an engine over the real plugins, and helpers
// to make sources, destinations and jobs.
type fixture struct {
	t       testing.TB
	st      *store.Store
	journal *journal
	eng     *engine.Engine
	opts    engine.Options
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	st := storetest.Open(t, nil)
	f := &fixture{t: t, st: st, journal: newJournal()}
	f.journal.statusAtFinish = func(id int64) store.ExecutionStatus {
		ex, err := st.Executions().Get(context.Background(), id)
		if err != nil {
			return ""
		}
		return ex.Status
	}
	f.opts = engine.Options{Store: st, Plugins: testHost, Journal: f.journal, BaseURL: "https://dbkeep.example/",
		// Short waits: a destination removed on purpose is retried quickly.
		Retry: storage.RetryPolicy{InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}}
	f.rebuild()
	return f
}

// rebuild makes the engine again after a test changed f.opts.
func (f *fixture) rebuild() {
	eng, err := engine.New(f.opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.eng = eng
}

func schemaOf(t testing.TB, id string) spec.Schema {
	for _, e := range testLoaded.Loaded {
		if e.ID == id && e.Description != nil {
			return e.Description.Schema
		}
	}
	t.Fatalf("plugin %s not loaded", id)
	return spec.Schema{}
}

// sqliteSource makes a SQLite database file of rows rows, each with a
// payload of payload random bytes, and a source for it.
func (f *fixture) sqliteSource(name string, rows, payload int) (path string, id int64) {
	f.t.Helper()
	path = filepath.Join(f.t.TempDir(), name+".db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL, payload BLOB NOT NULL)"); err != nil {
		f.t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		f.t.Fatal(err)
	}
	buf := make([]byte, payload)
	for i := range rows {
		rand.Read(buf)
		if _, err := tx.Exec("INSERT INTO items (label, payload) VALUES (?, ?)", fmt.Sprintf("item %d", i), buf); err != nil {
			f.t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		f.t.Fatal(err)
	}
	conn, err := f.st.Sources().Create(context.Background(), store.ConnectionInput{
		Name: name, PluginID: "database-sqlite", Schema: schemaOf(f.t, "database-sqlite"), Config: spec.Config{"path": path},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return path, conn.ID
}

// localDestination makes a local-storage destination over a new directory.
func (f *fixture) localDestination(name string) (dir string, id int64) {
	f.t.Helper()
	dir = filepath.Join(f.t.TempDir(), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	conn, err := f.st.Destinations().Create(context.Background(), store.ConnectionInput{
		Name: name, PluginID: "storage-local", Schema: schemaOf(f.t, "storage-local"), Config: spec.Config{"path": dir},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return dir, conn.ID
}

// job stores a backup job of source to dests (keep-all unless the test
// changes in.Destinations).
func (f *fixture) job(name string, source int64, compression string, profile *int64, dests ...int64) store.Job {
	f.t.Helper()
	in := store.JobInput{Name: name, SourceID: source, AllDatabases: true, Compression: compression,
		EncryptionProfileID: profile, Enabled: true, Timezone: "Europe/Berlin"}
	for _, d := range dests {
		in.Destinations = append(in.Destinations, store.JobDestination{DestinationID: d, Retention: store.Retention{Policy: store.RetentionKeepAll}})
	}
	job, err := f.st.Jobs().Create(context.Background(), in)
	if err != nil {
		f.t.Fatal(err)
	}
	return job
}

// claim enqueues a backup of job and claims it, as the queue does.
func (f *fixture) claim(jobID int64) store.Execution {
	f.t.Helper()
	ctx := context.Background()
	if _, err := f.st.Executions().Enqueue(ctx, store.NewExecution{Type: store.TypeBackup, Trigger: store.TriggerManual, JobID: &jobID}); err != nil {
		f.t.Fatal(err)
	}
	ex, ok, err := f.st.Executions().ClaimNext(ctx, 10)
	if err != nil || !ok {
		f.t.Fatalf("claim: %v %v", ok, err)
	}
	return ex
}

// run runs one backup of job to its end and returns the execution as stored.
func (f *fixture) run(ctx context.Context, jobID int64) store.Execution {
	f.t.Helper()
	ex := f.claim(jobID)
	f.eng.Run(ctx, ex)
	got, err := f.st.Executions().Get(context.Background(), ex.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	f.journal.mu.Lock()
	n, at := f.journal.finished[ex.ID], f.journal.atFinish[ex.ID]
	f.journal.mu.Unlock()
	if n != 1 || at != store.StatusRunning {
		f.t.Errorf("journal Finish called %d times for execution %d, the status then %q; want once, while running", n, ex.ID, at)
	}
	return got
}

// files lists the regular files under dir, relative, with slashes.
func files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

func sha256File(t testing.TB, path string) string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// readManifest reads a set's manifest from a local destination directory.
func readManifest(t testing.TB, dir, prefix string) backupset.Manifest {
	t.Helper()
	fh, err := os.Open(filepath.Join(dir, filepath.FromSlash(prefix), backupset.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	m, err := backupset.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// restoreObject decrypts (with key, when not nil) and decompresses a stored
// object into a file and returns its path.
func restoreObject(t testing.TB, path string, o backupset.Object, key []byte) string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var r io.Reader = fh
	if o.Encryption != nil {
		if r, err = dbk1.NewReader(r, key); err != nil {
			t.Fatal(err)
		}
	}
	dr, err := compress.NewReader(r, compress.Algorithm(o.Compression.Algorithm))
	if err != nil {
		t.Fatal(err)
	}
	defer dr.Close()
	out := filepath.Join(t.TempDir(), "restored."+o.Dump.Extension)
	of, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(of, dr); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if err := of.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tableDigest is the row count and a digest of every row of items.
func tableDigest(t testing.TB, path string) (int, string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT id, label, payload FROM items ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	h := sha256.New()
	n := 0
	for rows.Next() {
		var id int64
		var label string
		var payload []byte
		if err := rows.Scan(&id, &label, &payload); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%d|%s|%x\n", id, label, payload)
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n, hex.EncodeToString(h.Sum(nil))
}

// waitFor polls cond for up to d (for effects outside the engine's
// control, such as a process exiting).
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}
