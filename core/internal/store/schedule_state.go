package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ScheduleStates is what the scheduler has dealt with per job, so a
// restart neither fires a scheduled run twice nor drops one.
type ScheduleStates struct{ s *Store }

// ScheduleStates returns the schedule state repository.
func (s *Store) ScheduleStates() *ScheduleStates { return &ScheduleStates{s: s} }

// ScheduleState is the scheduler's record for one job.
type ScheduleState struct {
	// Schedule and Timezone are what HandledUntil was reached under.
	Schedule string
	Timezone string
	// HandledUntil: every fire time at or before it has been dealt with.
	HandledUntil time.Time
}

// ScheduledJob is a job as the scheduler sees it, with its state if it has
// one.
type ScheduledJob struct {
	ID       int64
	Name     string
	Schedule string
	// Timezone is "" when the job follows the defaultTimezone setting.
	Timezone string
	Enabled  bool
	State    *ScheduleState
}

type scheduledJobRow struct {
	ID            int64          `db:"id"`
	Name          string         `db:"name"`
	Schedule      sql.NullString `db:"schedule"`
	Timezone      sql.NullString `db:"timezone"`
	Enabled       bool           `db:"enabled"`
	StateSchedule sql.NullString `db:"state_schedule"`
	StateTimezone sql.NullString `db:"state_timezone"`
	HandledUntil  sql.NullString `db:"handled_until"`
}

// Jobs returns every job with its scheduling fields and state, by id. It
// reads the jobs table alone, without destinations: the scheduler looks at
// every job at least every half minute.
func (ss *ScheduleStates) Jobs(ctx context.Context) ([]ScheduledJob, error) {
	var rows []scheduledJobRow
	if err := ss.s.r.SelectContext(ctx, &rows, `SELECT j.id, j.name, j.schedule, j.timezone, j.enabled,
			s.schedule AS state_schedule, s.timezone AS state_timezone, s.handled_until
		FROM jobs j LEFT JOIN job_schedule_state s ON s.job_id = j.id ORDER BY j.id`); err != nil {
		return nil, fmt.Errorf("list scheduled jobs: %w", err)
	}
	out := make([]ScheduledJob, 0, len(rows))
	for _, r := range rows {
		j := ScheduledJob{ID: r.ID, Name: r.Name, Schedule: r.Schedule.String, Timezone: r.Timezone.String, Enabled: r.Enabled}
		if r.HandledUntil.Valid {
			t, err := parseTime(r.HandledUntil.String)
			if err != nil {
				return nil, fmt.Errorf("schedule state of job %d: %w", r.ID, err)
			}
			j.State = &ScheduleState{Schedule: r.StateSchedule.String, Timezone: r.StateTimezone.String, HandledUntil: t}
		}
		out = append(out, j)
	}
	return out, nil
}

// Set records job's state; a job deleted meanwhile is ErrNotFound.
func (ss *ScheduleStates) Set(ctx context.Context, job int64, st ScheduleState) error {
	_, err := ss.s.w.ExecContext(ctx, `INSERT INTO job_schedule_state (job_id, schedule, timezone, handled_until, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET schedule = excluded.schedule,
		timezone = excluded.timezone, handled_until = excluded.handled_until, updated_at = excluded.updated_at`,
		job, st.Schedule, st.Timezone, formatTime(st.HandledUntil), formatTime(ss.s.now()))
	return classify(err, "schedule state of job %d", job)
}

// Delete forgets job's state (disabled, or no schedule any more), so
// enabling it again starts from the present instead of catching up.
func (ss *ScheduleStates) Delete(ctx context.Context, job int64) error {
	_, err := ss.s.w.ExecContext(ctx, "DELETE FROM job_schedule_state WHERE job_id = ?", job)
	return classify(err, "schedule state of job %d", job)
}

// ScheduledParams are the params of a backup the scheduler enqueues for
// fire time at: the fire time it was enqueued for, which ScheduledFor finds.
func ScheduledParams(at time.Time) json.RawMessage {
	return json.RawMessage(`{"scheduledFor":"` + formatTime(at) + `"}`)
}

// ScheduledFor returns the id of the backup of job the scheduler enqueued
// for fire time at, if there is one. The scheduler asks before enqueueing a
// fire time: a process that stopped between enqueueing and recording its
// state must not enqueue that fire again. Matching the fire time itself
// (rather than "queued since") keeps a fire handled late from hiding the
// next one.
func (ss *ScheduleStates) ScheduledFor(ctx context.Context, job int64, at time.Time) (int64, bool, error) {
	var id int64
	err := ss.s.r.GetContext(ctx, &id, `SELECT id FROM executions WHERE job_id = ? AND type = 'backup'
		AND trigger_type = 'schedule' AND json_extract(params, '$.scheduledFor') = ? ORDER BY id LIMIT 1`, job, formatTime(at))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("scheduled executions of job %d: %w", job, err)
	}
	return id, true, nil
}
