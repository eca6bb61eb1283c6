package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Jobs is the repository of backup jobs: a job row with its destinations
// (each with a retention policy) and its notification channels (each with
// the events it wants), always written together in one transaction.
type Jobs struct{ s *Store }

// Jobs returns the jobs repository.
func (s *Store) Jobs() *Jobs { return &Jobs{s: s} }

// Retention policies (DESIGN §4).
const (
	RetentionKeepAll = "keep-all"
	RetentionSimple  = "simple"
	RetentionGFS     = "gfs"
)

// Retention is one destination's retention policy. Keep-all sets no
// number; simple sets KeepLast and/or KeepDays; gfs sets KeepLast and the
// Keep{Daily,Weekly,Monthly,Yearly} buckets. Unset numbers are nil.
type Retention struct {
	Policy      string
	KeepLast    *int
	KeepDays    *int
	KeepDaily   *int
	KeepWeekly  *int
	KeepMonthly *int
	KeepYearly  *int
}

// JobDestination is one destination of a job.
type JobDestination struct {
	DestinationID int64
	Retention     Retention
}

// JobNotification is one notification channel of a job and the outcomes
// it is told about.
type JobNotification struct {
	ChannelID int64
	OnSuccess bool
	OnFailure bool
	OnPartial bool
}

// JobInput is what Create and Update take; the service has checked it.
type JobInput struct {
	Name     string
	SourceID int64
	// AllDatabases backs up whatever the source lists at run time;
	// otherwise Databases is the non-empty list chosen.
	AllDatabases bool
	Databases    []string
	// Schedule is a cron expression; "" runs only when triggered.
	Schedule string
	// Timezone is an IANA zone; "" follows the defaultTimezone setting.
	Timezone            string
	Compression         string
	CompressionLevel    *int
	EncryptionProfileID *int64
	Enabled             bool
	// Destinations in the order given; at least one.
	Destinations  []JobDestination
	Notifications []JobNotification
}

