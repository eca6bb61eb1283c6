package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/engine"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// watchedHost is the real plugin host whose storage clients report every
// Delete to a removalWatch before and after the real plugin carries it out,
// on the run's own goroutine: the test sees the store and the storage in
// each state a removal goes through. onNotifier, when set, runs when the
// engine asks for a notifier (a test breaks notify there).
type watchedHost struct {
	engine.PluginHost
	watch      *removalWatch
	onNotifier func()
}

func (h *watchedHost) Storage(id string) (host.StorageClient, error) {
	c, err := h.PluginHost.Storage(id)
	if err != nil {
		return nil, err
	}
	return &watchedStorage{StorageClient: c, watch: h.watch}, nil
}

func (h *watchedHost) Notifier(id string) (notification.Notifier, error) {
	if h.onNotifier != nil {
		h.onNotifier()
	}
	return h.PluginHost.Notifier(id)
}

type watchedStorage struct {
	host.StorageClient
	watch *removalWatch
}

func (s *watchedStorage) Delete(ctx context.Context, cfg spec.Config, name string) error {
	if err := s.watch.before(cfg["path"], name); err != nil {
		return err
	}
	err := s.StorageClient.Delete(ctx, cfg, name)
	s.watch.after(name)
	return err
}

// deletion is one Delete the engine asked of a local destination, with what
// the store and the storage held just before it.
type deletion struct {
	dest   int64
	prefix string
	name   string // inside the set: "manifest.json" or an object
	// row is the set row's status then, "" when the row was gone.
	row string
	// manifest reports whether manifest.json was still stored.
	manifest bool
}

// removalWatch checks, at every storage Delete of a job's sets, what the
// removal order promises: what GET /backups lists (the complete rows) has
// its manifest stored, before and after each Delete; the row being removed
// is already incomplete when its manifest goes, and still there (so that
// an interruption leaves a record) while its objects go; the manifest goes
// before any object.
type removalWatch struct {
	t     *testing.T
	st    *store.Store
	jobID int64
	// dirs maps each local destination's directory to its id.
	dirs map[string]int64
	// fail, when set, is asked before each Delete: an error is returned in
	// place of deleting (the removal stops there, as a crash would stop
	// it); a panic goes up through the engine.
	fail func(d deletion) error

	mu      sync.Mutex
	deletes []deletion
}

func newRemovalWatch(t *testing.T, f *fixture, jobID int64, dirs map[string]int64) *removalWatch {
	w := &removalWatch{t: t, st: f.st, jobID: jobID, dirs: dirs}
	f.opts.Plugins = &watchedHost{PluginHost: testHost, watch: w}
	f.rebuild()
	return w
}

func (w *removalWatch) dirOf(dest int64) string {
	for dir, id := range w.dirs {
		if id == dest {
			return dir
		}
	}
	w.t.Fatalf("destination %d is not watched", dest)
	return ""
}

func (w *removalWatch) manifestStored(dest int64, prefix string) bool {
	_, err := os.Stat(filepath.Join(w.dirOf(dest), filepath.FromSlash(prefix), backupset.ManifestName))
	return err == nil
}

// checkListed asserts that every set the backup list shows has its
// manifest stored.
func (w *removalWatch) checkListed(when string) {
	listed, _, err := w.st.BackupSets().List(context.Background(),
		store.BackupSetFilter{JobID: &w.jobID, Status: store.SetComplete}, store.Page{Limit: store.MaxPageSize})
	if err != nil {
		w.t.Errorf("%s: list the backups: %v", when, err)
		return
	}
	for _, s := range listed {
		if !w.manifestStored(s.DestinationID, s.Prefix) {
			w.t.Errorf("%s: set %s on destination %d is listed, but its manifest is gone", when, s.Prefix, s.DestinationID)
		}
	}
}

