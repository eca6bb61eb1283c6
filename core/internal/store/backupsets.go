package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// BackupSets is the repository of backup sets: one row per execution and
// destination, recording where in storage the set lives (its prefix) and,
// once its manifest is written, the manifest itself. The row is created
// before the first byte is uploaded, so a crash leaves a record of what to
// clean; it becomes complete only after the manifest is stored.
type BackupSets struct{ s *Store }

// BackupSets returns the backup sets repository.
func (s *Store) BackupSets() *BackupSets { return &BackupSets{s: s} }

// Backup set statuses; the schema's CHECK lists the same.
const (
	SetIncomplete = "incomplete"
	SetComplete   = "complete"
)

// BackupSet is one set on one destination.
type BackupSet struct {
	ID            int64
	DestinationID int64
	// JobID is nil once the job is deleted; JobName keeps its name.
	JobID               *int64
	JobName             string
	ExecutionID         *int64
	EncryptionProfileID *int64
	// Prefix is '<job-slug>/<UTC timestamp>_<execution id>/'.
	Prefix    string
	Status    string
	CreatedAt time.Time
	SizeBytes int64
	// Manifest is manifest.json as stored; nil while incomplete.
	Manifest   json.RawMessage
	Locked     bool
	VerifiedAt *time.Time
	// ExecutionRunning reports whether the execution that writes the set
	// is still pending or running (read, never written).
	ExecutionRunning bool
}

// NewBackupSet is what Create takes.
type NewBackupSet struct {
	DestinationID       int64
	JobID               int64
	ExecutionID         int64
	EncryptionProfileID *int64
	Prefix              string
	// CreatedAt is the time in the prefix, so the row and the storage agree.
	CreatedAt time.Time
}

type backupSetRow struct {
	ID                  int64          `db:"id"`
	DestinationID       int64          `db:"destination_id"`
	JobID               sql.NullInt64  `db:"job_id"`
	JobName             string         `db:"job_name"`
	ExecutionID         sql.NullInt64  `db:"execution_id"`
	EncryptionProfileID sql.NullInt64  `db:"encryption_profile_id"`
	Prefix              string         `db:"prefix"`
	Status              string         `db:"status"`
	CreatedAt           string         `db:"created_at"`
	SizeBytes           int64          `db:"size_bytes"`
	Manifest            sql.NullString `db:"manifest"`
	Locked              bool           `db:"locked"`
	VerifiedAt          sql.NullString `db:"verified_at"`
	Running             bool           `db:"running"`
}

// backupSetSelect reads sets with whether their execution still runs.
const backupSetSelect = `SELECT b.id, b.destination_id, b.job_id, b.job_name, b.execution_id,
	b.encryption_profile_id, b.prefix, b.status, b.created_at, b.size_bytes, b.manifest, b.locked,
	b.verified_at, coalesce(e.status IN ('pending', 'running'), 0) AS running
	FROM backup_sets b LEFT JOIN executions e ON e.id = b.execution_id`

// Create records an incomplete set, copying the job's name. A prefix
// already recorded on the destination is ErrConflict; a missing
// destination, job or execution ErrNotFound.
func (b *BackupSets) Create(ctx context.Context, in NewBackupSet) (BackupSet, error) {
	res, err := b.s.w.ExecContext(ctx, `INSERT INTO backup_sets (destination_id, job_id, job_name, execution_id,
		encryption_profile_id, prefix, created_at)
		VALUES (?, ?, coalesce((SELECT name FROM jobs WHERE id = ?), ''), ?, ?, ?, ?)`,
		in.DestinationID, in.JobID, in.JobID, in.ExecutionID, in.EncryptionProfileID, in.Prefix, formatTime(in.CreatedAt))
	if err != nil {
		return BackupSet{}, classify(err, "create backup set %s on destination %d", in.Prefix, in.DestinationID)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return BackupSet{}, err
	}
	return b.Get(ctx, id)
}

// Complete records that set id's manifest is stored: its total size and the
// manifest as written. Only an incomplete set can be completed.
func (b *BackupSets) Complete(ctx context.Context, id, sizeBytes int64, manifest []byte) error {
	if !json.Valid(manifest) {
		return fmt.Errorf("complete backup set %d: %w: the manifest is not JSON", id, ErrInvalid)
	}
	res, err := b.s.w.ExecContext(ctx, `UPDATE backup_sets SET status = 'complete', size_bytes = ?, manifest = ?
		WHERE id = ? AND status = 'incomplete'`, sizeBytes, string(manifest), id)
	if err != nil {
		return classify(err, "complete backup set %d", id)
	}
	return requireOne(res, "complete incomplete backup set %d", id)
}

// ErrLocked is returned when a locked backup set is asked to stop being a
// backup: a lock keeps a set from every removal until it is unlocked.
var ErrLocked = fmt.Errorf("the backup set is locked: %w", ErrConflict)

// MarkIncomplete turns set id back into an incomplete set, which is never
// listed as a backup: the first step of removing it, before its manifest and
// objects go, so that an interrupted removal never leaves a listed set
// without its files. A locked set is refused with ErrLocked, in the same
// statement, so that a lock taken after retention decided cannot lose the
// race with the removal.
func (b *BackupSets) MarkIncomplete(ctx context.Context, id int64) error {
	res, err := b.s.w.ExecContext(ctx, "UPDATE backup_sets SET status = 'incomplete', manifest = NULL WHERE id = ? AND NOT locked", id)
	if err != nil {
		return classify(err, "mark backup set %d incomplete", id)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		if set, gerr := b.Get(ctx, id); gerr == nil && set.Locked {
			return fmt.Errorf("backup set %d: %w", id, ErrLocked)
		}
	}
	return requireOne(res, "mark backup set %d incomplete", id)
}

