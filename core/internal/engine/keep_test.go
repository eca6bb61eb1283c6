package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// These tests break a run once its sets are sealed (every manifest stored,
// every row complete): a cancel or a panic from then on must leave the
// backup whole on every destination and listed, with the status it earned.
// The faults are injected from the journal's progress reports, which name
// the step that starts, and from the watched plugin host.

// keepFixture is a source, two local destinations, each holding two sets
// of earlier runs, and a job keeping the last set on each, with a webhook
// channel that wants successes.
type keepFixture struct {
	*fixture
	job   store.Job
	dirs  map[string]int64
	old   []store.BackupSet
	watch *removalWatch
	// delivered receives the type of every event the webhook got.
	delivered chan string
}

func newKeepFixture(t *testing.T) *keepFixture {
	f := newFixture(t)
	k := &keepFixture{fixture: f, delivered: make(chan string, 8)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string `json:"type"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("delivery: %v", err)
		}
		k.delivered <- ev.Type
	}))
	t.Cleanup(srv.Close)
	channel, err := f.st.NotificationChannels().Create(context.Background(), store.ConnectionInput{Name: "hook", PluginID: "notification-webhook",
		Schema: schemaOf(t, "notification-webhook"), Config: spec.Config{"url": srv.URL, "timeout": "5"}})
	if err != nil {
		t.Fatal(err)
	}
	_, src := f.sqliteSource("sales", 50, 100)
	dir1, d1 := f.localDestination("one")
	dir2, d2 := f.localDestination("two")
	k.dirs = map[string]int64{dir1: d1, dir2: d2}
	k.job = f.keepLastJob("sales", src, 1, []store.JobNotification{{ChannelID: channel.ID, OnSuccess: true, OnFailure: true}}, d1, d2)
	k.old = append(f.seedSets(k.job, dir1, d1, 2, "sales.sqlite.zst"), f.seedSets(k.job, dir2, d2, 2, "sales.sqlite.zst")...)
	k.watch = newRemovalWatch(t, f, k.job.ID, k.dirs)
	return k
}

// checkKept asserts that ex stored a whole, listed set on every
// destination: a complete row with its manifest, the manifest in storage
// naming ex, and every object it lists stored with its size and SHA-256.
func (k *keepFixture) checkKept(t *testing.T, ex store.Execution) {
	t.Helper()
	var mine []store.BackupSet
	for _, s := range completeSets(t, k.st, k.job.ID) {
		if s.ExecutionID != nil && *s.ExecutionID == ex.ID {
			mine = append(mine, s)
		}
	}
	if len(mine) != len(k.dirs) {
		t.Fatalf("%d set(s) of execution %d listed, want one on each of the %d destinations; log:\n%s", len(mine), ex.ID, len(k.dirs), k.journal.log(ex.ID))
	}
	for _, s := range mine {
		dir := k.watch.dirOf(s.DestinationID)
		if s.Manifest == nil || s.SizeBytes == 0 {
			t.Errorf("set row %+v", s)
		}
		m := readManifest(t, dir, s.Prefix)
		if m.ExecutionID != ex.ID || len(m.Objects) != 1 {
			t.Errorf("manifest on destination %d: execution %d, %d object(s)", s.DestinationID, m.ExecutionID, len(m.Objects))
		}
		for _, o := range m.Objects {
			if got := sha256File(t, filepath.Join(dir, filepath.FromSlash(s.Prefix), o.Name)); got != o.SHA256 {
				t.Errorf("%s%s on destination %d: SHA-256 %s, the manifest says %s", s.Prefix, o.Name, s.DestinationID, got, o.SHA256)
			}
		}
	}
}

// checkOld asserts whether retention removed the sets of earlier runs
// (removed) or left every one whole and listed.
func (k *keepFixture) checkOld(t *testing.T, removed bool) {
	t.Helper()
	for _, s := range k.old {
		got, err := k.st.BackupSets().Get(context.Background(), s.ID)
		stored := files(t, filepath.Join(k.watch.dirOf(s.DestinationID), filepath.FromSlash(s.Prefix)))
		switch {
		case removed && (!errors.Is(err, store.ErrNotFound) || len(stored) != 0):
			t.Errorf("old set %s: row %+v (%v), files %v; want removed by retention", s.Prefix, got, err, stored)
		case !removed && (err != nil || got.Status != store.SetComplete || len(stored) != 2):
			t.Errorf("old set %s: row %+v (%v), files %v; want kept whole", s.Prefix, got, err, stored)
		}
	}
}

// checkDelivered asserts whether the webhook was told of the success.
func (k *keepFixture) checkDelivered(t *testing.T, want bool) {
	t.Helper()
	select {
	case typ := <-k.delivered:
		if !want || typ != "backup.success" {
			t.Errorf("delivered %s; want a delivery: %v", typ, want)
		}
	case <-time.After(200 * time.Millisecond):
		if want {
			t.Error("the success was not delivered")
		}
	}
}

// allSealed reports whether every destination of p is done (its set
// sealed): the progress verifyAndSeal publishes after the last manifest.
func allSealed(p execlog.Progress) bool {
	if len(p.Destinations) == 0 {
		return false
	}
	for _, d := range p.Destinations {
		if d.State != "done" {
			return false
		}
	}
	return true
}

func atStage(name string) func(execlog.Progress) bool {
	return func(p execlog.Progress) bool { return p.Stage == name }
}

// A cancel (or a shutdown) arriving once every set is sealed keeps them:
// the run is a success; retention is skipped or stops before its next
// removal, and the outcome is still notified (docs/backups.md, "A cancel
// that arrives after every set is complete").
func TestCancelAfterSealingKeepsTheSets(t *testing.T) {
	for _, tc := range []struct {
		name  string
		at    func(execlog.Progress) bool
		cause error
		// retained: retention ran, and removed the earlier sets.
		retained bool
		log      string
	}{
		{"cancel after the last manifest", allSealed, queue.ErrCancelled, false, "retention skipped: cancelled by request after the backup was stored"},
		{"shutdown after the last manifest", allSealed, queue.ErrShutdown, false, "retention skipped: dbkeep is shutting down after the backup was stored"},
		{"cancel as retention starts", atStage("retention"), queue.ErrCancelled, false, "stopped by the cancel, the next run goes on"},
		{"shutdown as retention starts", atStage("retention"), queue.ErrShutdown, false, "stopped by the cancel, the next run goes on"},
		{"cancel as notify starts", atStage("notify"), queue.ErrCancelled, true, "notification channel \"hook\": sent backup.success"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKeepFixture(t)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			var once sync.Once
			cancelled := false
			k.journal.onProgress = func(p execlog.Progress) {
				if tc.at(p) {
					once.Do(func() { cancelled = true; cancel(tc.cause) })
				}
			}
			ex := k.run(ctx, k.job.ID)
			if !cancelled {
				t.Fatal("the run never reached the point of the cancel")
			}
			if ex.Status != store.StatusSuccess || ex.Error != "" {
				t.Fatalf("status %s (%s), want success; log:\n%s", ex.Status, ex.Error, k.journal.log(ex.ID))
			}
			k.checkKept(t, ex)
			k.checkOld(t, tc.retained)
			k.checkDelivered(t, true)
			if log := k.journal.log(ex.ID); !strings.Contains(log, tc.log) {
				t.Errorf("the log does not say %q:\n%s", tc.log, log)
			}
		})
	}
}

// A panic once every set is sealed (retention or notify has a bug) keeps
// them: the status stays the one decided before, and the log says what
// broke.
func TestPanicAfterSealingKeepsTheSets(t *testing.T) {
	const internal = "internal error after the backup was stored: injected fault"
	for _, tc := range []struct {
		name string
		// breakAt makes the run panic at the point the case names.
		breakAt  func(k *keepFixture)
		retained bool
		// notified: notify ran past the fault.
		notified bool
	}{
		{"panic as retention starts", func(k *keepFixture) {
			k.journal.onProgress = func(p execlog.Progress) {
				if p.Stage == "retention" {
					panic("injected fault")
				}
			}
		}, false, false},
		{"panic as notify starts", func(k *keepFixture) {
			k.journal.onProgress = func(p execlog.Progress) {
				if p.Stage == "notify" {
					panic("injected fault")
				}
			}
		}, true, false},
		{"panic in a notification's send", func(k *keepFixture) {
			k.opts.Plugins.(*watchedHost).onNotifier = func() { panic("injected fault") }
		}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKeepFixture(t)
			tc.breakAt(k)
			ex := k.run(context.Background(), k.job.ID)
			if ex.Status != store.StatusSuccess || ex.Error != "" {
				t.Fatalf("status %s (%s), want success; log:\n%s", ex.Status, ex.Error, k.journal.log(ex.ID))
			}
			k.checkKept(t, ex)
			k.checkOld(t, tc.retained)
			k.checkDelivered(t, tc.notified)
			if log := k.journal.log(ex.ID); !strings.Contains(log, "error [core] "+internal) {
				t.Errorf("the log does not say %q:\n%s", internal, log)
			}
		})
	}
}

// A panic in the middle of a retention removal costs that destination's
// pruning only: the run's sets stay, the other destination is pruned, the
// outcome is notified, and the set whose removal broke is left unlisted,
// for the next run's retention to finish once the grace period is over.
func TestPanicInARetentionRemoval(t *testing.T) {
	k := newKeepFixture(t)
	var once sync.Once
	k.watch.fail = func(d deletion) error {
		once.Do(func() { panic("injected fault") })
		return nil
	}
	ex := k.run(context.Background(), k.job.ID)
	if ex.Status != store.StatusSuccess || ex.Error != "" {
		t.Fatalf("status %s (%s), want success; log:\n%s", ex.Status, ex.Error, k.journal.log(ex.ID))
	}
	k.checkKept(t, ex)
	k.checkDelivered(t, true)
	dels := k.watch.seen()
	if len(dels) == 0 {
		t.Fatal("retention deleted nothing")
	}
	broken := dels[0]
	if log := k.journal.log(ex.ID); !strings.Contains(log, "internal error: injected fault") {
		t.Errorf("the panic is not logged:\n%s", log)
	}
	for _, s := range k.old {
		got, err := k.st.BackupSets().Get(context.Background(), s.ID)
		switch {
		case s.DestinationID != broken.dest:
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("old set %s on the other destination: %+v (%v), want removed", s.Prefix, got, err)
			}
		case s.Prefix == broken.prefix:
			// Taken off the list, then the fault: its files are all there.
			if err != nil || got.Status != store.SetIncomplete || !k.watch.manifestStored(s.DestinationID, s.Prefix) {
				t.Errorf("the set whose removal broke: %+v (%v), want an incomplete row with its files", got, err)
			}
		default:
			if err != nil || got.Status != store.SetComplete {
				t.Errorf("old set %s after the fault: %+v (%v), want kept for the next run", s.Prefix, got, err)
			}
		}
	}

	// The next run, past the grace period, removes what the fault left.
	k.opts.IncompleteGrace = time.Nanosecond
	k.rebuild()
	next := k.run(context.Background(), k.job.ID)
	if next.Status != store.StatusSuccess {
		t.Fatalf("next run: status %s (%s); log:\n%s", next.Status, next.Error, k.journal.log(next.ID))
	}
	k.checkKept(t, next)
	k.checkOld(t, true)
	for dir := range k.dirs {
		if got := files(t, dir); len(got) != 2 {
			t.Errorf("%s holds %v, want the newest set only", dir, got)
		}
	}
	if sets := allSets(t, k.st, k.job.ID); len(sets) != 2 {
		t.Errorf("%d rows, want the newest set on each destination", len(sets))
	}
}
