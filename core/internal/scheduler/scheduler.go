package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// Enqueuer takes the scheduled backups; *queue.Queue is one.
type Enqueuer interface {
	Enqueue(ctx context.Context, in store.NewExecution) (store.Execution, error)
}

// Options are what New needs. Store and Enqueuer are required.
type Options struct {
	Store    *store.Store
	Enqueuer Enqueuer
	Logger   hclog.Logger
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
	// MaxSleep is the longest the scheduler sleeps without a Notify, so a
	// change it was not told about is seen; default 30s.
	MaxSleep time.Duration
}

// onTime is how late a fire time may be handled and still count as on
// time rather than missed: the loop wakes at the fire time, but a busy
// machine or database can make it a little late.
const onTime = time.Minute

// countCap bounds the count of missed fire times reported in a log line.
const countCap = 1000

// Scheduler enqueues the backups of enabled jobs when their schedules come
// due.
type Scheduler struct {
	st       *store.Store
	enq      Enqueuer
	log      hclog.Logger
	now      func() time.Time
	maxSleep time.Duration
	notify   chan struct{}
	// problems remembers the last problem logged per job, so a job with a
	// bad schedule is logged once, not every pass. Only the loop uses it.
	problems map[int64]string
}

// New returns a scheduler; nothing is scheduled before Run.
func New(opts Options) *Scheduler {
	if opts.Store == nil || opts.Enqueuer == nil {
		panic("scheduler.New: Store and Enqueuer are required")
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSleep <= 0 {
		opts.MaxSleep = 30 * time.Second
	}
	return &Scheduler{st: opts.Store, enq: opts.Enqueuer, log: opts.Logger, now: opts.Now,
		maxSleep: opts.MaxSleep, notify: make(chan struct{}, 1), problems: map[int64]string{}}
}

// Run schedules until ctx ends: it looks at every job, sleeps until the
// earliest next fire time (at most MaxSleep, less when Notify is called)
// and starts over. The first pass catches up runs missed while dbkeep was
// down (missedRunWindowSeconds).
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		next := s.check(ctx)
		wait := s.maxSleep
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.now()), 0))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-s.notify:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// Notify makes the scheduler look at the jobs now: call it when a job is
// created, changed or deleted, or defaultTimezone or
// missedRunWindowSeconds changed.
func (s *Scheduler) Notify() {
	select {
	case s.notify <- struct{}{}:
	default: // a look is already due
	}
}

// check handles every job at the present time and returns the earliest
// next fire time, zero when no job has one.
func (s *Scheduler) check(ctx context.Context) time.Time {
	now := s.now().UTC()
	settings, err := s.st.Settings().All(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("reading the settings failed; nothing scheduled this pass", "error", err)
		}
		return time.Time{}
	}
	jobs, err := s.st.ScheduleStates().Jobs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("reading the jobs failed; nothing scheduled this pass", "error", err)
		}
		return time.Time{}
	}
	var earliest time.Time
	for _, job := range jobs {
		if ctx.Err() != nil {
			return time.Time{}
		}
		next, err := s.handle(ctx, job, now, settings)
		if err != nil {
			s.problem(job, err)
			continue
		}
		delete(s.problems, job.ID)
		if !next.IsZero() && (earliest.IsZero() || next.Before(earliest)) {
			earliest = next
		}
	}
	return earliest
}

