package store

import (
	"context"
	"errors"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestSchemaConstraints proves the CHECKs, uniques and foreign keys that
// guard invariants no repository should have to remember.
func TestSchemaConstraints(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	src, err := s.Sources().Create(ctx, ConnectionInput{Name: "src", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := s.Destinations().Create(ctx, ConnectionInput{Name: "dst", PluginID: "storage-local", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.NotificationChannels().Create(ctx, ConnectionInput{Name: "ch", PluginID: "notification-webhook", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	group := exec(t, s, "INSERT INTO groups (name, created_at, updated_at) VALUES ('ops', ?, ?)", fixedTime, fixedTime)
	job := addJob(t, s, "nightly", src.ID, 0)
	exec(t, s, "INSERT INTO executions (type, trigger_type, job_id, queued_at) VALUES ('backup', 'manual', ?, ?)", job, fixedTime)

	tests := []struct {
		name    string
		query   string
		args    []any
		wantErr error // nil: any constraint error
	}{
		{"unknown execution status", "INSERT INTO executions (type, status, trigger_type, queued_at, started_at) VALUES ('backup', 'bogus', 'manual', ?, ?)", []any{fixedTime, fixedTime}, nil},
		{"unknown execution type", "INSERT INTO executions (type, trigger_type, queued_at) VALUES ('copy', 'manual', ?)", []any{fixedTime}, nil},
		{"unknown trigger", "INSERT INTO executions (type, trigger_type, queued_at) VALUES ('backup', 'cron', ?)", []any{fixedTime}, nil},
		{"finished run without finish time", "INSERT INTO executions (type, status, trigger_type, queued_at, started_at) VALUES ('verify', 'success', 'manual', ?, ?)", []any{fixedTime, fixedTime}, nil},
		{"running run without start time", "INSERT INTO executions (type, status, trigger_type, queued_at) VALUES ('verify', 'running', 'manual', ?)", []any{fixedTime}, nil},
		{"second pending backup of a job", "INSERT INTO executions (type, trigger_type, job_id, queued_at) VALUES ('backup', 'schedule', ?, ?)", []any{job, fixedTime}, ErrConflict},
		{"unknown compression", "INSERT INTO jobs (name, slug, source_id, compression, created_at, updated_at) VALUES ('j2', 'j2', ?, 'lz4', ?, ?)", []any{src.ID, fixedTime, fixedTime}, nil},
		{"job on a missing source", "INSERT INTO jobs (name, slug, source_id, created_at, updated_at) VALUES ('j3', 'j3', 999, ?, ?)", []any{fixedTime, fixedTime}, ErrNotFound},
		{"job name taken in other case", "INSERT INTO jobs (name, slug, source_id, created_at, updated_at) VALUES ('NIGHTLY', 'n2', ?, ?, ?)", []any{src.ID, fixedTime, fixedTime}, ErrConflict},
		{"slug with capitals", "INSERT INTO jobs (name, slug, source_id, created_at, updated_at) VALUES ('j4', 'J4', ?, ?, ?)", []any{src.ID, fixedTime, fixedTime}, nil},
		{"selected databases but none named", "INSERT INTO jobs (name, slug, source_id, all_databases, created_at, updated_at) VALUES ('j5', 'j5', ?, 0, ?, ?)", []any{src.ID, fixedTime, fixedTime}, nil},
		{"simple retention without a limit", "INSERT INTO job_destinations (job_id, destination_id, retention) VALUES (?, ?, 'simple')", []any{job, dst.ID}, nil},
		{"keep-all with a limit", "INSERT INTO job_destinations (job_id, destination_id, retention, keep_last) VALUES (?, ?, 'keep-all', 3)", []any{job, dst.ID}, nil},
		{"notification wanting no event", "INSERT INTO job_notifications (job_id, channel_id, on_success, on_failure, on_partial) VALUES (?, ?, 0, 0, 0)", []any{job, ch.ID}, nil},
		{"complete set without manifest", "INSERT INTO backup_sets (destination_id, prefix, status, created_at) VALUES (?, 'x/', 'complete', ?)", []any{dst.ID, fixedTime}, nil},
		{"log line of unknown level", "INSERT INTO execution_logs (execution_id, at, level, message) VALUES (1, ?, 'fatal', 'x')", []any{fixedTime}, nil},
		{"permission of the wrong shape", "INSERT INTO group_permissions (group_id, permission) VALUES (?, 'everything')", []any{group}, nil},
		{"source with a storage plugin", "INSERT INTO sources (name, plugin_id, config, created_at, updated_at) VALUES ('s2', 'storage-local', '{}', ?, ?)", []any{fixedTime, fixedTime}, nil},
		{"config that is not an object", "INSERT INTO sources (name, plugin_id, config, created_at, updated_at) VALUES ('s3', 'database-x', '[]', ?, ?)", []any{fixedTime, fixedTime}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.w.Exec(tt.query, tt.args...)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.wantErr != nil {
				if got := classify(err, "x"); !errors.Is(got, tt.wantErr) {
					t.Fatalf("got %v, want %v", got, tt.wantErr)
				}
			}
		})
	}

	// A finished run frees the job for the next one; restores are not limited.
	exec(t, s, "UPDATE executions SET status = 'success', started_at = ?, finished_at = ? WHERE job_id = ?", fixedTime, fixedTime, job)
	exec(t, s, "INSERT INTO executions (type, trigger_type, job_id, queued_at) VALUES ('backup', 'schedule', ?, ?)", job, fixedTime)
	exec(t, s, "INSERT INTO executions (type, trigger_type, job_id, queued_at) VALUES ('restore', 'manual', ?, ?)", job, fixedTime)
	exec(t, s, "INSERT INTO executions (type, trigger_type, job_id, queued_at) VALUES ('restore', 'manual', ?, ?)", job, fixedTime)
}