func (w *removalWatch) before(dir, name string) error {
	dest, ok := w.dirs[dir]
	if !ok {
		w.t.Errorf("Delete of %s on an unwatched destination %q", name, dir)
		return nil
	}
	d := deletion{dest: dest, prefix: path.Dir(name) + "/", name: path.Base(name)}
	sets, _, err := w.st.BackupSets().List(context.Background(), store.BackupSetFilter{JobID: &w.jobID}, store.Page{Limit: store.MaxPageSize})
	if err != nil {
		w.t.Errorf("before deleting %s: %v", name, err)
	}
	for _, s := range sets {
		if s.DestinationID == dest && s.Prefix == d.prefix {
			d.row = s.Status
		}
	}
	d.manifest = w.manifestStored(dest, d.prefix)
	w.checkListed("before deleting " + name)
	switch {
	case d.row == "":
		w.t.Errorf("deleting %s on destination %d: the set's row is already gone (it goes last)", name, dest)
	case d.row != store.SetIncomplete:
		w.t.Errorf("deleting %s on destination %d: the set's row is %s, still listed", name, dest, d.row)
	}
	if d.name != backupset.ManifestName && d.manifest {
		w.t.Errorf("deleting object %s on destination %d while the manifest is still stored", name, dest)
	}
	w.mu.Lock()
	w.deletes = append(w.deletes, d)
	w.mu.Unlock()
	if w.fail != nil {
		return w.fail(d)
	}
	return nil
}

func (w *removalWatch) after(name string) {
	w.checkListed("after deleting " + name)
}

// seen returns the deletions so far.
func (w *removalWatch) seen() []deletion {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]deletion(nil), w.deletes...)
}

// seedSets stores n complete sets of job on a local destination, each with
// objects and a manifest, from finished executions days old: what earlier
// runs left there for retention to decide on.
func (f *fixture) seedSets(job store.Job, dir string, dest int64, n int, objects ...string) []store.BackupSet {
	f.t.Helper()
	ctx := context.Background()
	var out []store.BackupSet
	for i := range n {
		ex := f.claim(job.ID)
		created := time.Now().UTC().Add(-time.Duration(n-i) * 24 * time.Hour).Truncate(time.Second)
		prefix := backupset.Prefix(job.Slug, created, ex.ID)
		set, err := f.st.BackupSets().Create(ctx, store.NewBackupSet{DestinationID: dest, JobID: job.ID, ExecutionID: ex.ID, Prefix: prefix, CreatedAt: created})
		if err != nil {
			f.t.Fatal(err)
		}
		if err := f.st.BackupSets().Complete(ctx, set.ID, 6, []byte(`{}`)); err != nil {
			f.t.Fatal(err)
		}
		for _, name := range append(objects, backupset.ManifestName) {
			p := filepath.Join(dir, filepath.FromSlash(prefix), name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				f.t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
				f.t.Fatal(err)
			}
		}
		if err := f.st.Executions().Finish(ctx, ex.ID, store.StatusSuccess, ""); err != nil {
			f.t.Fatal(err)
		}
		if set, err = f.st.BackupSets().Get(ctx, set.ID); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, set)
	}
	return out
}

// keepLastJob stores a job of source to dests keeping the last keep sets on
// each, with notification channels.
func (f *fixture) keepLastJob(name string, source int64, keep int, notify []store.JobNotification, dests ...int64) store.Job {
	f.t.Helper()
	in := store.JobInput{Name: name, SourceID: source, AllDatabases: true, Compression: "zstd", Enabled: true,
		Timezone: "Europe/Berlin", Notifications: notify}
	for _, d := range dests {
		in.Destinations = append(in.Destinations, store.JobDestination{DestinationID: d,
			Retention: store.Retention{Policy: store.RetentionSimple, KeepLast: &keep}})
	}
	job, err := f.st.Jobs().Create(context.Background(), in)
	if err != nil {
		f.t.Fatal(err)
	}
	return job
}

// checkOrder asserts that each removed set's manifest went before its
// objects (the watch checks it too, from storage; this checks the calls).
func checkOrder(t *testing.T, dels []deletion) {
	t.Helper()
	objectSeen := map[string]bool{}
	for _, d := range dels {
		key := fmt.Sprint(d.dest, " ", d.prefix)
		if d.name == backupset.ManifestName && objectSeen[key] {
			t.Errorf("the manifest of %s on destination %d was deleted after one of its objects", d.prefix, d.dest)
		}
		if d.name != backupset.ManifestName {
			objectSeen[key] = true
		}
	}
}

