package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// setFixture is a source, a destination, a job and one running execution.
type setFixture struct {
	dest, job, exec int64
}

func newSetFixture(t *testing.T, s *Store, name string) setFixture {
	t.Helper()
	src := exec(t, s, `INSERT INTO sources (name, plugin_id, config, created_at, updated_at)
		VALUES (?, 'database-sqlite', '{}', ?, ?)`, name+"-src", fixedTime, fixedTime)
	dest := exec(t, s, `INSERT INTO destinations (name, plugin_id, config, created_at, updated_at)
		VALUES (?, 'storage-local', '{}', ?, ?)`, name+"-dest", fixedTime, fixedTime)
	job := addJob(t, s, name, src, 0)
	ex, err := s.Executions().Enqueue(context.Background(), NewExecution{Type: TypeBackup, Trigger: TriggerManual, JobID: &job})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Executions().ClaimNext(context.Background(), 10); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	return setFixture{dest: dest, job: job, exec: ex.ID}
}

func TestBackupSetsLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	f := newSetFixture(t, s, "nightly")
	sets := s.BackupSets()
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

	set, err := sets.Create(ctx, NewBackupSet{DestinationID: f.dest, JobID: f.job, ExecutionID: f.exec,
		Prefix: "nightly/20260304T050607Z_1/", CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	if set.Status != SetIncomplete || set.JobName != "nightly" || !set.CreatedAt.Equal(created) || !set.ExecutionRunning || set.Manifest != nil {
		t.Fatalf("created set = %+v", set)
	}
	if _, err := sets.Create(ctx, NewBackupSet{DestinationID: f.dest, JobID: f.job, ExecutionID: f.exec,
		Prefix: set.Prefix, CreatedAt: created}); !errors.Is(err, ErrConflict) {
		t.Fatalf("same prefix twice: %v, want ErrConflict", err)
	}

	// Incomplete sets are not listed as complete ones.
	complete := BackupSetFilter{Status: SetComplete}
	if _, total, err := sets.List(ctx, complete, Page{}); err != nil || total != 0 {
		t.Fatalf("complete sets before the manifest: %d, %v", total, err)
	}
	if err := sets.Complete(ctx, set.ID, 1234, []byte("not json")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Complete with a bad manifest: %v", err)
	}
	if err := sets.Complete(ctx, set.ID, 1234, []byte(`{"formatVersion":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := sets.Complete(ctx, set.ID, 1234, []byte(`{}`)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("completing twice: %v, want ErrNotFound", err)
	}
	got, total, err := sets.List(ctx, BackupSetFilter{Status: SetComplete, JobID: &f.job, DestinationID: &f.dest}, Page{})
	if err != nil || total != 1 || len(got) != 1 {
		t.Fatalf("list: %v %d %v", got, total, err)
	}
	if got[0].SizeBytes != 1234 || string(got[0].Manifest) != `{"formatVersion":1}` || got[0].Status != SetComplete {
		t.Fatalf("listed %+v", got[0])
	}
	other := f.dest + 100
	if _, total, _ := sets.List(ctx, BackupSetFilter{DestinationID: &other}, Page{}); total != 0 {
		t.Fatalf("filter by another destination matched %d", total)
	}

	// The execution ends: the set no longer belongs to a running one.
	if err := s.Executions().Finish(ctx, f.exec, StatusSuccess, ""); err != nil {
		t.Fatal(err)
	}
	all, err := sets.OfJobOnDestination(ctx, f.job, f.dest)
	if err != nil || len(all) != 1 || all[0].ExecutionRunning {
		t.Fatalf("OfJobOnDestination: %+v %v", all, err)
	}
	// A locked set cannot be taken off the list until it is unlocked.
	if err := sets.SetLocked(ctx, set.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := sets.SetLocked(ctx, set.ID, true); err != nil {
		t.Fatalf("locking twice: %v", err)
	}
	if err := sets.MarkIncomplete(ctx, set.ID); !errors.Is(err, ErrLocked) {
		t.Fatalf("MarkIncomplete of a locked set: %v, want ErrLocked", err)
	}
	if got, _ := sets.Get(ctx, set.ID); got.Status != SetComplete || !got.Locked {
		t.Fatalf("the locked set after the refused removal: %+v", got)
	}
	if err := sets.SetLocked(ctx, set.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := sets.MarkIncomplete(ctx, set.ID); err != nil {
		t.Fatal(err)
	}
	if err := sets.SetLocked(ctx, set.ID, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("locking an incomplete set: %v, want ErrNotFound", err)
	}
	of, err := sets.OfExecution(ctx, f.exec)
	if err != nil || len(of) != 1 || of[0].Status != SetIncomplete || of[0].Manifest != nil {
		t.Fatalf("OfExecution after MarkIncomplete: %+v %v", of, err)
	}
	if err := sets.Delete(ctx, set.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := sets.Get(ctx, set.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := sets.Delete(ctx, set.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
}

func TestBackupSetsListPagesNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	f := newSetFixture(t, s, "hourly")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		set, err := s.BackupSets().Create(ctx, NewBackupSet{DestinationID: f.dest, JobID: f.job, ExecutionID: f.exec,
			Prefix: "hourly/" + string(rune('a'+i)) + "/", CreatedAt: base.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.BackupSets().Complete(ctx, set.ID, int64(i), []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	got, total, err := s.BackupSets().List(ctx, BackupSetFilter{}, Page{Limit: 2, Offset: 1})
	if err != nil || total != 5 || len(got) != 2 {
		t.Fatalf("page: %d items of %d, %v", len(got), total, err)
	}
	if got[0].Prefix != "hourly/d/" || got[1].Prefix != "hourly/c/" {
		t.Fatalf("page holds %s, %s; want hourly/d/, hourly/c/", got[0].Prefix, got[1].Prefix)
	}
}
