package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestAppendLogsFillsIDs(t *testing.T) {
	ctx := context.Background()
	s, job, _ := queueFixture(t)
	ex := s.Executions()
	run, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &job})
	if err != nil {
		t.Fatal(err)
	}
	batch := []LogLine{{Level: LogInfo, Message: "one"}, {Level: LogDebug, Origin: "database-sqlite", Message: "two"}}
	if err := ex.AppendLogs(ctx, run.ID, batch); err != nil {
		t.Fatal(err)
	}
	if batch[0].ID == 0 || batch[1].ID <= batch[0].ID || batch[0].At.IsZero() || batch[0].Origin != "core" {
		t.Fatalf("lines after append: %+v", batch)
	}
	stored, err := ex.Logs(ctx, run.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || stored[0] != batch[0] || stored[1] != batch[1] {
		t.Fatalf("stored %+v, appended %+v", stored, batch)
	}
	// A failed batch stores nothing and leaves the caller's lines as they were.
	bad := []LogLine{{Level: LogInfo, Message: "kept?"}, {Level: "fatal", Message: "x"}}
	if err := ex.AppendLogs(ctx, run.ID, bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad level: %v", err)
	}
	if bad[0].ID != 0 {
		t.Fatalf("failed batch got ids: %+v", bad)
	}
	if again, _ := ex.Logs(ctx, run.ID, 0, 0); len(again) != 2 {
		t.Fatalf("failed batch stored lines: %+v", again)
	}
}

func TestSaveProgress(t *testing.T) {
	ctx := context.Background()
	s, job, _ := queueFixture(t)
	ex := s.Executions()
	run, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &job})
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := ex.ProgressOf(ctx, run.ID); err != nil || string(doc) != "{}" {
		t.Fatalf("fresh progress %q, %v", doc, err)
	}
	doc := json.RawMessage(`{"stage":"dump","bytesRead":10}`)
	if err := ex.SaveProgress(ctx, run.ID, 10, 100, "dump", doc); err != nil {
		t.Fatal(err)
	}
	got, err := ex.Get(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.BytesDone != 10 || got.BytesTotal != 100 || got.Stage != "dump" {
		t.Fatalf("summary columns %+v", got)
	}
	if back, _ := ex.ProgressOf(ctx, run.ID); string(back) != string(doc) {
		t.Fatalf("progress %s, want %s", back, doc)
	}
	// A finished run still takes its last progress.
	if _, err := ex.RequestCancel(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	if err := ex.SaveProgress(ctx, run.ID, -1, 0, "finalize", nil); err != nil {
		t.Fatalf("progress of a finished run: %v", err)
	}
	if back, _ := ex.ProgressOf(ctx, run.ID); string(back) != "{}" {
		t.Fatalf("empty progress stored as %s", back)
	}
	if err := ex.SaveProgress(ctx, run.ID, 0, 0, "", json.RawMessage("{not json")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid JSON: %v", err)
	}
	if err := ex.SaveProgress(ctx, 999, 0, 0, "", nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing run: %v", err)
	}
}

func TestSearchExecutions(t *testing.T) {
	ctx := context.Background()
	s, jobA, jobB := queueFixture(t) // the clock ticks one second per reading
	ex := s.Executions()
	a1, _ := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobA})
	b1, _ := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobB})
	if _, err := ex.RequestCancel(ctx, a1.ID); err != nil {
		t.Fatal(err)
	}
	a2, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerAPI, JobID: &jobA})
	if err != nil {
		t.Fatal(err)
	}
	v, err := ex.Enqueue(ctx, NewExecution{Type: TypeVerify, Trigger: TriggerSchedule, JobID: &jobA})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(f ExecutionFilter, p Page) ([]int64, int) {
		t.Helper()
		got, total, err := ex.List(ctx, f, p)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, e := range got {
			out = append(out, e.ID)
		}
		return out, total
	}
	check := func(name string, f ExecutionFilter, p Page, want []int64, wantTotal int) {
		t.Helper()
		got, total := ids(f, p)
		if total != wantTotal || len(got) != len(want) {
			t.Fatalf("%s: ids %v total %d, want %v total %d", name, got, total, want, wantTotal)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: ids %v, want %v", name, got, want)
			}
		}
	}
	check("all, newest first", ExecutionFilter{}, Page{}, []int64{v.ID, a2.ID, b1.ID, a1.ID}, 4)
	check("job A", ExecutionFilter{JobID: &jobA}, Page{}, []int64{v.ID, a2.ID, a1.ID}, 3)
	check("pending or cancelled", ExecutionFilter{Statuses: []ExecutionStatus{StatusCancelled, StatusPending}}, Page{}, []int64{v.ID, a2.ID, b1.ID, a1.ID}, 4)
	check("cancelled", ExecutionFilter{Statuses: []ExecutionStatus{StatusCancelled}}, Page{}, []int64{a1.ID}, 1)
	check("verify", ExecutionFilter{Type: TypeVerify}, Page{}, []int64{v.ID}, 1)
	check("since b1", ExecutionFilter{Since: b1.QueuedAt}, Page{}, []int64{v.ID, a2.ID, b1.ID}, 3)
	check("until b1 (exclusive)", ExecutionFilter{Until: b1.QueuedAt}, Page{}, []int64{a1.ID}, 1)
	check("window", ExecutionFilter{Since: b1.QueuedAt, Until: v.QueuedAt.Add(-time.Millisecond)}, Page{}, []int64{a2.ID, b1.ID}, 2)
	check("page 2 of 2", ExecutionFilter{}, Page{Limit: 2, Offset: 2}, []int64{b1.ID, a1.ID}, 4)
}
