package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Per-job figures come from the real state database on each scrape: runs
// by final status (zeros included), the last success's time, duration and
// stored bytes, and the queue length.
func TestJobMetrics(t *testing.T) {
	ctx := context.Background()
	// A clock that moves 90 s per reading, so the run's duration is known.
	now := time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(90 * time.Second); return now }
	st := storetest.Open(t, clock)
	m := New(Options{Jobs: st.Executions(), ScrapeTimeout: time.Second})
	app := fiber.New()
	app.Get(Path, m.Handler())
	has(t, scrape(t, app), `dbkeep_queue_length 0`, `dbkeep_jobs_scrape_error 0`)
	if n := testutil.CollectAndCount(m.Registry(), "dbkeep_job_runs_total"); n != 0 {
		t.Errorf("%d run series before any job ran", n)
	}

	src, err := st.Sources().Create(ctx, store.ConnectionInput{Name: "src", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	job, err := st.Jobs().Create(ctx, store.JobInput{Name: "nightly", SourceID: src.ID, AllDatabases: true, Compression: "zstd", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	runOnce := func(status store.ExecutionStatus) store.Execution {
		ex, err := st.Executions().Enqueue(ctx, store.NewExecution{Type: store.TypeBackup, Trigger: store.TriggerManual, JobID: &job.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := st.Executions().ClaimNext(ctx, 1); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := st.Executions().Finish(ctx, ex.ID, status, ""); err != nil {
			t.Fatal(err)
		}
		ex, err = st.Executions().Get(ctx, ex.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ex
	}
	runOnce(store.StatusFailed)
	ok := runOnce(store.StatusSuccess)
	// The run's set, as the engine records it.
	dst, err := st.Destinations().Create(ctx, store.ConnectionInput{Name: "d", PluginID: "storage-local", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	set, err := st.BackupSets().Create(ctx, store.NewBackupSet{DestinationID: dst.ID, JobID: job.ID, ExecutionID: ok.ID,
		Prefix: "nightly/x/", CreatedAt: *ok.StartedAt})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.BackupSets().Complete(ctx, set.ID, 4096, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := st.Executions().Enqueue(ctx, store.NewExecution{Type: store.TypeVerify, Trigger: store.TriggerAPI}); err != nil {
			t.Fatal(err)
		}
	}
	duration := ok.FinishedAt.Sub(*ok.StartedAt).Seconds()
	has(t, scrape(t, app),
		`dbkeep_job_runs_total{job="nightly",status="success"} 1`,
		`dbkeep_job_runs_total{job="nightly",status="failed"} 1`,
		`dbkeep_job_runs_total{job="nightly",status="interrupted"} 0`,
		fmt.Sprintf(`dbkeep_job_last_success_timestamp_seconds{job="nightly"} %g`, float64(ok.FinishedAt.Unix())),
		fmt.Sprintf(`dbkeep_job_last_duration_seconds{job="nightly"} %g`, duration),
		`dbkeep_job_last_success_bytes{job="nightly"} 4096`,
		`dbkeep_queue_length 3`,
	)
	if duration != 90 {
		t.Errorf("fixture: duration %g, want 90", duration)
	}
	st.Close()
	has(t, scrape(t, app), `dbkeep_jobs_scrape_error 1`)
}
