package store

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// queueFixture is a store with two jobs and a ticking clock, so queue order
// is visible in the times.
func queueFixture(t *testing.T) (*Store, int64, int64) {
	t.Helper()
	s := newStore(t)
	var mu sync.Mutex
	tick := time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)
	s.clock = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		tick = tick.Add(time.Second)
		return tick
	}
	src, err := s.Sources().Create(context.Background(), ConnectionInput{Name: "src", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	return s, addJob(t, s, "a", src.ID, 0), addJob(t, s, "b", src.ID, 0)
}

func TestExecutionQueue(t *testing.T) {
	ctx := context.Background()
	s, jobA, jobB := queueFixture(t)
	ex := s.Executions()

	first, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerSchedule, JobID: &jobA})
	if err != nil {
		t.Fatal(err)
	}
	want := Execution{ID: first.ID, Type: TypeBackup, Status: StatusPending, Trigger: TriggerSchedule,
		JobID: &jobA, JobName: "a", Params: json.RawMessage("{}"), QueuedAt: first.QueuedAt}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("Enqueue (-want +got):\n%s", diff)
	}
	if first.QueuedAt.Location() != time.UTC {
		t.Error("queued time not UTC")
	}
	if _, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobA}); !errors.Is(err, ErrConflict) {
		t.Fatalf("second backup of a pending job: got %v, want ErrConflict", err)
	}
	missing := int64(999)
	if _, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &missing}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("backup of a missing job: got %v, want ErrNotFound", err)
	}
	if _, err := ex.Enqueue(ctx, NewExecution{Type: "copy", Trigger: TriggerManual}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown type: got %v, want ErrInvalid", err)
	}
	second, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerAPI, JobID: &jobB})
	if err != nil {
		t.Fatal(err)
	}
	third, err := ex.Enqueue(ctx, NewExecution{Type: TypeVerify, Trigger: TriggerManual, Params: json.RawMessage(`{"deep":true}`)})
	if err != nil {
		t.Fatal(err)
	}

	// FIFO, bounded by maxRunning.
	got, ok, err := ex.ClaimNext(ctx, 2)
	if err != nil || !ok || got.ID != first.ID || got.Status != StatusRunning || got.StartedAt == nil {
		t.Fatalf("first claim: %+v %v %v", got, ok, err)
	}
	got, ok, err = ex.ClaimNext(ctx, 2)
	if err != nil || !ok || got.ID != second.ID {
		t.Fatalf("second claim: %+v %v %v", got, ok, err)
	}
	if _, ok, err := ex.ClaimNext(ctx, 2); ok || err != nil {
		t.Fatalf("claim beyond maxRunning: ok %v err %v", ok, err)
	}

	if err := ex.Progress(ctx, first.ID, 10, 100, "dump"); err != nil {
		t.Fatal(err)
	}
	if err := ex.Finish(ctx, first.ID, StatusRunning, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("finish with a non-final status: %v", err)
	}
	if err := ex.Finish(ctx, first.ID, StatusSuccess, ""); err != nil {
		t.Fatal(err)
	}
	if err := ex.Finish(ctx, first.ID, StatusFailed, "again"); !errors.Is(err, ErrNotFound) {
		t.Errorf("finishing twice: got %v, want ErrNotFound", err)
	}
	done, err := ex.Get(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != StatusSuccess || done.FinishedAt == nil || done.BytesDone != 10 || done.Stage != "dump" {
		t.Errorf("finished run: %+v", done)
	}
	// The job is free again once its run finished.
	if _, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobA}); err != nil {
		t.Errorf("re-enqueue after finish: %v", err)
	}

	got, ok, err = ex.ClaimNext(ctx, 2)
	if err != nil || !ok || got.ID != third.ID || string(got.Params) != `{"deep":true}` {
		t.Fatalf("third claim: %+v %v %v", got, ok, err)
	}

	list, total, err := ex.List(ctx, ExecutionFilter{JobID: &jobA}, Page{})
	if err != nil || total != 2 || list[0].Status != StatusPending || list[1].ID != first.ID {
		t.Errorf("List by job: %d %+v %v", total, list, err)
	}
	running, total, err := ex.List(ctx, ExecutionFilter{Statuses: []ExecutionStatus{StatusRunning}}, Page{})
	if err != nil || total != 2 || len(running) != 2 {
		t.Errorf("List running: %d %v", total, err)
	}

	// A crash leaves runs running; the next start interrupts them.
	ids, err := ex.InterruptRunning(ctx, "the core stopped")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{second.ID, third.ID}, ids); diff != "" {
		t.Errorf("interrupted (-want +got):\n%s", diff)
	}
	if got, _ := ex.Get(ctx, second.ID); got.Status != StatusInterrupted || got.FinishedAt == nil || got.Error != "the core stopped" {
		t.Errorf("interrupted run: %+v", got)
	}
}

