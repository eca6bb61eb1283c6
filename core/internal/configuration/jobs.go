package configuration

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/scheduler"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// Jobs is the backup jobs service.
type Jobs struct{ s *Service }

// AllDatabases is the value of "databases" that backs up whatever the
// source lists at run time.
const AllDatabases = "all"

// JobInput is the body of a create or a full update (PUT).
type JobInput struct {
	Name     string `json:"name"`
	SourceID int64  `json:"sourceId"`
	// Databases is "all" or a non-empty list of database names.
	Databases json.RawMessage `json:"databases"`
	// Destinations: at least one, each with its retention policy.
	Destinations []JobDestination `json:"destinations"`
	// Schedule is a five-field cron expression or a macro (@daily); null
	// or "" runs the job only when triggered.
	Schedule *string `json:"schedule"`
	// Timezone is the IANA zone the schedule and GFS buckets are read in;
	// null follows the defaultTimezone setting.
	Timezone *string `json:"timezone"`
	// Compression is zstd (default), gzip, brotli or none.
	Compression *string `json:"compression"`
	// CompressionLevel is null for the algorithm's default.
	CompressionLevel    *int              `json:"compressionLevel"`
	EncryptionProfileID *int64            `json:"encryptionProfileId"`
	Notifications       []JobNotification `json:"notifications"`
	// Enabled defaults to true; a disabled job's schedule does not fire.
	Enabled *bool `json:"enabled"`
}

// JobDestination is one destination of a job and how long its backups are
// kept there.
type JobDestination struct {
	DestinationID int64      `json:"destinationId"`
	Retention     *Retention `json:"retention"`
}

// Retention is a retention policy: {"policy": "keep-all"}, {"policy":
// "simple", "keepLast": 7, "keepDays": 30} (either or both), or {"policy":
// "gfs", "keepLast": 3, "keepDaily": 7, "keepWeekly": 4, "keepMonthly": 12,
// "keepYearly": 5}.
type Retention struct {
	Policy      string `json:"policy"`
	KeepLast    *int   `json:"keepLast,omitempty"`
	KeepDays    *int   `json:"keepDays,omitempty"`
	KeepDaily   *int   `json:"keepDaily,omitempty"`
	KeepWeekly  *int   `json:"keepWeekly,omitempty"`
	KeepMonthly *int   `json:"keepMonthly,omitempty"`
	KeepYearly  *int   `json:"keepYearly,omitempty"`
}

// Notification events a channel can ask for.
const (
	EventSuccess = "success"
	EventFailure = "failure"
	EventPartial = "partial"
)

// JobNotification is a channel told about some outcomes of the job's runs.
type JobNotification struct {
	ChannelID int64 `json:"channelId"`
	// Events: one or more of success, failure, partial.
	Events []string `json:"events"`
}