// Job is a stored job.
type Job struct {
	JobInput
	ID int64
	// Slug is the storage prefix of the job's backup sets, made from the
	// name at creation and never changed, so renaming a job does not
	// orphan its backups.
	Slug      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

type jobRow struct {
	ID                  int64          `db:"id"`
	Name                string         `db:"name"`
	Slug                string         `db:"slug"`
	SourceID            int64          `db:"source_id"`
	AllDatabases        bool           `db:"all_databases"`
	Databases           string         `db:"databases"`
	Schedule            sql.NullString `db:"schedule"`
	Timezone            sql.NullString `db:"timezone"`
	Compression         string         `db:"compression"`
	CompressionLevel    sql.NullInt64  `db:"compression_level"`
	EncryptionProfileID sql.NullInt64  `db:"encryption_profile_id"`
	Enabled             bool           `db:"enabled"`
	CreatedAt           string         `db:"created_at"`
	UpdatedAt           string         `db:"updated_at"`
}

const jobColumns = `id, name, slug, source_id, all_databases, databases, schedule, timezone, compression,
	compression_level, encryption_profile_id, enabled, created_at, updated_at`

type jobDestinationRow struct {
	JobID         int64         `db:"job_id"`
	DestinationID int64         `db:"destination_id"`
	Retention     string        `db:"retention"`
	KeepLast      sql.NullInt64 `db:"keep_last"`
	KeepDays      sql.NullInt64 `db:"keep_days"`
	KeepDaily     sql.NullInt64 `db:"keep_daily"`
	KeepWeekly    sql.NullInt64 `db:"keep_weekly"`
	KeepMonthly   sql.NullInt64 `db:"keep_monthly"`
	KeepYearly    sql.NullInt64 `db:"keep_yearly"`
}

type jobNotificationRow struct {
	JobID     int64 `db:"job_id"`
	ChannelID int64 `db:"channel_id"`
	OnSuccess bool  `db:"on_success"`
	OnFailure bool  `db:"on_failure"`
	OnPartial bool  `db:"on_partial"`
}

// Create stores a new job with a slug made from its name; a taken name is
// ErrConflict, a source, destination, channel or profile that does not
// exist ErrNotFound.
func (j *Jobs) Create(ctx context.Context, in JobInput) (Job, error) {
	var id int64
	err := j.s.inTx(ctx, func(tx *sqlx.Tx) error {
		slug, err := freeSlug(ctx, tx, in.Name)
		if err != nil {
			return err
		}
		dbs, err := databasesJSON(in)
		if err != nil {
			return err
		}
		now := formatTime(j.s.now())
		res, err := tx.ExecContext(ctx, `INSERT INTO jobs (name, slug, source_id, all_databases, databases, schedule,
			timezone, compression, compression_level, encryption_profile_id, enabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.Name, slug, in.SourceID, in.AllDatabases, dbs, nullString(in.Schedule), nullString(in.Timezone),
			in.Compression, in.CompressionLevel, in.EncryptionProfileID, in.Enabled, now, now)
		if err != nil {
			return classify(err, "create job %q", in.Name)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return writeJobParts(ctx, tx, id, in)
	})
	if err != nil {
		return Job{}, err
	}
	return j.Get(ctx, id)
}

// Get returns job id with its destinations and notifications.
func (j *Jobs) Get(ctx context.Context, id int64) (Job, error) {
	var row jobRow
	if err := j.s.r.GetContext(ctx, &row, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", id); err != nil {
		return Job{}, classify(err, "job %d", id)
	}
	jobs, err := j.assemble(ctx, []jobRow{row})
	if err != nil {
		return Job{}, err
	}
	return jobs[0], nil
}

// List returns one page of jobs ordered by name, and the total.
func (j *Jobs) List(ctx context.Context, p Page) ([]Job, int, error) {
	p = p.normalized()
	var total int
	if err := j.s.r.GetContext(ctx, &total, "SELECT count(*) FROM jobs"); err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	var rows []jobRow
	if err := j.s.r.SelectContext(ctx, &rows, "SELECT "+jobColumns+" FROM jobs ORDER BY name, id LIMIT ? OFFSET ?",
		p.Limit, p.Offset); err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	jobs, err := j.assemble(ctx, rows)
	return jobs, total, err
}

// Update replaces job id's settings, destinations and notifications; the
// slug stays.
func (j *Jobs) Update(ctx context.Context, id int64, in JobInput) (Job, error) {
	err := j.s.inTx(ctx, func(tx *sqlx.Tx) error {
		dbs, err := databasesJSON(in)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET name = ?, source_id = ?, all_databases = ?, databases = ?,
			schedule = ?, timezone = ?, compression = ?, compression_level = ?, encryption_profile_id = ?,
			enabled = ?, updated_at = ? WHERE id = ?`,
			in.Name, in.SourceID, in.AllDatabases, dbs, nullString(in.Schedule), nullString(in.Timezone),
			in.Compression, in.CompressionLevel, in.EncryptionProfileID, in.Enabled, formatTime(j.s.now()), id)
		if err != nil {
			return classify(err, "update job %d", id)
		}
		if err := requireOne(res, "update job %d", id); err != nil {
			return err
		}
		for _, q := range []string{"DELETE FROM job_destinations WHERE job_id = ?", "DELETE FROM job_notifications WHERE job_id = ?"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("update job %d: %w", id, err)
			}
		}
		return writeJobParts(ctx, tx, id, in)
	})
	if err != nil {
		return Job{}, err
	}
	return j.Get(ctx, id)
}

// Delete removes job id with its destinations and notifications. Its
// executions and backup sets stay, keeping the job's name (history outlives
// configuration).
func (j *Jobs) Delete(ctx context.Context, id int64) error {
	res, err := j.s.w.ExecContext(ctx, "DELETE FROM jobs WHERE id = ?", id)
	if err != nil {
		return classify(err, "delete job %d", id)
	}
	return requireOne(res, "delete job %d", id)
}