func TestExecutionCancel(t *testing.T) {
	ctx := context.Background()
	s, jobA, jobB := queueFixture(t)
	ex := s.Executions()
	running, _ := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobA})
	if _, ok, err := ex.ClaimNext(ctx, 1); !ok || err != nil {
		t.Fatal(ok, err)
	}
	pending, _ := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobB})

	got, err := ex.RequestCancel(ctx, pending.ID)
	if err != nil || got.Status != StatusCancelled || got.FinishedAt == nil || got.StartedAt != nil {
		t.Errorf("cancel pending: %+v %v", got, err)
	}
	got, err = ex.RequestCancel(ctx, running.ID)
	if err != nil || got.Status != StatusRunning || !got.CancelRequested {
		t.Errorf("cancel running: %+v %v", got, err)
	}
	if err := ex.Finish(ctx, running.ID, StatusCancelled, ""); err != nil {
		t.Fatal(err)
	}
	got, err = ex.RequestCancel(ctx, running.ID)
	if err != nil || got.Status != StatusCancelled {
		t.Errorf("cancel finished: %+v %v", got, err)
	}
	if _, err := ex.RequestCancel(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel missing: %v", err)
	}
}

func TestExecutionLogsAndHistory(t *testing.T) {
	ctx := context.Background()
	s, jobA, _ := queueFixture(t)
	ex := s.Executions()
	run, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobA})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 10, 25, 2, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	if err := ex.AppendLogs(ctx, run.ID, []LogLine{
		{Level: LogInfo, Message: "starting"},
		{Level: LogWarn, Origin: "database-postgres", Message: "pg_dump: warning", At: at},
	}); err != nil {
		t.Fatal(err)
	}
	if err := ex.AppendLogs(ctx, run.ID, []LogLine{{Level: "fatal", Message: "x"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown level: %v", err)
	}
	if err := ex.AppendLogs(ctx, 999, []LogLine{{Level: LogInfo, Message: "x"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("log of a missing run: %v", err)
	}
	lines, err := ex.Logs(ctx, run.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].Origin != "core" || lines[1].Origin != "database-postgres" ||
		!lines[1].At.Equal(at) || lines[1].At.Location() != time.UTC {
		t.Fatalf("logs: %+v", lines)
	}
	after, err := ex.Logs(ctx, run.ID, lines[0].ID, 10)
	if err != nil || len(after) != 1 || after[0].Message != "pg_dump: warning" {
		t.Errorf("logs after the first line: %+v %v", after, err)
	}

	// History outlives the job: the run keeps the job's name.
	exec(t, s, "DELETE FROM jobs WHERE id = ?", jobA)
	got, err := ex.Get(ctx, run.ID)
	if err != nil || got.JobID != nil || got.JobName != "a" {
		t.Errorf("run of a deleted job: %+v %v", got, err)
	}
	if lines, _ := ex.Logs(ctx, run.ID, 0, 0); len(lines) != 2 {
		t.Errorf("logs of a deleted job's run: %d lines", len(lines))
	}
}

// TestClaimNextConcurrent: many workers claiming at once never claim one run
// twice nor exceed maxRunning.
func TestClaimNextConcurrent(t *testing.T) {
	ctx := context.Background()
	s, _, _ := queueFixture(t)
	ex := s.Executions()
	const runs, maxRunning = 30, 30
	for range runs {
		if _, err := ex.Enqueue(ctx, NewExecution{Type: TypeVerify, Trigger: TriggerSchedule}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[int64]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				got, ok, err := ex.ClaimNext(ctx, maxRunning)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				claimed[got.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != runs {
		t.Errorf("%d runs claimed, want %d", len(claimed), runs)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("run %d claimed %d times", id, n)
		}
	}
}
