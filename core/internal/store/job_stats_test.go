package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// run enqueues a backup of job, runs it and finishes it in status.
func run(t *testing.T, s *Store, job int64, status ExecutionStatus) Execution {
	t.Helper()
	ctx := context.Background()
	ex, err := s.Executions().Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &job})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Executions().ClaimNext(ctx, 64); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if err := s.Executions().Finish(ctx, ex.ID, status, ""); err != nil {
		t.Fatal(err)
	}
	ex, err = s.Executions().Get(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestJobStats(t *testing.T) {
	ctx := context.Background()
	s, jobA, jobB := queueFixture(t)
	d1, err := s.Destinations().Create(ctx, ConnectionInput{Name: "d1", PluginID: "storage-local", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	d2, err := s.Destinations().Create(ctx, ConnectionInput{Name: "d2", PluginID: "storage-local", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	set := func(dest, job, execution int64, prefix, status string, size int64) {
		manifest := any(nil)
		if status == "complete" {
			manifest = "{}"
		}
		exec(t, s, `INSERT INTO backup_sets (destination_id, job_id, execution_id, prefix, status, created_at, size_bytes, manifest)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, dest, job, execution, prefix, status, fixedTime, size, manifest)
	}

	old := run(t, s, jobA, StatusSuccess)
	set(d1.ID, jobA, old.ID, "a/1/", "complete", 1000)
	run(t, s, jobA, StatusFailed)
	last := run(t, s, jobA, StatusSuccess)
	set(d1.ID, jobA, last.ID, "a/2/", "complete", 300)
	set(d2.ID, jobA, last.ID, "a/2/", "complete", 200)
	set(d2.ID, jobA, last.ID, "a/2b/", "incomplete", 99) // not stored bytes of a backup
	run(t, s, jobA, StatusPartial)
	run(t, s, jobB, StatusCancelled)
	// A deleted job's runs keep its name; it has no last success.
	gone := addJob(t, s, "gone", mustSource(t, s), 0)
	run(t, s, gone, StatusSuccess)
	if err := s.Jobs().Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Executions().Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobB}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Executions().Enqueue(ctx, NewExecution{Type: TypeVerify, Trigger: TriggerManual}); err != nil {
		t.Fatal(err)
	}

	got, err := s.Executions().JobStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := JobStats{
		Runs: []JobRunCount{
			{Job: "a", Status: StatusFailed, Count: 1}, {Job: "a", Status: StatusPartial, Count: 1},
			{Job: "a", Status: StatusSuccess, Count: 2}, {Job: "b", Status: StatusCancelled, Count: 1},
			{Job: "gone", Status: StatusSuccess, Count: 1},
		},
		LastSuccess: []JobLastSuccess{{Job: "a", ExecutionID: last.ID, StartedAt: *last.StartedAt, FinishedAt: *last.FinishedAt, StoredBytes: 500}},
		Pending:     2,
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("JobStats (-want +got):\n%s", diff)
	}
	if !last.FinishedAt.After(*last.StartedAt) {
		t.Errorf("the fixture clock did not tick: %v %v", last.StartedAt, last.FinishedAt)
	}
}

func mustSource(t *testing.T, s *Store) int64 {
	t.Helper()
	src, err := s.Sources().Create(context.Background(), ConnectionInput{Name: "src2", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	return src.ID
}