// JobRef is a kind of row a job refers to.
type JobRef int

// What a job refers to.
const (
	RefSource JobRef = iota
	RefDestination
	RefChannel
	RefProfile
)

var jobRefQueries = map[JobRef]string{
	RefSource:      "SELECT name FROM jobs WHERE source_id = ? ORDER BY name LIMIT ?",
	RefDestination: "SELECT j.name FROM jobs j JOIN job_destinations d ON d.job_id = j.id WHERE d.destination_id = ? ORDER BY j.name LIMIT ?",
	RefChannel:     "SELECT j.name FROM jobs j JOIN job_notifications n ON n.job_id = j.id WHERE n.channel_id = ? ORDER BY j.name LIMIT ?",
	RefProfile:     "SELECT name FROM jobs WHERE encryption_profile_id = ? ORDER BY name LIMIT ?",
}

// NamesUsing returns the names of at most limit jobs that refer to the row
// id of kind ref, by name: what an "in use" answer names.
func (j *Jobs) NamesUsing(ctx context.Context, ref JobRef, id int64, limit int) ([]string, error) {
	q, ok := jobRefQueries[ref]
	if !ok {
		return nil, fmt.Errorf("jobs using: unknown reference %d", ref)
	}
	var names []string
	if err := j.s.r.SelectContext(ctx, &names, q, id, limit); err != nil {
		return nil, fmt.Errorf("jobs using: %w", err)
	}
	return names, nil
}

