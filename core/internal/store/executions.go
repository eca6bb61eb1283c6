package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	sqlite3 "modernc.org/sqlite/lib"
)

// Executions is the repository of runs (backup, restore, verify) and the
// persistent FIFO queue they wait in (DESIGN §4). It records; the queue
// service decides when to run what.
type Executions struct{ s *Store }

// Executions returns the executions repository.
func (s *Store) Executions() *Executions { return &Executions{s: s} }

// ExecutionType is what a run does.
type ExecutionType string

// Execution types; the schema's CHECK lists the same.
const (
	TypeBackup  ExecutionType = "backup"
	TypeRestore ExecutionType = "restore"
	TypeVerify  ExecutionType = "verify"
)

// ExecutionStatus is where a run is in its life.
type ExecutionStatus string

// Execution statuses; the schema's CHECK lists the same.
const (
	StatusPending     ExecutionStatus = "pending"
	StatusRunning     ExecutionStatus = "running"
	StatusSuccess     ExecutionStatus = "success"
	StatusPartial     ExecutionStatus = "partial"
	StatusFailed      ExecutionStatus = "failed"
	StatusCancelled   ExecutionStatus = "cancelled"
	StatusInterrupted ExecutionStatus = "interrupted"
)

// Final reports whether a run in status st is over.
func (st ExecutionStatus) Final() bool { return st != StatusPending && st != StatusRunning }

// Trigger is what started a run.
type Trigger string

// Triggers; the schema's CHECK lists the same.
const (
	TriggerSchedule Trigger = "schedule"
	TriggerManual   Trigger = "manual"
	TriggerAPI      Trigger = "api"
)

// Execution is one run.
type Execution struct {
	ID      int64
	Type    ExecutionType
	Status  ExecutionStatus
	Trigger Trigger
	// JobID is nil once the job is deleted; JobName keeps its name.
	JobID       *int64
	JobName     string
	BackupSetID *int64
	UserID      *int64
	APIKeyID    *int64
	// Params are the run's options (restore target, mapping), as the
	// service that enqueued it wrote them.
	Params          json.RawMessage
	QueuedAt        time.Time
	StartedAt       *time.Time
	FinishedAt      *time.Time
	CancelRequested bool
	BytesDone       int64
	BytesTotal      int64
	Stage           string
	Error           string
}

// NewExecution is what Enqueue takes.
type NewExecution struct {
	Type        ExecutionType
	Trigger     Trigger
	JobID       *int64
	BackupSetID *int64
	UserID      *int64
	APIKeyID    *int64
	Params      json.RawMessage
}

type executionRow struct {
	ID              int64          `db:"id"`
	Type            string         `db:"type"`
	Status          string         `db:"status"`
	Trigger         string         `db:"trigger_type"`
	JobID           sql.NullInt64  `db:"job_id"`
	JobName         string         `db:"job_name"`
	BackupSetID     sql.NullInt64  `db:"backup_set_id"`
	UserID          sql.NullInt64  `db:"triggered_by_user"`
	APIKeyID        sql.NullInt64  `db:"triggered_by_key"`
	Params          string         `db:"params"`
	QueuedAt        string         `db:"queued_at"`
	StartedAt       sql.NullString `db:"started_at"`
	FinishedAt      sql.NullString `db:"finished_at"`
	CancelRequested bool           `db:"cancel_requested"`
	BytesDone       int64          `db:"bytes_done"`
	BytesTotal      int64          `db:"bytes_total"`
	Stage           string         `db:"stage"`
	Error           string         `db:"error"`
}

const executionColumns = `id, type, status, trigger_type, job_id, job_name, backup_set_id,
	triggered_by_user, triggered_by_key, params, queued_at, started_at, finished_at,
	cancel_requested, bytes_done, bytes_total, stage, error`

// Enqueue adds a pending run at the end of the queue. A backup of a job that
// already has one pending or running is ErrConflict (the schema enforces it,
// so racing triggers cannot both succeed); a missing job is ErrNotFound.
func (e *Executions) Enqueue(ctx context.Context, in NewExecution) (Execution, error) {
	params := string(in.Params)
	if params == "" {
		params = "{}"
	}
	var id int64
	err := e.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var jobName string
		if in.JobID != nil {
			if err := tx.GetContext(ctx, &jobName, "SELECT name FROM jobs WHERE id = ?", *in.JobID); err != nil {
				return classify(err, "enqueue %s: job %d", in.Type, *in.JobID)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO executions
			(type, trigger_type, job_id, job_name, backup_set_id, triggered_by_user, triggered_by_key, params, queued_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.Type, in.Trigger, in.JobID, jobName, in.BackupSetID, in.UserID, in.APIKeyID, params, formatTime(e.s.now()))
		if err != nil {
			if sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
				return fmt.Errorf("enqueue %s of job %q: %w: it is already pending or running", in.Type, jobName, ErrConflict)
			}
			return classify(err, "enqueue %s", in.Type)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return Execution{}, err
	}
	return e.Get(ctx, id)
}

// Get returns run id.
func (e *Executions) Get(ctx context.Context, id int64) (Execution, error) {
	var row executionRow
	if err := e.s.r.GetContext(ctx, &row, "SELECT "+executionColumns+" FROM executions WHERE id = ?", id); err != nil {
		return Execution{}, classify(err, "execution %d", id)
	}
	return row.execution()
}

// ClaimNext starts the oldest pending run, unless maxRunning runs are
// running already; ok is false when nothing was claimed. The check and the
// claim are one transaction, so concurrent callers never exceed maxRunning
// or claim one run twice.
func (e *Executions) ClaimNext(ctx context.Context, maxRunning int) (ex Execution, ok bool, err error) {
	var id int64
	err = e.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var running int
		if err := tx.GetContext(ctx, &running, "SELECT count(*) FROM executions WHERE status = 'running'"); err != nil {
			return err
		}
		if running >= maxRunning {
			return nil
		}
		err := tx.GetContext(ctx, &id, "SELECT id FROM executions WHERE status = 'pending' ORDER BY queued_at, id LIMIT 1")
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE executions SET status = 'running', started_at = ? WHERE id = ?",
			formatTime(e.s.now()), id)
		return err
	})
	if err != nil {
		return Execution{}, false, fmt.Errorf("claim next execution: %w", err)
	}
	if id == 0 {
		return Execution{}, false, nil
	}
	ex, err = e.Get(ctx, id)
	return ex, err == nil, err
}

