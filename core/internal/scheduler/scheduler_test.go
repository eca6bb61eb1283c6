package scheduler

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/seal"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// clock is the test's time, shared by the store and the scheduler.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// logBuffer collects the scheduler's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// idleRunner is the runner of a queue that is never started: the
// scheduler only enqueues, and the test plays the runner through the store.
type idleRunner struct{ t *testing.T }

func (r idleRunner) Run(context.Context, store.Execution) { r.t.Error("the queue ran an execution") }
func (r idleRunner) CleanupInterrupted(context.Context, int64) error {
	r.t.Error("the queue cleaned up")
	return nil
}

type env struct {
	t     *testing.T
	clock *clock
	path  string
	seal  *seal.Sealer
	st    *store.Store
	q     *queue.Queue
	logs  *logBuffer
	src   int64
}

func newEnv(t *testing.T, start string) *env {
	t.Helper()
	key, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: &clock{now: utc(start)}, path: filepath.Join(t.TempDir(), store.FileName), seal: sealer, logs: &logBuffer{}}
	e.open()
	src, err := e.st.Sources().Create(context.Background(), store.ConnectionInput{Name: "src", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	e.src = src.ID
	return e
}

// open opens the store (again, after restart) on the test clock.
func (e *env) open() {
	st, err := store.Open(context.Background(), store.Options{Path: e.path, Sealer: e.seal, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	e.st = st
	e.q = queue.New(queue.Options{Store: st, Runner: idleRunner{e.t}})
}

// restart closes the store and opens it again, as a new process would.
func (e *env) restart() {
	e.st.Close()
	e.open()
}

func (e *env) scheduler() *Scheduler {
	return New(Options{Store: e.st, Enqueuer: e.q, Now: e.clock.Now,
		Logger: hclog.New(&hclog.LoggerOptions{Output: e.logs, Level: hclog.Debug})})
}

func (e *env) job(name, schedule, tz string) int64 {
	e.t.Helper()
	j, err := e.st.Jobs().Create(context.Background(), store.JobInput{Name: name, SourceID: e.src, AllDatabases: true,
		Compression: "zstd", Enabled: true, Schedule: schedule, Timezone: tz})
	if err != nil {
		e.t.Fatal(err)
	}
	return j.ID
}

// at sets the clock and runs one pass of s.
func (e *env) at(s *Scheduler, when string) time.Time {
	e.clock.set(utc(when))
	return s.check(context.Background())
}

// scheduled returns the scheduled backups of job, oldest first.
func (e *env) scheduled(job int64) []store.Execution {
	e.t.Helper()
	list, _, err := e.st.Executions().List(context.Background(), store.ExecutionFilter{JobID: &job}, store.Page{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.Execution
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Trigger != store.TriggerSchedule || list[i].Type != store.TypeBackup {
			e.t.Errorf("execution %d: %s %s", list[i].ID, list[i].Trigger, list[i].Type)
		}
		out = append(out, list[i])
	}
	return out
}

// finish plays the runner: the pending run of job runs and succeeds.
func (e *env) finish(job int64) {
	e.t.Helper()
	ctx := context.Background()
	ex, ok, err := e.st.Executions().ClaimNext(ctx, 64)
	if err != nil || !ok || *ex.JobID != job {
		e.t.Fatalf("claim: %+v %v %v", ex, ok, err)
	}
	if err := e.st.Executions().Finish(ctx, ex.ID, store.StatusSuccess, ""); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) want(job int64, n int) {
	e.t.Helper()
	if got := e.scheduled(job); len(got) != n {
		e.t.Fatalf("%d scheduled executions, want %d\nlog:\n%s", len(got), n, e.logs)
	}
}

func (e *env) setWindow(d time.Duration) {
	e.t.Helper()
	if err := e.st.Settings().SetMissedRunWindow(context.Background(), d); err != nil {
		e.t.Fatal(err)
	}
}

// A job fires at its fire time once, and not before; a new job does not
// fire for times before it was created.
func TestFiresWhenDue(t *testing.T) {
	e := newEnv(t, "2026-03-28T12:00:00Z")
	job := e.job("nightly", "30 2 * * *", "Europe/Berlin")
	s := e.scheduler()
	if next := e.at(s, "2026-03-28T12:00:00Z"); !next.Equal(utc("2026-03-29T01:00:00Z")) {
		t.Errorf("next fire time %s, want 2026-03-29T01:00:00Z (02:30 skipped by DST, so 03:00 CEST)", next)
	}
	e.at(s, "2026-03-29T00:59:59Z")
	e.want(job, 0)
	if next := e.at(s, "2026-03-29T01:00:00Z"); !next.Equal(utc("2026-03-30T00:30:00Z")) {
		t.Errorf("next after firing %s", next)
	}
	e.want(job, 1)
	e.at(s, "2026-03-29T01:00:00Z")
	e.at(s, "2026-03-29T01:00:40Z")
	e.want(job, 1)
	e.finish(job)
	e.at(s, "2026-03-30T00:30:05Z")
	e.want(job, 2)
	if !strings.Contains(e.logs.String(), "scheduled backup enqueued") {
		t.Errorf("no log line for the enqueued run:\n%s", e.logs)
	}
}

// A job whose earlier run is still pending or running is not enqueued
// again; the fire time is skipped with a log line and the schedule goes on.
func TestNoDoubleEnqueue(t *testing.T) {
	e := newEnv(t, "2026-05-01T00:00:00Z")
	job := e.job("often", "*/15 * * * *", "UTC")
	s := e.scheduler()
	e.at(s, "2026-05-01T00:00:00Z")
	e.at(s, "2026-05-01T00:15:00Z")
	e.want(job, 1)
	first := e.scheduled(job)[0]
	e.at(s, "2026-05-01T00:30:00Z")
	e.want(job, 1)
	if want := "skipped: execution " + strconv.FormatInt(first.ID, 10) + " still pending"; !strings.Contains(e.logs.String(), want) {
		t.Errorf("no %q in the log:\n%s", want, e.logs)
	}
	e.finish(job)
	// The skipped 00:30 is not caught up later: it was handled.
	e.at(s, "2026-05-01T00:31:00Z")
	e.want(job, 1)
	e.at(s, "2026-05-01T00:45:00Z")
	e.want(job, 2)
}

// Across a restart nothing fires twice, and fire times missed while dbkeep
// was down run once when the newest is within missedRunWindowSeconds.
func TestRestartCatchesUpOnceInsideWindow(t *testing.T) {
	e := newEnv(t, "2026-06-01T00:00:00Z")
	job := e.job("hourly", "0 * * * *", "UTC")
	s := e.scheduler()
	e.at(s, "2026-06-01T00:00:30Z")
	e.at(s, "2026-06-01T01:00:00Z")
	e.want(job, 1)
	e.finish(job)
	// Down from 01:10 to 05:20: 02:00 ... 05:00 missed; 05:00 is 20 min ago.
	e.restart()
	s = e.scheduler()
	e.at(s, "2026-06-01T05:20:00Z")
	e.want(job, 1+1)
	log := e.logs.String()
	if !strings.Contains(log, "catching up a scheduled backup") || !strings.Contains(log, "earlier_missed=3") {
		t.Errorf("catch-up not logged with the 3 older fire times:\n%s", log)
	}
	// Same time again, and a second restart: no second catch-up.
	e.at(s, "2026-06-01T05:20:30Z")
	e.restart()
	e.at(e.scheduler(), "2026-06-01T05:21:00Z")
	e.want(job, 2)
}

// Missed fire times older than the window are skipped with a log line;
// the schedule goes on from there.
func TestRestartSkipsOutsideWindow(t *testing.T) {
	for _, window := range []time.Duration{10 * time.Minute, 0} {
		e := newEnv(t, "2026-06-01T00:00:00Z")
		job := e.job("hourly", "0 * * * *", "UTC")
		e.setWindow(window)
		e.at(e.scheduler(), "2026-06-01T00:00:30Z")
		e.restart()
		s := e.scheduler()
		e.at(s, "2026-06-01T05:20:00Z")
		e.want(job, 0)
		if !strings.Contains(e.logs.String(), "skipped a scheduled backup missed while dbkeep was not running") {
			t.Errorf("window %s: skip not logged:\n%s", window, e.logs)
		}
		e.at(s, "2026-06-01T06:00:00Z")
		e.want(job, 1)
	}
}

// A process that enqueued a fire time and stopped before recording it
// does not enqueue it again after restart.
func TestEnqueuedBeforeStateWasRecorded(t *testing.T) {
	e := newEnv(t, "2026-06-01T00:00:00Z")
	job := e.job("hourly", "0 * * * *", "UTC")
	e.at(e.scheduler(), "2026-06-01T00:00:30Z")
	// What the stopped process did for 01:00: the enqueue, no state.
	e.clock.set(utc("2026-06-01T01:00:01Z"))
	if _, err := e.st.Executions().Enqueue(context.Background(), store.NewExecution{Type: store.TypeBackup, Trigger: store.TriggerSchedule, JobID: &job,
		Params: store.ScheduledParams(utc("2026-06-01T01:00:00Z"))}); err != nil {
		t.Fatal(err)
	}
	e.finish(job)
	e.restart()
	e.at(e.scheduler(), "2026-06-01T01:05:00Z")
	e.want(job, 1)
	if !strings.Contains(e.logs.String(), "already enqueued before a restart") {
		t.Errorf("not logged:\n%s", e.logs)
	}
}

// Disabling a job forgets its schedule state: enabling it later does not
// catch up what was due while it was off. A changed schedule starts over
// from the present the same way.
func TestDisableAndChange(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "2026-06-01T00:00:00Z")
	job := e.job("hourly", "0 * * * *", "UTC")
	s := e.scheduler()
	e.at(s, "2026-06-01T00:00:30Z")
	j, err := e.st.Jobs().Get(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	j.Enabled = false
	if _, err := e.st.Jobs().Update(ctx, job, j.JobInput); err != nil {
		t.Fatal(err)
	}
	e.at(s, "2026-06-01T01:00:00Z")
	e.want(job, 0)
	j.Enabled = true
	if _, err := e.st.Jobs().Update(ctx, job, j.JobInput); err != nil {
		t.Fatal(err)
	}
	e.at(s, "2026-06-01T01:10:00Z") // 01:00 was due while disabled
	e.want(job, 0)
	e.at(s, "2026-06-01T02:00:00Z")
	e.want(job, 1)
	e.finish(job)

	j.Schedule = "30 * * * *"
	if _, err := e.st.Jobs().Update(ctx, job, j.JobInput); err != nil {
		t.Fatal(err)
	}
	e.at(s, "2026-06-01T02:40:00Z") // 02:30 predates the change being seen
	e.want(job, 1)
	e.at(s, "2026-06-01T03:30:00Z")
	e.want(job, 2)
}

// A job without a zone follows defaultTimezone; changing the setting
// starts its schedule over in the new zone.
func TestDefaultTimezone(t *testing.T) {
	e := newEnv(t, "2026-06-01T00:00:00Z")
	job := e.job("nightly", "0 3 * * *", "")
	if err := e.st.Settings().SetDefaultTimezone(context.Background(), "America/New_York"); err != nil {
		t.Fatal(err)
	}
	s := e.scheduler()
	if next := e.at(s, "2026-06-01T00:00:00Z"); !next.Equal(utc("2026-06-01T07:00:00Z")) {
		t.Errorf("next %s, want 03:00 EDT = 07:00Z", next)
	}
	e.at(s, "2026-06-01T07:00:00Z")
	e.want(job, 1)
}

// Walking the clock minute by minute through both DST nights, a daily job
// at a skipped or repeated wall time runs exactly once each night.
func TestDSTNightsFireOnce(t *testing.T) {
	for _, c := range []struct {
		tz, expr, from, to string
		want               []string
	}{
		{"Europe/Berlin", "30 2 * * *", "2026-03-29T00:00:00Z", "2026-03-29T03:00:00Z", []string{"2026-03-29T01:00:00Z"}},
		{"Europe/Berlin", "30 2 * * *", "2026-10-24T23:30:00Z", "2026-10-25T02:30:00Z", []string{"2026-10-25T00:30:00Z"}},
		{"America/New_York", "30 1 * * *", "2026-11-01T04:30:00Z", "2026-11-01T07:30:00Z", []string{"2026-11-01T05:30:00Z"}},
		{"America/New_York", "30 2 * * *", "2026-03-08T06:00:00Z", "2026-03-08T09:00:00Z", []string{"2026-03-08T07:00:00Z"}},
	} {
		e := newEnv(t, c.from)
		job := e.job("dst", c.expr, c.tz)
		s := e.scheduler()
		for at := utc(c.from); !at.After(utc(c.to)); at = at.Add(time.Minute) {
			e.at(s, at.Format(time.RFC3339))
		}
		var got []string
		for _, ex := range e.scheduled(job) {
			got = append(got, ex.QueuedAt.Format(time.RFC3339))
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s %q: enqueued at %v, want %v", c.tz, c.expr, got, c.want)
		}
	}
}

// recorder passes enqueues on to the queue and tells the test.
type recorder struct {
	q  *queue.Queue
	ch chan store.Execution
}

func (r recorder) Enqueue(ctx context.Context, in store.NewExecution) (store.Execution, error) {
	ex, err := r.q.Enqueue(ctx, in)
	if err == nil {
		r.ch <- ex
	}
	return ex, err
}

// Run wakes on Notify: it takes up a job created while it sleeps (for an
// hour, so only Notify can wake it) and fires it when the clock says so; it
// returns when its context ends.
func TestRunNotify(t *testing.T) {
	e := newEnv(t, "2026-06-01T00:00:00Z")
	rec := recorder{q: e.q, ch: make(chan store.Execution, 4)}
	s := New(Options{Store: e.st, Enqueuer: rec, Now: e.clock.Now, MaxSleep: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	job := e.job("new", "5 0 * * *", "UTC")
	// A Notify may land in the pass that began before the job existed;
	// another follows until the job's state shows it was taken up.
	deadline := time.Now().Add(10 * time.Second)
	for !e.takenUp(job) {
		if time.Now().After(deadline) {
			t.Fatal("the job was not taken up after Notify")
		}
		s.Notify()
		time.Sleep(5 * time.Millisecond)
	}
	e.clock.set(utc("2026-06-01T00:05:00Z"))
	s.Notify()
	select {
	case ex := <-rec.ch:
		if *ex.JobID != job || ex.Trigger != store.TriggerSchedule {
			t.Errorf("enqueued %+v", ex)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing enqueued after Notify at the fire time")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func (e *env) takenUp(job int64) bool {
	jobs, err := e.st.ScheduleStates().Jobs(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, j := range jobs {
		if j.ID == job {
			return j.State != nil
		}
	}
	return false
}

// A job with a schedule the store holds but the scheduler cannot read is
// logged once and does not stop the others.
func TestBadScheduleLoggedOnce(t *testing.T) {
	e := newEnv(t, "2026-06-01T00:00:00Z")
	bad := e.job("bad", "0 3 * * *", "Mars/Olympus")
	good := e.job("good", "0 * * * *", "UTC")
	s := e.scheduler()
	e.at(s, "2026-06-01T00:00:00Z")
	e.at(s, "2026-06-01T00:30:00Z")
	e.at(s, "2026-06-01T01:00:00Z")
	e.want(good, 1)
	e.want(bad, 0)
	if n := strings.Count(e.logs.String(), "job not scheduled"); n != 1 {
		t.Errorf("bad schedule logged %d times, want 1:\n%s", n, e.logs)
	}
}

// Only the execution enqueued for a fire time counts as that fire's: one
// enqueued late for the previous fire (queued after this fire's time) does
// not make this fire look done.
func TestOnlyItsOwnFireCounts(t *testing.T) {
	e := newEnv(t, "2026-06-01T00:00:00Z")
	job := e.job("minutely", "* * * * *", "UTC")
	e.at(e.scheduler(), "2026-06-01T00:00:30Z")
	// A slow process enqueued 00:01's backup only at 00:02:05, then stopped
	// before recording it.
	e.clock.set(utc("2026-06-01T00:02:05Z"))
	if _, err := e.st.Executions().Enqueue(context.Background(), store.NewExecution{Type: store.TypeBackup, Trigger: store.TriggerSchedule, JobID: &job,
		Params: store.ScheduledParams(utc("2026-06-01T00:01:00Z"))}); err != nil {
		t.Fatal(err)
	}
	e.finish(job)
	e.restart()
	e.at(e.scheduler(), "2026-06-01T00:02:10Z")
	e.want(job, 2)
}
