package executions

import (
	"context"
	"errors"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// idleRunner is never called: the queue is not started, so runs stay
// pending, which is what these tests look at.
type idleRunner struct{}

func (idleRunner) Run(context.Context, store.Execution)            {}
func (idleRunner) CleanupInterrupted(context.Context, int64) error { return nil }

func newService(t *testing.T) (*Service, *execlog.Journal, int64) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, nil)
	src, err := st.Sources().Create(ctx, store.ConnectionInput{Name: "src", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := st.Destinations().Create(ctx, store.ConnectionInput{Name: "dst", PluginID: "storage-local", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	job, err := st.Jobs().Create(ctx, store.JobInput{Name: "nightly", SourceID: src.ID, AllDatabases: true, Compression: "zstd",
		Destinations: []store.JobDestination{{DestinationID: dst.ID, Retention: store.Retention{Policy: store.RetentionKeepAll}}}})
	if err != nil {
		t.Fatal(err)
	}
	j := execlog.New(st.Executions(), nil)
	return New(st, queue.New(queue.Options{Store: st, Runner: idleRunner{}}), j), j, job.ID
}

func TestRunTwiceNamesTheQueuedRun(t *testing.T) {
	ctx := context.Background()
	svc, _, job := newService(t)
	first, err := svc.Run(ctx, job, By{UserID: 0})
	if err != nil {
		t.Fatal(err)
	}
	if first.Trigger != store.TriggerManual || first.UserID != nil || first.DurationMs != nil {
		t.Fatalf("first run %+v", first)
	}
	_, err = svc.Run(ctx, job, By{})
	var queued *AlreadyQueuedError
	if !errors.As(err, &queued) || queued.Execution.ID != first.ID || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second run: %v", err)
	}
	if _, err := svc.Run(ctx, 999, By{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing job: %v", err)
	}
}

func TestCancelFinishedIsAConflict(t *testing.T) {
	ctx := context.Background()
	svc, _, job := newService(t)
	run, err := svc.Run(ctx, job, By{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Cancel(ctx, run.ID)
	if err != nil || got.Status != store.StatusCancelled {
		t.Fatalf("cancel pending: %+v, %v", got, err)
	}
	if _, err := svc.Cancel(ctx, run.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("cancel cancelled: %v", err)
	}
	if _, err := svc.Cancel(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cancel missing: %v", err)
	}
}

func TestGetCarriesTheJournalsProgress(t *testing.T) {
	ctx := context.Background()
	svc, j, job := newService(t)
	run, err := svc.Run(ctx, job, By{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Get(ctx, run.ID); got.Progress != nil {
		t.Fatalf("progress before any: %+v", got.Progress)
	}
	rec := j.For(run.ID)
	rec.Progress(execlog.Progress{Stage: "dump", BytesRead: 42, Destinations: []execlog.DestinationProgress{{DestinationID: 1, State: "pending"}}})
	rec.Log(execlog.Warn, "database-sqlite", "slow disk")
	if err := j.Finish(run.ID); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Get(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Progress == nil || got.Progress.BytesRead != 42 || got.BytesDone != 42 || got.Stage != "dump" || len(got.Progress.Destinations) != 1 {
		t.Fatalf("run %+v progress %+v", got, got.Progress)
	}
	lines, err := svc.Logs(ctx, run.ID, 0, 0)
	if err != nil || len(lines) != 1 || lines[0].Origin != "database-sqlite" || lines[0].Level != store.LogWarn {
		t.Fatalf("logs %+v, %v", lines, err)
	}
	if _, err := svc.Logs(ctx, 999, 0, 10); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("logs of a missing run: %v", err)
	}
}