// Retention removes a listed set by taking it off the list (row
// incomplete), then its manifest, then its objects, then its row.
func TestRemovalOrderRetention(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, src := f.sqliteSource("books", 20, 50)
	dir1, d1 := f.localDestination("near")
	dir2, d2 := f.localDestination("far")
	job := f.keepLastJob("books", src, 1, nil, d1, d2)
	var old []store.BackupSet
	old = append(old, f.seedSets(job, dir1, d1, 3, "a.sqlite.zst", "b.sqlite.zst")...)
	old = append(old, f.seedSets(job, dir2, d2, 3, "a.sqlite.zst", "b.sqlite.zst")...)
	w := newRemovalWatch(t, f, job.ID, map[string]int64{dir1: d1, dir2: d2})

	ex := f.run(ctx, job.ID)
	if ex.Status != store.StatusSuccess {
		t.Fatalf("status %s (%s); log:\n%s", ex.Status, ex.Error, f.journal.log(ex.ID))
	}
	dels := w.seen()
	checkOrder(t, dels)
	// Each of the six old sets: its manifest, then its two objects.
	if len(dels) != 6*3 {
		t.Errorf("%d deletions, want 18: %+v", len(dels), dels)
	}
	manifests := 0
	for _, d := range dels {
		if d.name == backupset.ManifestName {
			manifests++
			if !d.manifest {
				t.Errorf("the manifest of %s was gone before the engine deleted it", d.prefix)
			}
		}
	}
	if manifests != 6 {
		t.Errorf("%d manifests deleted, want 6", manifests)
	}
	for _, s := range old {
		if _, err := f.st.BackupSets().Get(ctx, s.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the row of removed set %s: %v, want gone", s.Prefix, err)
		}
		if got := files(t, filepath.Join(w.dirOf(s.DestinationID), s.Prefix)); len(got) != 0 {
			t.Errorf("removed set %s still holds %v", s.Prefix, got)
		}
	}
	if sets := completeSets(t, f.st, job.ID); len(sets) != 2 {
		t.Errorf("%d sets listed, want this run's 2", len(sets))
	}
}

// A cancel while the sets are being sealed removes every set of the run,
// the one already sealed (listed for a moment) included: it leaves the
// list before its manifest goes.
func TestRemovalOrderCancelWhileSealing(t *testing.T) {
	f := newFixture(t)
	_, src := f.sqliteSource("maps", 20, 50)
	dir1, d1 := f.localDestination("first")
	dir2, d2 := f.localDestination("second")
	job := f.keepLastJob("maps", src, 5, nil, d1, d2)
	w := newRemovalWatch(t, f, job.ID, map[string]int64{dir1: d1, dir2: d2})
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var once sync.Once
	var listedAtCancel atomic.Int32
	f.journal.onProgress = func(p execlog.Progress) {
		// The first destination is sealed, the second not yet.
		if len(p.Destinations) == 2 && p.Destinations[0].State == "done" && p.Destinations[1].State != "done" {
			once.Do(func() {
				listedAtCancel.Store(int32(len(completeSets(t, f.st, job.ID))))
				cancel(queue.ErrCancelled)
			})
		}
	}
	ex := f.run(ctx, job.ID)
	if ex.Status != store.StatusCancelled {
		t.Fatalf("status %s (%s), want cancelled; log:\n%s", ex.Status, ex.Error, f.journal.log(ex.ID))
	}
	if n := listedAtCancel.Load(); n != 1 {
		t.Fatalf("%d set(s) listed when the cancel came, want the first destination's (the test missed its moment)", n)
	}
	dels := w.seen()
	checkOrder(t, dels)
	var sealedManifest bool
	for _, d := range dels {
		if d.dest == d1 && d.name == backupset.ManifestName && d.manifest {
			sealedManifest = true
		}
	}
	if !sealedManifest {
		t.Errorf("the sealed set's manifest was never deleted: %+v", dels)
	}
	for _, dir := range []string{dir1, dir2} {
		if got := files(t, dir); len(got) != 0 {
			t.Errorf("%s holds %v after the cancel", dir, got)
		}
	}
	if sets := allSets(t, f.st, job.ID); len(sets) != 0 {
		t.Errorf("rows left: %+v", sets)
	}
}

