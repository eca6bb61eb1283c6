package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExecutionCounts(t *testing.T) {
	ctx := context.Background()
	s, jobA, jobB := queueFixture(t)
	ex := s.Executions()
	if got, err := ex.Counts(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Counts of an empty state = %v, %v", got, err)
	}
	a, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobA})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobB}); err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Enqueue(ctx, NewExecution{Type: TypeVerify, Trigger: TriggerManual}); err != nil {
		t.Fatal(err)
	}
	if claimed, ok, err := ex.ClaimNext(ctx, 1); err != nil || !ok || claimed.ID != a.ID {
		t.Fatalf("ClaimNext = %v %v %v, want execution %d", claimed.ID, ok, err, a.ID)
	}
	if err := ex.Finish(ctx, a.ID, StatusFailed, "boom"); err != nil {
		t.Fatal(err)
	}
	got, err := ex.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []ExecutionCount{
		{TypeBackup, StatusFailed, 1},
		{TypeBackup, StatusPending, 1},
		{TypeVerify, StatusPending, 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
}