// SetLocked locks complete set id against retention and every other
// removal, or unlocks it. An incomplete set is not a backup: ErrNotFound.
func (b *BackupSets) SetLocked(ctx context.Context, id int64, locked bool) error {
	res, err := b.s.w.ExecContext(ctx, "UPDATE backup_sets SET locked = ? WHERE id = ? AND status = 'complete'", locked, id)
	if err != nil {
		return classify(err, "lock backup set %d", id)
	}
	return requireOne(res, "backup set %d", id)
}

// Get returns set id, complete or not.
func (b *BackupSets) Get(ctx context.Context, id int64) (BackupSet, error) {
	var row backupSetRow
	if err := b.s.r.GetContext(ctx, &row, backupSetSelect+" WHERE b.id = ?", id); err != nil {
		return BackupSet{}, classify(err, "backup set %d", id)
	}
	return row.set()
}

// BackupSetFilter narrows List; zero fields match everything.
type BackupSetFilter struct {
	JobID         *int64
	DestinationID *int64
	ExecutionID   *int64
	// Status is SetComplete, SetIncomplete or "" for both.
	Status string
}

// List returns one page of sets, newest first, and how many match.
func (b *BackupSets) List(ctx context.Context, f BackupSetFilter, p Page) ([]BackupSet, int, error) {
	p = p.normalized()
	where, args := " WHERE 1 = 1", []any{}
	if f.JobID != nil {
		where += " AND b.job_id = ?"
		args = append(args, *f.JobID)
	}
	if f.DestinationID != nil {
		where += " AND b.destination_id = ?"
		args = append(args, *f.DestinationID)
	}
	if f.ExecutionID != nil {
		where += " AND b.execution_id = ?"
		args = append(args, *f.ExecutionID)
	}
	if f.Status != "" {
		where += " AND b.status = ?"
		args = append(args, f.Status)
	}
	var total int
	if err := b.s.r.GetContext(ctx, &total, "SELECT count(*) FROM backup_sets b"+where, args...); err != nil {
		return nil, 0, fmt.Errorf("list backup sets: %w", err)
	}
	var rows []backupSetRow
	if err := b.s.r.SelectContext(ctx, &rows, backupSetSelect+where+" ORDER BY b.created_at DESC, b.id DESC LIMIT ? OFFSET ?",
		append(args, p.Limit, p.Offset)...); err != nil {
		return nil, 0, fmt.Errorf("list backup sets: %w", err)
	}
	return sets(rows, total)
}

// OfJobOnDestination returns every set of a job on one destination, complete
// or not, oldest first: what retention decides over. It is not paginated on
// purpose: retention must see the whole history to decide (one small row
// per set).
func (b *BackupSets) OfJobOnDestination(ctx context.Context, jobID, destinationID int64) ([]BackupSet, error) {
	var rows []backupSetRow
	if err := b.s.r.SelectContext(ctx, &rows, backupSetSelect+` WHERE b.job_id = ? AND b.destination_id = ?
		ORDER BY b.created_at, b.id`, jobID, destinationID); err != nil {
		return nil, fmt.Errorf("backup sets of job %d on destination %d: %w", jobID, destinationID, err)
	}
	out, _, err := sets(rows, 0)
	return out, err
}

// OfExecution returns the sets execution id wrote (one per destination it
// reached), for cleaning up after a crash or a cancel.
func (b *BackupSets) OfExecution(ctx context.Context, executionID int64) ([]BackupSet, error) {
	var rows []backupSetRow
	if err := b.s.r.SelectContext(ctx, &rows, backupSetSelect+" WHERE b.execution_id = ? ORDER BY b.id", executionID); err != nil {
		return nil, fmt.Errorf("backup sets of execution %d: %w", executionID, err)
	}
	out, _, err := sets(rows, 0)
	return out, err
}

// Delete forgets set id; the caller has removed its objects from storage.
func (b *BackupSets) Delete(ctx context.Context, id int64) error {
	res, err := b.s.w.ExecContext(ctx, "DELETE FROM backup_sets WHERE id = ?", id)
	if err != nil {
		return classify(err, "delete backup set %d", id)
	}
	return requireOne(res, "delete backup set %d", id)
}

func sets(rows []backupSetRow, total int) ([]BackupSet, int, error) {
	out := make([]BackupSet, 0, len(rows))
	for _, r := range rows {
		s, err := r.set()
		if err != nil {
			return nil, 0, err
		}
		out = append(out, s)
	}
	return out, total, nil
}

func (r backupSetRow) set() (BackupSet, error) {
	s := BackupSet{
		ID: r.ID, DestinationID: r.DestinationID, JobID: nullInt(r.JobID), JobName: r.JobName,
		ExecutionID: nullInt(r.ExecutionID), EncryptionProfileID: nullInt(r.EncryptionProfileID),
		Prefix: r.Prefix, Status: r.Status, SizeBytes: r.SizeBytes, Locked: r.Locked,
		ExecutionRunning: r.Running,
	}
	if r.Manifest.Valid {
		s.Manifest = json.RawMessage(r.Manifest.String)
	}
	var err error
	if s.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return BackupSet{}, err
	}
	if s.VerifiedAt, err = parseNullTime(r.VerifiedAt); err != nil {
		return BackupSet{}, err
	}
	return s, nil
}
