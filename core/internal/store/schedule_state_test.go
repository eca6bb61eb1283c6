package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestScheduleStates(t *testing.T) {
	ctx := context.Background()
	s, jobA, jobB := queueFixture(t)
	exec(t, s, "UPDATE jobs SET schedule = '30 2 * * *', timezone = 'Europe/Berlin' WHERE id = ?", jobA)
	exec(t, s, "UPDATE jobs SET enabled = 0 WHERE id = ?", jobB)
	ss := s.ScheduleStates()

	at := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	if err := ss.Set(ctx, jobA, ScheduleState{Schedule: "30 2 * * *", Timezone: "Europe/Berlin", HandledUntil: at}); err != nil {
		t.Fatal(err)
	}
	// Set replaces.
	if err := ss.Set(ctx, jobA, ScheduleState{Schedule: "30 2 * * *", Timezone: "Europe/Berlin", HandledUntil: at.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	jobs, err := ss.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []ScheduledJob{
		{ID: jobA, Name: "a", Schedule: "30 2 * * *", Timezone: "Europe/Berlin", Enabled: true,
			State: &ScheduleState{Schedule: "30 2 * * *", Timezone: "Europe/Berlin", HandledUntil: at.Add(24 * time.Hour)}},
		{ID: jobB, Name: "b"},
	}
	if diff := cmp.Diff(want, jobs); diff != "" {
		t.Errorf("Jobs (-want +got):\n%s", diff)
	}
	if err := ss.Set(ctx, 999, ScheduleState{Schedule: "* * * * *", Timezone: "UTC", HandledUntil: at}); !errors.Is(err, ErrNotFound) {
		t.Errorf("state of a missing job: %v, want ErrNotFound", err)
	}

	// ScheduledFor finds the scheduled backup enqueued for one fire time only.
	fire := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	if _, ok, err := ss.ScheduledFor(ctx, jobA, fire); err != nil || ok {
		t.Fatalf("no executions yet: %v %v", ok, err)
	}
	manual, err := s.Executions().Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &jobA, Params: ScheduledParams(fire)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ss.ScheduledFor(ctx, jobA, fire); ok {
		t.Error("a manual run counted as scheduled")
	}
	if _, err := s.Executions().RequestCancel(ctx, manual.ID); err != nil {
		t.Fatal(err)
	}
	sched, err := s.Executions().Enqueue(ctx, NewExecution{Type: TypeBackup, Trigger: TriggerSchedule, JobID: &jobA, Params: ScheduledParams(fire)})
	if err != nil {
		t.Fatal(err)
	}
	if id, ok, err := ss.ScheduledFor(ctx, jobA, fire); err != nil || !ok || id != sched.ID {
		t.Errorf("ScheduledFor(its fire time) = %d %v %v, want %d", id, ok, err, sched.ID)
	}
	if _, ok, _ := ss.ScheduledFor(ctx, jobA, fire.Add(time.Minute)); ok {
		t.Error("the run of one fire time counted for the next")
	}
	if _, ok, _ := ss.ScheduledFor(ctx, jobB, fire); ok {
		t.Error("another job's run counted")
	}

	// Delete forgets; deleting the job drops its state too.
	if err := ss.Delete(ctx, jobA); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := ss.Jobs(ctx); jobs[0].State != nil {
		t.Errorf("state after Delete: %+v", jobs[0].State)
	}
	if err := ss.Set(ctx, jobB, ScheduleState{Schedule: "0 * * * *", Timezone: "UTC", HandledUntil: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.Jobs().Delete(ctx, jobB); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.Get(&n, "SELECT count(*) FROM job_schedule_state"); err != nil || n != 0 {
		t.Errorf("%d states left after the job was deleted (%v)", n, err)
	}
}