// A destination that fails its verification has its partial set removed
// (never listed: objects, then the row) while the other one is kept.
func TestRemovalOrderFailedDestination(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, src := f.sqliteSource("tasks", 20, 50)
	dir1, d1 := f.localDestination("good")
	dir2, d2 := f.localDestination("bad")
	job := f.keepLastJob("tasks", src, 5, nil, d1, d2)
	w := newRemovalWatch(t, f, job.ID, map[string]int64{dir1: d1, dir2: d2})
	var once sync.Once
	f.journal.onProgress = func(p execlog.Progress) {
		if p.Stage != "verify" {
			return
		}
		once.Do(func() {
			// The object is stored; it shrinks before the engine checks it.
			for _, name := range files(t, dir2) {
				if err := os.Truncate(filepath.Join(dir2, filepath.FromSlash(name)), 1); err != nil {
					t.Error(err)
				}
			}
		})
	}
	ex := f.run(ctx, job.ID)
	if ex.Status != store.StatusPartial || !strings.Contains(ex.Error, `"bad"`) {
		t.Fatalf("status %s (%s), want partial naming the bad destination; log:\n%s", ex.Status, ex.Error, f.journal.log(ex.ID))
	}
	dels := w.seen()
	checkOrder(t, dels)
	var objects int
	for _, d := range dels {
		if d.dest != d2 {
			t.Errorf("deletion on the good destination: %+v", d)
		}
		if d.name != backupset.ManifestName {
			objects++
		}
	}
	if objects != 1 {
		t.Errorf("%d objects of the bad destination deleted, want its 1: %+v", objects, dels)
	}
	if got := files(t, dir2); len(got) != 0 {
		t.Errorf("the bad destination holds %v", got)
	}
	if sets := allSets(t, f.st, job.ID); len(sets) != 1 || sets[0].DestinationID != d1 || sets[0].Status != store.SetComplete {
		t.Errorf("rows %+v, want the good destination's complete set only", sets)
	}
	if got := files(t, dir1); len(got) != 2 {
		t.Errorf("the good destination holds %v", got)
	}
}

// A removal stopped after the manifest went (a crash, here a destination
// refusing to delete an object) leaves an unlisted incomplete row with its
// objects, which the start-up recovery (CleanupInterrupted) removes.
func TestRemovalOrderInterruptedThenRecovered(t *testing.T) {
	f := newFixture(t)
	_, src := f.sqliteSource("notes", 20, 50)
	dir1, d1 := f.localDestination("first")
	dir2, d2 := f.localDestination("second")
	job := f.keepLastJob("notes", src, 5, nil, d1, d2)
	w := newRemovalWatch(t, f, job.ID, map[string]int64{dir1: d1, dir2: d2})
	w.fail = func(d deletion) error {
		if d.dest == d1 && d.name != backupset.ManifestName {
			return spec.ErrPermission
		}
		return nil
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var once sync.Once
	f.journal.onProgress = func(p execlog.Progress) {
		if len(p.Destinations) == 2 && p.Destinations[0].State == "done" && p.Destinations[1].State != "done" {
			once.Do(func() { cancel(queue.ErrCancelled) })
		}
	}
	ex := f.run(ctx, job.ID)
	if ex.Status != store.StatusCancelled {
		t.Fatalf("status %s (%s), want cancelled; log:\n%s", ex.Status, ex.Error, f.journal.log(ex.ID))
	}
	if log := f.journal.log(ex.ID); !strings.Contains(log, `destination "first" (1): could not remove the partial set`) {
		t.Errorf("the failed removal is not logged:\n%s", log)
	}
	// What the interruption left: an incomplete row, not listed, no
	// manifest, the object still stored.
	sets := allSets(t, f.st, job.ID)
	if len(sets) != 1 || sets[0].DestinationID != d1 || sets[0].Status != store.SetIncomplete {
		t.Fatalf("rows %+v, want the first destination's, incomplete", sets)
	}
	if got := files(t, dir1); len(got) != 1 || strings.HasSuffix(got[0], backupset.ManifestName) {
		t.Errorf("the first destination holds %v, want the object without its manifest", got)
	}
	if got := completeSets(t, f.st, job.ID); len(got) != 0 {
		t.Errorf("listed: %+v", got)
	}

	w.fail = nil
	if err := f.eng.CleanupInterrupted(context.Background(), ex.ID); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir1); len(got) != 0 {
		t.Errorf("after the recovery the first destination holds %v", got)
	}
	if sets := allSets(t, f.st, job.ID); len(sets) != 0 {
		t.Errorf("after the recovery rows are left: %+v", sets)
	}
}