// writeJobParts inserts the destinations and notifications of job id.
func writeJobParts(ctx context.Context, tx *sqlx.Tx, id int64, in JobInput) error {
	for i, d := range in.Destinations {
		r := d.Retention
		_, err := tx.ExecContext(ctx, `INSERT INTO job_destinations (job_id, destination_id, position, retention,
			keep_last, keep_days, keep_daily, keep_weekly, keep_monthly, keep_yearly) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, d.DestinationID, i, r.Policy, r.KeepLast, r.KeepDays, r.KeepDaily, r.KeepWeekly, r.KeepMonthly, r.KeepYearly)
		if err != nil {
			return classify(err, "job %d destination %d", id, d.DestinationID)
		}
	}
	for _, n := range in.Notifications {
		_, err := tx.ExecContext(ctx, `INSERT INTO job_notifications (job_id, channel_id, on_success, on_failure, on_partial)
			VALUES (?, ?, ?, ?, ?)`, id, n.ChannelID, n.OnSuccess, n.OnFailure, n.OnPartial)
		if err != nil {
			return classify(err, "job %d notification channel %d", id, n.ChannelID)
		}
	}
	return nil
}

// assemble turns rows into jobs, reading the destinations and notifications
// of all of them in two queries.
func (j *Jobs) assemble(ctx context.Context, rows []jobRow) ([]Job, error) {
	out := make([]Job, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	byID := make(map[int64]*Job, len(rows))
	for i, r := range rows {
		job, err := r.job()
		if err != nil {
			return nil, err
		}
		out[i] = job
		ids[i] = r.ID
		byID[r.ID] = &out[i]
	}
	q, args, err := sqlx.In(`SELECT job_id, destination_id, retention, keep_last, keep_days, keep_daily, keep_weekly,
		keep_monthly, keep_yearly FROM job_destinations WHERE job_id IN (?) ORDER BY job_id, position`, ids)
	if err != nil {
		return nil, err
	}
	var dests []jobDestinationRow
	if err := j.s.r.SelectContext(ctx, &dests, q, args...); err != nil {
		return nil, fmt.Errorf("job destinations: %w", err)
	}
	for _, d := range dests {
		job := byID[d.JobID]
		job.Destinations = append(job.Destinations, JobDestination{DestinationID: d.DestinationID, Retention: Retention{
			Policy: d.Retention, KeepLast: intPtr(d.KeepLast), KeepDays: intPtr(d.KeepDays), KeepDaily: intPtr(d.KeepDaily),
			KeepWeekly: intPtr(d.KeepWeekly), KeepMonthly: intPtr(d.KeepMonthly), KeepYearly: intPtr(d.KeepYearly),
		}})
	}
	q, args, err = sqlx.In(`SELECT job_id, channel_id, on_success, on_failure, on_partial FROM job_notifications
		WHERE job_id IN (?) ORDER BY job_id, channel_id`, ids)
	if err != nil {
		return nil, err
	}
	var notes []jobNotificationRow
	if err := j.s.r.SelectContext(ctx, &notes, q, args...); err != nil {
		return nil, fmt.Errorf("job notifications: %w", err)
	}
	for _, n := range notes {
		job := byID[n.JobID]
		job.Notifications = append(job.Notifications, JobNotification{ChannelID: n.ChannelID,
			OnSuccess: n.OnSuccess, OnFailure: n.OnFailure, OnPartial: n.OnPartial})
	}
	return out, nil
}

func (r jobRow) job() (Job, error) {
	job := Job{ID: r.ID, Slug: r.Slug, JobInput: JobInput{
		Name: r.Name, SourceID: r.SourceID, AllDatabases: r.AllDatabases, Databases: []string{},
		Schedule: r.Schedule.String, Timezone: r.Timezone.String, Compression: r.Compression,
		CompressionLevel: intPtr(r.CompressionLevel), Enabled: r.Enabled,
		Destinations: []JobDestination{}, Notifications: []JobNotification{},
	}}
	if r.EncryptionProfileID.Valid {
		id := r.EncryptionProfileID.Int64
		job.EncryptionProfileID = &id
	}
	if err := json.Unmarshal([]byte(r.Databases), &job.Databases); err != nil {
		return Job{}, fmt.Errorf("job %d: stored databases: %w", r.ID, err)
	}
	var err error
	if job.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return Job{}, err
	}
	if job.UpdatedAt, err = parseTime(r.UpdatedAt); err != nil {
		return Job{}, err
	}
	return job, nil
}

func databasesJSON(in JobInput) (string, error) {
	dbs := in.Databases
	if in.AllDatabases || dbs == nil {
		dbs = []string{}
	}
	b, err := json.Marshal(dbs)
	return string(b), err
}

// maxSlugLength keeps storage prefixes short enough for every backend's
// object name limits.
const maxSlugLength = 48

// Slug returns the storage-safe form of a job name: lower-case ASCII
// letters and digits, every other run of characters one dash, "job" when
// nothing is left.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= maxSlugLength {
			break
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" {
		return "job"
	}
	return s
}

// freeSlug returns Slug(name), or it with the first free "-2", "-3", ...
// suffix. A slug is taken while a job has it or backup sets are recorded
// under it (a deleted job's sets keep their prefix), so a new job never
// writes into an old one's directory.
func freeSlug(ctx context.Context, tx *sqlx.Tx, name string) (string, error) {
	base := Slug(name)
	for n := 1; n < 10000; n++ {
		slug := base
		if n > 1 {
			slug = base + "-" + strconv.Itoa(n)
		}
		var taken bool
		// Prefixes are "<slug>/..."; '0' follows '/' in byte order, so the
		// range holds exactly the prefixes starting "<slug>/".
		err := tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM jobs WHERE slug = ?)
			OR EXISTS (SELECT 1 FROM backup_sets WHERE prefix >= ? AND prefix < ?)`, slug, slug+"/", slug+"0")
		if err != nil {
			return "", fmt.Errorf("job slug: %w", err)
		}
		if !taken {
			return slug, nil
		}
	}
	return "", fmt.Errorf("job slug for %q: %w: no free suffix", name, ErrConflict)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}