// Progress records how far a running run is.
func (e *Executions) Progress(ctx context.Context, id int64, done, total int64, stage string) error {
	res, err := e.s.w.ExecContext(ctx, `UPDATE executions SET bytes_done = ?, bytes_total = ?, stage = ?
		WHERE id = ? AND status = 'running'`, done, total, stage, id)
	if err != nil {
		return classify(err, "progress of execution %d", id)
	}
	return requireOne(res, "running execution %d", id)
}

// Finish ends a running run with a final status and, for failures, the
// error to show. A run that is not running is ErrNotFound.
func (e *Executions) Finish(ctx context.Context, id int64, status ExecutionStatus, errText string) error {
	if !status.Final() {
		return fmt.Errorf("finish execution %d: %w: %q is not a final status", id, ErrInvalid, status)
	}
	res, err := e.s.w.ExecContext(ctx, `UPDATE executions SET status = ?, finished_at = ?, error = ?
		WHERE id = ? AND status = 'running'`, status, formatTime(e.s.now()), errText, id)
	if err != nil {
		return classify(err, "finish execution %d", id)
	}
	return requireOne(res, "finish running execution %d", id)
}

// RequestCancel cancels a pending run at once and marks a running one for
// its runner to stop (Finish with StatusCancelled when it has). A finished
// run is left alone. It returns the run as it now is.
func (e *Executions) RequestCancel(ctx context.Context, id int64) (Execution, error) {
	err := e.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var status string
		if err := tx.GetContext(ctx, &status, "SELECT status FROM executions WHERE id = ?", id); err != nil {
			return classify(err, "cancel execution %d", id)
		}
		var err error
		switch ExecutionStatus(status) {
		case StatusPending:
			_, err = tx.ExecContext(ctx, "UPDATE executions SET status = 'cancelled', cancel_requested = 1, finished_at = ? WHERE id = ?",
				formatTime(e.s.now()), id)
		case StatusRunning:
			_, err = tx.ExecContext(ctx, "UPDATE executions SET cancel_requested = 1 WHERE id = ?", id)
		}
		return err
	})
	if err != nil {
		return Execution{}, err
	}
	return e.Get(ctx, id)
}

// InterruptRunning marks every running run interrupted with the error
// reason, for the start of a core that crashed while they ran, and returns
// their ids so their partial sets can be cleaned.
func (e *Executions) InterruptRunning(ctx context.Context, reason string) ([]int64, error) {
	var ids []int64
	err := e.s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.SelectContext(ctx, &ids, "SELECT id FROM executions WHERE status = 'running' ORDER BY id"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE executions SET status = 'interrupted', finished_at = ?,
			error = ? WHERE status = 'running'`, formatTime(e.s.now()), reason)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("interrupt running executions: %w", err)
	}
	return ids, nil
}

func (r executionRow) execution() (Execution, error) {
	ex := Execution{
		ID: r.ID, Type: ExecutionType(r.Type), Status: ExecutionStatus(r.Status), Trigger: Trigger(r.Trigger),
		JobID: nullInt(r.JobID), JobName: r.JobName, BackupSetID: nullInt(r.BackupSetID),
		UserID: nullInt(r.UserID), APIKeyID: nullInt(r.APIKeyID), Params: json.RawMessage(r.Params),
		CancelRequested: r.CancelRequested, BytesDone: r.BytesDone, BytesTotal: r.BytesTotal,
		Stage: r.Stage, Error: r.Error,
	}
	var err error
	if ex.QueuedAt, err = parseTime(r.QueuedAt); err != nil {
		return Execution{}, err
	}
	if ex.StartedAt, err = parseNullTime(r.StartedAt); err != nil {
		return Execution{}, err
	}
	if ex.FinishedAt, err = parseNullTime(r.FinishedAt); err != nil {
		return Execution{}, err
	}
	return ex, nil
}

func nullInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}
