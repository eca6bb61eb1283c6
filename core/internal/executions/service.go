package executions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// Queue is what the service needs of the queue (*queue.Queue).
type Queue interface {
	// Enqueue adds a pending run; a backup of a job already pending or
	// running is a *queue.AlreadyQueuedError.
	Enqueue(ctx context.Context, in store.NewExecution) (store.Execution, error)
	// Cancel cancels a pending run or asks a running one to stop.
	Cancel(ctx context.Context, id int64) (store.Execution, error)
}

// Service runs and reports executions.
type Service struct {
	runs    *store.Executions
	queue   Queue
	journal *execlog.Journal
	now     func() time.Time
}

// New returns the service over the state database, the queue and the
// journal the engine records into.
func New(st *store.Store, q Queue, j *execlog.Journal) *Service {
	return &Service{runs: st.Executions(), queue: q, journal: j, now: time.Now}
}

// Execution is a run as the API shows it.
type Execution struct {
	ID      int64                 `json:"id"`
	Type    store.ExecutionType   `json:"type" jsonschema:"enum=backup,enum=restore,enum=verify"`
	Status  store.ExecutionStatus `json:"status" jsonschema:"enum=pending,enum=running,enum=success,enum=partial,enum=failed,enum=cancelled,enum=interrupted"`
	Trigger store.Trigger         `json:"trigger" jsonschema:"enum=schedule,enum=manual,enum=api"`
	// JobID is null once the job is deleted; JobName keeps its name.
	JobID       *int64 `json:"jobId"`
	JobName     string `json:"jobName"`
	BackupSetID *int64 `json:"backupSetId"`
	// Who triggered it: a user, and the API key they used (null for the
	// schedule and for a session).
	UserID   *int64 `json:"userId"`
	APIKeyID *int64 `json:"apiKeyId"`

	QueuedAt   time.Time  `json:"queuedAt"`
	StartedAt  *time.Time `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
	// DurationMs is the time from start to finish (to now while running);
	// null before the start.
	DurationMs      *int64 `json:"durationMs"`
	CancelRequested bool   `json:"cancelRequested"`
	// BytesDone, BytesTotal and Stage summarise Progress.
	BytesDone  int64  `json:"bytesDone"`
	BytesTotal int64  `json:"bytesTotal"`
	Stage      string `json:"stage"`
	Error      string `json:"error"`
	// Progress is the last progress stored; only in answers about one
	// execution (null in lists and before the run reports any).
	Progress *execlog.Progress `json:"progress,omitempty"`
}

// LogLine is one line of a run's log.
type LogLine struct {
	ID      int64          `json:"id"`
	At      time.Time      `json:"at"`
	Level   store.LogLevel `json:"level" jsonschema:"enum=debug,enum=info,enum=warn,enum=error"`
	Origin  string         `json:"origin"`
	Message string         `json:"message"`
}

// Lines converts stored lines.
func Lines(in []store.LogLine) []LogLine {
	out := make([]LogLine, len(in))
	for i, l := range in {
		out[i] = LogLine{ID: l.ID, At: l.At, Level: l.Level, Origin: l.Origin, Message: l.Message}
	}
	return out
}

func (s *Service) view(ex store.Execution) Execution {
	v := Execution{
		ID: ex.ID, Type: ex.Type, Status: ex.Status, Trigger: ex.Trigger, JobID: ex.JobID, JobName: ex.JobName,
		BackupSetID: ex.BackupSetID, UserID: ex.UserID, APIKeyID: ex.APIKeyID, QueuedAt: ex.QueuedAt,
		StartedAt: ex.StartedAt, FinishedAt: ex.FinishedAt, CancelRequested: ex.CancelRequested,
		BytesDone: ex.BytesDone, BytesTotal: ex.BytesTotal, Stage: ex.Stage, Error: ex.Error,
	}
	if ex.StartedAt != nil {
		end := s.now()
		if ex.FinishedAt != nil {
			end = *ex.FinishedAt
		}
		d := max(end.Sub(*ex.StartedAt).Milliseconds(), 0)
		v.DurationMs = &d
	}
	return v
}

// By says who asks for a run: a user through a session (manual) or
// through an API key (api).
type By struct {
	UserID   int64
	APIKeyID int64 // 0 for a session
}

// AlreadyQueuedError answers Run for a job that already has a backup
// pending or running: Execution is that one. It wraps store.ErrConflict.
type AlreadyQueuedError struct {
	Execution Execution
}

func (e *AlreadyQueuedError) Error() string {
	return fmt.Sprintf("job %q is already queued: execution %d is %s", e.Execution.JobName, e.Execution.ID, e.Execution.Status)
}

// Unwrap makes errors.Is(err, store.ErrConflict) hold.
func (e *AlreadyQueuedError) Unwrap() error { return store.ErrConflict }

// Run queues a backup of job now. A disabled job runs too: disabling stops
// its schedule, not the people who ask. A missing job is store.ErrNotFound.
func (s *Service) Run(ctx context.Context, jobID int64, by By) (Execution, error) {
	in := store.NewExecution{Type: store.TypeBackup, Trigger: store.TriggerManual, JobID: &jobID}
	if by.UserID != 0 {
		in.UserID = &by.UserID
	}
	if by.APIKeyID != 0 {
		in.Trigger, in.APIKeyID = store.TriggerAPI, &by.APIKeyID
	}
	ex, err := s.queue.Enqueue(ctx, in)
	var queued *queue.AlreadyQueuedError
	if errors.As(err, &queued) {
		return Execution{}, &AlreadyQueuedError{Execution: s.view(queued.Execution)}
	}
	if err != nil {
		return Execution{}, fmt.Errorf("run job %d: %w", jobID, err)
	}
	return s.view(ex), nil
}

// Filter narrows List; zero fields match everything.
type Filter struct {
	JobID    *int64
	Statuses []store.ExecutionStatus
	Type     store.ExecutionType
	// Since <= queued time < Until.
	Since, Until time.Time
}

// List returns one page of runs, newest first, and how many match.
func (s *Service) List(ctx context.Context, f Filter, p store.Page) ([]Execution, int, error) {
	list, total, err := s.runs.List(ctx, store.ExecutionFilter{JobID: f.JobID, Statuses: f.Statuses, Type: f.Type,
		Since: f.Since, Until: f.Until}, p)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Execution, len(list))
	for i, ex := range list {
		out[i] = s.view(ex)
	}
	return out, total, nil
}

// Get returns run id with its last stored progress.
func (s *Service) Get(ctx context.Context, id int64) (Execution, error) {
	ex, err := s.runs.Get(ctx, id)
	if err != nil {
		return Execution{}, err
	}
	v := s.view(ex)
	doc, err := s.runs.ProgressOf(ctx, id)
	if err != nil {
		return Execution{}, err
	}
	if string(doc) != "{}" {
		var p execlog.Progress
		if err := json.Unmarshal(doc, &p); err != nil {
			return Execution{}, fmt.Errorf("progress of execution %d: %w", id, err)
		}
		v.Progress = &p
	}
	return v, nil
}

// Status returns run id without its progress, for pollers.
func (s *Service) Status(ctx context.Context, id int64) (Execution, error) {
	ex, err := s.runs.Get(ctx, id)
	if err != nil {
		return Execution{}, err
	}
	return s.view(ex), nil
}

// MaxLogPage is the most lines Logs returns at once.
const MaxLogPage = 1000

// Logs returns up to limit (1 to MaxLogPage) lines of run id's log after
// line after, oldest first. A missing run is store.ErrNotFound.
func (s *Service) Logs(ctx context.Context, id, after int64, limit int) ([]LogLine, error) {
	if _, err := s.runs.Get(ctx, id); err != nil {
		return nil, err
	}
	limit = min(max(limit, 1), MaxLogPage)
	lines, err := s.runs.Logs(ctx, id, after, limit)
	if err != nil {
		return nil, err
	}
	return Lines(lines), nil
}

// Cancel cancels a pending run at once, or asks a running one to stop (its
// status becomes cancelled when it has). A finished run is an error
// wrapping store.ErrConflict naming its status.
func (s *Service) Cancel(ctx context.Context, id int64) (Execution, error) {
	ex, err := s.runs.Get(ctx, id)
	if err != nil {
		return Execution{}, err
	}
	if ex.Status.Final() {
		return Execution{}, fmt.Errorf("execution %d is already finished (%s): %w", id, ex.Status, store.ErrConflict)
	}
	ex, err = s.queue.Cancel(ctx, id)
	if err != nil {
		return Execution{}, fmt.Errorf("cancel execution %d: %w", id, err)
	}
	return s.view(ex), nil
}

// Subscribe streams what run id records from now on; see
// execlog.Journal.Subscribe for how to read it without missing a line.
func (s *Service) Subscribe(id int64) (<-chan execlog.Event, func()) { return s.journal.Subscribe(id) }

// Recording reports whether run id's recorder is still open, so a reader
// that sees a final status knows to wait for execlog.EventEnd.
func (s *Service) Recording(id int64) bool { return s.journal.Recording(id) }

// LogPage is one page of a log: Items after the line asked for, and
// NextAfter, the id to ask after for the next page (the last item's id, or
// the one asked for when there are none yet).
type LogPage struct {
	Items     []LogLine `json:"items"`
	NextAfter int64     `json:"nextAfter"`
}