// Job is a job as the API shows it.
type Job struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Slug is the storage prefix of its backups, fixed at creation.
	Slug     string `json:"slug"`
	SourceID int64  `json:"sourceId"`
	// Databases is "all" or the list of names.
	Databases    any              `json:"databases"`
	Destinations []JobDestination `json:"destinations"`
	Schedule     *string          `json:"schedule"`
	Timezone     *string          `json:"timezone"`
	// EffectiveTimezone is Timezone or, when that is null, the
	// defaultTimezone setting: the zone NextRunAt was computed in.
	EffectiveTimezone   string            `json:"effectiveTimezone"`
	Compression         string            `json:"compression"`
	CompressionLevel    *int              `json:"compressionLevel"`
	EncryptionProfileID *int64            `json:"encryptionProfileId"`
	Notifications       []JobNotification `json:"notifications"`
	Enabled             bool              `json:"enabled"`
	// NextRunAt is when the schedule fires next (UTC); null for a job
	// without schedule or disabled.
	NextRunAt *time.Time `json:"nextRunAt"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

// List returns one page of jobs and the total.
func (j *Jobs) List(ctx context.Context, p store.Page) ([]Job, int, error) {
	jobs, total, err := j.s.st.Jobs().List(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	tz, err := j.s.st.Settings().DefaultTimezone(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Job, len(jobs))
	for i, job := range jobs {
		out[i] = j.view(job, tz)
	}
	return out, total, nil
}

// Get returns job id.
func (j *Jobs) Get(ctx context.Context, id int64) (Job, error) {
	job, err := j.s.st.Jobs().Get(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return j.viewNow(ctx, job)
}

// Create checks in and stores a new job.
func (j *Jobs) Create(ctx context.Context, in JobInput) (Job, error) {
	stored, err := j.check(ctx, in)
	if err != nil {
		return Job{}, err
	}
	job, err := j.s.st.Jobs().Create(ctx, stored)
	if err != nil {
		return Job{}, nameTaken(err, "job")
	}
	j.s.jobsChanged()
	return j.viewNow(ctx, job)
}

// Update checks in and replaces job id with it; the slug stays.
func (j *Jobs) Update(ctx context.Context, id int64, in JobInput) (Job, error) {
	if _, err := j.s.st.Jobs().Get(ctx, id); err != nil {
		return Job{}, err
	}
	stored, err := j.check(ctx, in)
	if err != nil {
		return Job{}, err
	}
	job, err := j.s.st.Jobs().Update(ctx, id, stored)
	if err != nil {
		return Job{}, nameTaken(err, "job")
	}
	j.s.jobsChanged()
	return j.viewNow(ctx, job)
}

// Delete removes job id; its executions and backup sets stay.
func (j *Jobs) Delete(ctx context.Context, id int64) (Job, error) {
	job, err := j.Get(ctx, id)
	if err != nil {
		return Job{}, err
	}
	if err := j.s.st.Jobs().Delete(ctx, id); err != nil {
		return Job{}, err
	}
	j.s.jobsChanged()
	return job, nil
}

func (j *Jobs) viewNow(ctx context.Context, job store.Job) (Job, error) {
	tz, err := j.s.st.Settings().DefaultTimezone(ctx)
	if err != nil {
		return Job{}, err
	}
	return j.view(job, tz), nil
}

// view turns a stored job into its API form; defaultTZ is the setting
// jobs without a zone follow.
func (j *Jobs) view(job store.Job, defaultTZ string) Job {
	v := Job{
		ID: job.ID, Name: job.Name, Slug: job.Slug, SourceID: job.SourceID,
		Compression: job.Compression, CompressionLevel: job.CompressionLevel,
		EncryptionProfileID: job.EncryptionProfileID, Enabled: job.Enabled,
		Destinations: make([]JobDestination, len(job.Destinations)), Notifications: make([]JobNotification, len(job.Notifications)),
		EffectiveTimezone: defaultTZ, CreatedAt: job.CreatedAt, UpdatedAt: job.UpdatedAt,
	}
	if job.AllDatabases {
		v.Databases = AllDatabases
	} else {
		v.Databases = job.Databases
	}
	if job.Schedule != "" {
		s := job.Schedule
		v.Schedule = &s
	}
	if job.Timezone != "" {
		tz := job.Timezone
		v.Timezone, v.EffectiveTimezone = &tz, tz
	}
	for i, d := range job.Destinations {
		r := d.Retention
		v.Destinations[i] = JobDestination{DestinationID: d.DestinationID, Retention: &Retention{
			Policy: r.Policy, KeepLast: r.KeepLast, KeepDays: r.KeepDays, KeepDaily: r.KeepDaily,
			KeepWeekly: r.KeepWeekly, KeepMonthly: r.KeepMonthly, KeepYearly: r.KeepYearly,
		}}
	}
	for i, n := range job.Notifications {
		events := []string{}
		if n.OnSuccess {
			events = append(events, EventSuccess)
		}
		if n.OnFailure {
			events = append(events, EventFailure)
		}
		if n.OnPartial {
			events = append(events, EventPartial)
		}
		v.Notifications[i] = JobNotification{ChannelID: n.ChannelID, Events: events}
	}
	if job.Enabled && job.Schedule != "" {
		// The scheduler's own computation, so that what is shown is what
		// will fire, DST rules included.
		if next, err := scheduler.NextRuns(job.Schedule, v.EffectiveTimezone, j.s.now(), 1); err == nil {
			v.NextRunAt = &next[0]
		}
	}
	return v
}

// exists reports whether get finds a row; a lookup failure other than "not
// found" is returned.
func exists(err error) (bool, error) {
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
