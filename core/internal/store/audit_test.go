package store

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuditRecordAndFilter(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := s.Audit()
	for _, e := range []AuditEntry{
		{Actor: "system", Action: "server.start"},
		{Actor: "ada", Action: "jobs.create", TargetType: "job", TargetID: "1", Details: map[string]any{"name": "nightly"}},
		{Actor: "ada", Action: "jobs.delete", TargetType: "job", TargetID: "1"},
		{Actor: "ada", Action: "jobsx.create"},
	} {
		if _, err := a.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Record(ctx, AuditEntry{Actor: "ada"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an entry without action: %v, want ErrInvalid", err)
	}

	got, total, err := a.List(ctx, AuditFilter{Action: "jobs."}, Page{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range got {
		actions = append(actions, e.Action)
	}
	if total != 2 || !cmp.Equal(actions, []string{"jobs.delete", "jobs.create"}) {
		t.Fatalf("jobs. = %d %v, want newest first [jobs.delete jobs.create] (not jobsx.*)", total, actions)
	}
	if !cmp.Equal(got[1].Details, map[string]any{"name": "nightly"}) || got[1].At.IsZero() {
		t.Fatalf("entry = %+v", got[1])
	}
	if _, total, _ := a.List(ctx, AuditFilter{TargetType: "job", TargetID: "1"}, Page{Limit: 1}); total != 2 {
		t.Fatalf("target filter total = %d, want 2", total)
	}
}
