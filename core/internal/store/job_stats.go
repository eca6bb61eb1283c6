package store

import (
	"context"
	"database/sql"
	"time"
)

// JobRunCount is how many backup runs of one job ended in one status.
type JobRunCount struct {
	Job    string          `db:"job"`
	Status ExecutionStatus `db:"status"`
	Count  int64           `db:"n"`
}

// JobLastSuccess is the newest successful backup run of a job.
type JobLastSuccess struct {
	Job         string
	ExecutionID int64
	StartedAt   time.Time
	FinishedAt  time.Time
	// StoredBytes is the size of the run's complete sets, summed over the
	// job's destinations.
	StoredBytes int64
}

// JobStats is what the per-job metrics show, read in one snapshot.
type JobStats struct {
	// Runs counts finished backup runs per job and final status; jobs
	// still existing are named as they are now, deleted ones by the name
	// the run kept.
	Runs []JobRunCount
	// LastSuccess has one entry per existing job that has succeeded.
	LastSuccess []JobLastSuccess
	// Pending is how many executions of any type wait in the queue.
	Pending int64
}

type lastSuccessRow struct {
	Job        string         `db:"job"`
	ID         int64          `db:"id"`
	StartedAt  sql.NullString `db:"started_at"`
	FinishedAt sql.NullString `db:"finished_at"`
	Bytes      int64          `db:"bytes"`
}

// JobStats reads the per-job metrics in one read transaction, so the
// figures of one scrape agree with each other.
func (e *Executions) JobStats(ctx context.Context) (JobStats, error) {
	var out JobStats
	tx, err := e.s.r.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, classify(err, "job stats")
	}
	defer tx.Rollback()
	if err := tx.SelectContext(ctx, &out.Runs, `SELECT COALESCE(j.name, e.job_name) AS job, e.status, COUNT(*) AS n
		FROM executions e LEFT JOIN jobs j ON j.id = e.job_id
		WHERE e.type = 'backup' AND e.status NOT IN ('pending', 'running')
		GROUP BY 1, 2 ORDER BY 1, 2`); err != nil {
		return out, classify(err, "job stats: runs")
	}
	var rows []lastSuccessRow
	if err := tx.SelectContext(ctx, &rows, `SELECT j.name AS job, e.id, e.started_at, e.finished_at,
			(SELECT COALESCE(SUM(b.size_bytes), 0) FROM backup_sets b
			 WHERE b.execution_id = e.id AND b.status = 'complete') AS bytes
		FROM jobs j JOIN executions e ON e.id = (SELECT x.id FROM executions x
			WHERE x.job_id = j.id AND x.type = 'backup' AND x.status = 'success'
			ORDER BY x.finished_at DESC, x.id DESC LIMIT 1)
		ORDER BY j.name`); err != nil {
		return out, classify(err, "job stats: last success")
	}
	for _, r := range rows {
		ls := JobLastSuccess{Job: r.Job, ExecutionID: r.ID, StoredBytes: r.Bytes}
		started, err := parseNullTime(r.StartedAt)
		if err != nil {
			return out, err
		}
		finished, err := parseNullTime(r.FinishedAt)
		if err != nil {
			return out, err
		}
		if started != nil {
			ls.StartedAt = *started
		}
		if finished != nil {
			ls.FinishedAt = *finished
		}
		out.LastSuccess = append(out.LastSuccess, ls)
	}
	if err := tx.GetContext(ctx, &out.Pending, "SELECT COUNT(*) FROM executions WHERE status = 'pending'"); err != nil {
		return out, classify(err, "job stats: pending")
	}
	return out, nil
}