// handle fires job if a fire time of its is due at now and returns its
// next fire time (zero when it has none).
func (s *Scheduler) handle(ctx context.Context, job store.ScheduledJob, now time.Time, settings store.SettingValues) (time.Time, error) {
	states := s.st.ScheduleStates()
	expr := strings.TrimSpace(job.Schedule)
	if !job.Enabled || expr == "" {
		// Forget: enabling it again starts from that moment, it does not
		// catch up what was due while it was off.
		if job.State != nil {
			return time.Time{}, states.Delete(ctx, job.ID)
		}
		return time.Time{}, nil
	}
	tz := job.Timezone
	if tz == "" {
		tz = settings.DefaultTimezone
	}
	c, err := parseCron(expr, tz)
	if err != nil {
		return time.Time{}, err
	}
	if job.State == nil || job.State.Schedule != expr || job.State.Timezone != tz {
		// New, re-enabled or changed: times before now were never
		// scheduled under this schedule, so none of them is missed.
		if err := states.Set(ctx, job.ID, store.ScheduleState{Schedule: expr, Timezone: tz, HandledUntil: now}); err != nil {
			return time.Time{}, err
		}
		s.log.Debug("schedule taken up", "job", job.Name, "schedule", expr, "timezone", tz)
		return c.nextAfter(now)
	}
	due, err := c.nextAfter(job.State.HandledUntil)
	if err != nil {
		return time.Time{}, err
	}
	if due.After(now) {
		return due, nil
	}
	latest, ok := c.latestAtOrBefore(now)
	if !ok || latest.Before(due) {
		return time.Time{}, fmt.Errorf("schedule %q in %s: no fire time found between %s and %s", expr, tz,
			due.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	missed := c.countBetween(due, latest) - 1 // fire times dropped in favour of the latest
	late := now.Sub(latest)
	logArgs := []any{"job", job.Name, "due", latest.Format(time.RFC3339), "late", late.Round(time.Second).String()}
	if missed > 0 {
		logArgs = append(logArgs, "earlier_missed", countText(missed))
	}
	switch {
	case late <= onTime:
		if missed > 0 {
			s.log.Warn("earlier fire times were missed; running the latest only", logArgs...)
		}
		err = s.fire(ctx, job, latest, "scheduled backup enqueued", logArgs)
	case settings.MissedRunWindow > 0 && late <= settings.MissedRunWindow:
		err = s.fire(ctx, job, latest, "catching up a scheduled backup missed while dbkeep was not running (within missedRunWindowSeconds); it runs once",
			append(logArgs, "window", settings.MissedRunWindow.String()))
	default:
		s.log.Warn("skipped a scheduled backup missed while dbkeep was not running: later than missedRunWindowSeconds",
			append(logArgs, "window", settings.MissedRunWindow.String())...)
	}
	if err != nil {
		return time.Time{}, err // not advanced: the next pass tries again
	}
	if err := states.Set(ctx, job.ID, store.ScheduleState{Schedule: expr, Timezone: tz, HandledUntil: latest}); err != nil {
		return time.Time{}, err
	}
	return c.nextAfter(latest)
}

// fire enqueues the backup of job for fire time at, unless it is enqueued
// already: by this fire before a restart, or by an earlier trigger that
// is still pending or running (then the fire is skipped and logged).
func (s *Scheduler) fire(ctx context.Context, job store.ScheduledJob, at time.Time, msg string, logArgs []any) error {
	id, done, err := s.st.ScheduleStates().ScheduledFor(ctx, job.ID, at)
	if err != nil {
		return err
	}
	if done {
		s.log.Info("fire time already enqueued before a restart", append(logArgs, "execution", id)...)
		return nil
	}
	ex, err := s.enq.Enqueue(ctx, store.NewExecution{Type: store.TypeBackup, Trigger: store.TriggerSchedule, JobID: &job.ID,
		Params: store.ScheduledParams(at)})
	var queued *queue.AlreadyQueuedError
	switch {
	case err == nil:
		s.log.Info(msg, append(logArgs, "execution", ex.ID)...)
	case errors.As(err, &queued):
		s.log.Warn(fmt.Sprintf("skipped: execution %d still %s", queued.Execution.ID, queued.Execution.Status), logArgs...)
	case errors.Is(err, store.ErrConflict):
		s.log.Warn("skipped: an execution of the job is still pending or running", logArgs...)
	case errors.Is(err, store.ErrNotFound):
		return nil // deleted meanwhile; its state goes with it
	default:
		return fmt.Errorf("enqueue the scheduled backup of job %q: %w", job.Name, err)
	}
	return nil
}

// problem logs what is wrong with a job's scheduling, once until it
// changes.
func (s *Scheduler) problem(job store.ScheduledJob, err error) {
	if errors.Is(err, store.ErrNotFound) {
		return // deleted during the pass
	}
	if s.problems[job.ID] == err.Error() {
		return
	}
	s.problems[job.ID] = err.Error()
	s.log.Error("job not scheduled", "job", job.Name, "error", err)
}

// countBetween counts fire times from first to last, both included, up to
// countCap+1.
func (c cron) countBetween(first, last time.Time) int {
	n := 1
	for at := first; at.Before(last) && n <= countCap; n++ {
		next, err := c.nextAfter(at)
		if err != nil {
			break
		}
		at = next
	}
	return n
}

func countText(n int) string {
	if n >= countCap {
		return fmt.Sprintf("at least %d", countCap)
	}
	return fmt.Sprint(n)
}
