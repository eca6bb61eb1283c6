package queue

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st := storetest.Open(t, nil)
	return st
}

// addJob stores a job named name on a fresh source.
func addJob(t *testing.T, st *store.Store, name string) int64 {
	t.Helper()
	ctx := context.Background()
	src, err := st.Sources().Create(ctx, store.ConnectionInput{Name: "src-" + name, PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	job, err := st.Jobs().Create(ctx, store.JobInput{Name: name, SourceID: src.ID, AllDatabases: true, Compression: "zstd", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return job.ID
}

// Outcomes a test asks of the runner besides a final status.
const (
	leaveRunning store.ExecutionStatus = "leave-running"
	doPanic      store.ExecutionStatus = "panic"
)

// call is one Run in progress; the test ends it by sending on finish.
type call struct {
	ex     store.Execution
	ctx    context.Context
	finish chan store.ExecutionStatus
	// inFlightBefore is how many runs were in progress when this began.
	inFlightBefore int
	// leaveOnCancel: the runner returns on cancel without recording.
	leaveOnCancel bool
}

// testRunner hands every run to the test and records what the queue must
// guarantee around it: how many ran at once, what was cleaned up.
type testRunner struct {
	st         *store.Store
	calls      chan call
	ended      chan int64
	cleaned    chan int64
	cleanupErr error
	// leaveOnCancel makes every run return on cancel without recording.
	leaveOnCancel bool

	mu       sync.Mutex
	inFlight int
	peak     int
}

func newRunner(st *store.Store) *testRunner {
	return &testRunner{st: st, calls: make(chan call, 100), ended: make(chan int64, 100), cleaned: make(chan int64, 100)}
}

func (r *testRunner) Run(ctx context.Context, ex store.Execution) {
	r.mu.Lock()
	c := call{ex: ex, ctx: ctx, finish: make(chan store.ExecutionStatus, 1), inFlightBefore: r.inFlight,
		leaveOnCancel: r.leaveOnCancel}
	r.inFlight++
	r.peak = max(r.peak, r.inFlight)
	r.mu.Unlock()
	// A run stops counting as in flight when it records its final status:
	// from then on the store says it is over and the queue may start the
	// next one, while this goroutine is still returning.
	var over sync.Once
	leave := func() {
		over.Do(func() {
			r.mu.Lock()
			r.inFlight--
			r.mu.Unlock()
		})
	}
	defer func() {
		leave()
		r.ended <- ex.ID
	}()
	r.calls <- c
	select {
	case status := <-c.finish:
		switch status {
		case leaveRunning:
			return
		case doPanic:
			panic("boom")
		}
		leave()
		if err := r.st.Executions().Finish(context.Background(), ex.ID, status, ""); err != nil {
			panic(err)
		}
	case <-ctx.Done():
		if c.leaveOnCancel {
			return
		}
		status := store.StatusCancelled
		if errors.Is(context.Cause(ctx), ErrShutdown) {
			status = store.StatusInterrupted
		}
		leave()
		if err := r.st.Executions().Finish(context.Background(), ex.ID, status, context.Cause(ctx).Error()); err != nil {
			panic(err)
		}
	}
}

func (r *testRunner) CleanupInterrupted(ctx context.Context, id int64) error {
	r.cleaned <- id
	return r.cleanupErr
}

// start runs q until the test ends and checks that Run returned cleanly.
func start(t *testing.T, q *Queue) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func enqueueVerify(t *testing.T, q *Queue) store.Execution {
	t.Helper()
	ex, err := q.Enqueue(context.Background(), store.NewExecution{Type: store.TypeVerify, Trigger: store.TriggerAPI})
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func setMax(t *testing.T, st *store.Store, n int) {
	t.Helper()
	if err := st.Settings().SetMaxConcurrentJobs(context.Background(), n); err != nil {
		t.Fatal(err)
	}
}

func status(t *testing.T, st *store.Store, id int64) store.Execution {
	t.Helper()
	ex, err := st.Executions().Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// With one slot, executions run one at a time in the order they were
// enqueued.
func TestFIFOOneAtATime(t *testing.T) {
	st := openStore(t)
	r := newRunner(st)
	q := New(Options{Store: st, Runner: r})
	var want []int64
	for range 4 {
		want = append(want, enqueueVerify(t, q).ID)
	}
	start(t, q)
	for _, id := range want {
		c := <-r.calls
		if c.ex.ID != id {
			t.Fatalf("started execution %d, want %d (FIFO)", c.ex.ID, id)
		}
		if c.ex.Status != store.StatusRunning {
			t.Errorf("runner got execution %d in status %s, want running", id, c.ex.Status)
		}
		c.finish <- store.StatusSuccess
		<-r.ended
	}
	if r.peak != 1 {
		t.Errorf("%d ran at once with maxConcurrentJobs 1", r.peak)
	}
	if n, err := q.Length(context.Background()); err != nil || n != 0 {
		t.Errorf("Length = %d, %v; want 0", n, err)
	}
}

// maxConcurrentJobs applies without restart: raising it starts more at
// once; lowering it lets the running ones finish before anything starts.
func TestMaxConcurrencyChangedLive(t *testing.T) {
	st := openStore(t)
	r := newRunner(st)
	q := New(Options{Store: st, Runner: r})
	setMax(t, st, 2)
	var ids []int64
	for range 5 {
		ids = append(ids, enqueueVerify(t, q).ID)
	}
	if n, err := q.Length(context.Background()); err != nil || n != 5 {
		t.Fatalf("Length = %d, %v; want 5", n, err)
	}
	start(t, q)
	first, second := <-r.calls, <-r.calls
	if first.ex.ID != ids[0] || second.ex.ID != ids[1] {
		t.Fatalf("started %d and %d, want %d and %d", first.ex.ID, second.ex.ID, ids[0], ids[1])
	}
	setMax(t, st, 3)
	q.Wake()
	third := <-r.calls
	if third.ex.ID != ids[2] || third.inFlightBefore != 2 {
		t.Fatalf("after raising to 3: started %d with %d in flight, want %d with 2", third.ex.ID, third.inFlightBefore, ids[2])
	}
	setMax(t, st, 1)
	for _, c := range []call{first, second, third} {
		c.finish <- store.StatusSuccess
		<-r.ended
	}
	fourth := <-r.calls
	if fourth.ex.ID != ids[3] || fourth.inFlightBefore != 0 {
		t.Fatalf("after lowering to 1: started %d with %d in flight, want %d with 0", fourth.ex.ID, fourth.inFlightBefore, ids[3])
	}
	fourth.finish <- store.StatusSuccess
	fifth := <-r.calls
	if fifth.ex.ID != ids[4] || fifth.inFlightBefore != 0 {
		t.Fatalf("started %d with %d in flight, want %d with 0", fifth.ex.ID, fifth.inFlightBefore, ids[4])
	}
	fifth.finish <- store.StatusSuccess
}

// A second backup of a job that is pending or running is refused with the
// execution already queued, pending or running.
func TestDuplicateEnqueueNamesExecution(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	r := newRunner(st)
	q := New(Options{Store: st, Runner: r})
	job := addJob(t, st, "nightly")
	other := addJob(t, st, "hourly")
	in := store.NewExecution{Type: store.TypeBackup, Trigger: store.TriggerManual, JobID: &job}
	first, err := q.Enqueue(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	check := func(state store.ExecutionStatus) {
		t.Helper()
		_, err := q.Enqueue(ctx, in)
		var aq *AlreadyQueuedError
		if !errors.As(err, &aq) || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second enqueue: %v, want an AlreadyQueuedError wrapping ErrConflict", err)
		}
		if aq.Execution.ID != first.ID || aq.Execution.Status != state {
			t.Errorf("already queued: execution %d %s, want %d %s", aq.Execution.ID, aq.Execution.Status, first.ID, state)
		}
		if want := `job "nightly" already has execution ` + strconv.FormatInt(first.ID, 10) + " " + string(state); err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
	}
	check(store.StatusPending)
	// Another job is not affected.
	if _, err := q.Enqueue(ctx, store.NewExecution{Type: store.TypeBackup, Trigger: store.TriggerManual, JobID: &other}); err != nil {
		t.Fatalf("backup of another job: %v", err)
	}
	start(t, q)
	c := <-r.calls
	check(store.StatusRunning)
	c.finish <- store.StatusSuccess
	<-r.ended
	// Finished: the job can be queued again.
	if _, err := q.Enqueue(ctx, in); err != nil {
		t.Fatalf("enqueue after the first finished: %v", err)
	}
	(<-r.calls).finish <- store.StatusSuccess
	(<-r.calls).finish <- store.StatusSuccess
}

// A pending execution is cancelled at once and never runs.
func TestCancelPending(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	r := newRunner(st)
	q := New(Options{Store: st, Runner: r})
	a, b, c := enqueueVerify(t, q), enqueueVerify(t, q), enqueueVerify(t, q)
	start(t, q)
	running := <-r.calls
	if running.ex.ID != a.ID {
		t.Fatalf("started %d, want %d", running.ex.ID, a.ID)
	}
	got, err := q.Cancel(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusCancelled || got.FinishedAt == nil {
		t.Errorf("cancelled pending execution is %s (finished %v), want cancelled and finished", got.Status, got.FinishedAt)
	}
	running.finish <- store.StatusSuccess
	next := <-r.calls
	if next.ex.ID != c.ID {
		t.Fatalf("after cancelling %d, started %d, want %d", b.ID, next.ex.ID, c.ID)
	}
	next.finish <- store.StatusSuccess
	<-r.ended
	<-r.ended
	if got := status(t, st, b.ID); got.Status != store.StatusCancelled || got.StartedAt != nil {
		t.Errorf("cancelled execution ended %s, started %v", got.Status, got.StartedAt)
	}
	if _, err := q.Cancel(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cancel of a missing execution: %v, want ErrNotFound", err)
	}
}

// Cancelling a running execution cancels its runner's context with the
// cause ErrCancelled; the runner records cancelled.
func TestCancelRunning(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	r := newRunner(st)
	q := New(Options{Store: st, Runner: r})
	ex := enqueueVerify(t, q)
	start(t, q)
	c := <-r.calls
	got, err := q.Cancel(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusRunning || !got.CancelRequested {
		t.Errorf("Cancel returned %s, cancel requested %v; want running with cancel requested", got.Status, got.CancelRequested)
	}
	<-c.ctx.Done()
	if cause := context.Cause(c.ctx); !errors.Is(cause, ErrCancelled) {
		t.Errorf("cause %v, want ErrCancelled", cause)
	}
	<-r.ended
	if got := status(t, st, ex.ID); got.Status != store.StatusCancelled || got.Error != "cancelled by request" {
		t.Errorf("ended %s %q, want cancelled", got.Status, got.Error)
	}
	// Cancelling a finished execution leaves it alone.
	if got, err := q.Cancel(ctx, ex.ID); err != nil || got.Status != store.StatusCancelled {
		t.Errorf("second cancel: %s, %v", got.Status, err)
	}
}

// A runner that stops on a cancel request without recording the outcome
// still ends the execution cancelled, not failed.
func TestCancelledRunLeftRunning(t *testing.T) {
	st := openStore(t)
	r := newRunner(st)
	r.leaveOnCancel = true
	q := New(Options{Store: st, Runner: r})
	ex := enqueueVerify(t, q)
	next := enqueueVerify(t, q)
	start(t, q)
	<-r.calls
	if _, err := q.Cancel(context.Background(), ex.ID); err != nil {
		t.Fatal(err)
	}
	c := <-r.calls // the slot is free only once ex is settled
	if c.ex.ID != next.ID {
		t.Fatalf("started %d, want %d", c.ex.ID, next.ID)
	}
	if got := status(t, st, ex.ID); got.Status != store.StatusCancelled || got.Error != ErrCancelled.Error() {
		t.Errorf("ended %s %q, want cancelled", got.Status, got.Error)
	}
	c.finish <- store.StatusSuccess
}

// Executions a crash left running become interrupted and are cleaned up,
// a failing cleanup included; then the pending ones run.
func TestCrashRecovery(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var ids []int64
	for range 3 {
		ex, err := st.Executions().Enqueue(ctx, store.NewExecution{Type: store.TypeVerify, Trigger: store.TriggerAPI})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ex.ID)
	}
	// A previous process claimed two and died.
	var crashed []int64
	for range 2 {
		ex, ok, err := st.Executions().ClaimNext(ctx, 5)
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		crashed = append(crashed, ex.ID)
	}
	r := newRunner(st)
	r.cleanupErr = errors.New("storage unreachable")
	q := New(Options{Store: st, Runner: r})
	start(t, q)
	for _, id := range crashed {
		if got := <-r.cleaned; got != id {
			t.Errorf("cleaned %d, want %d", got, id)
		}
	}
	c := <-r.calls
	if c.ex.ID != ids[2] {
		t.Fatalf("after recovery started %d, want the pending %d", c.ex.ID, ids[2])
	}
	for _, id := range crashed {
		if got := status(t, st, id); got.Status != store.StatusInterrupted || got.Error == "" {
			t.Errorf("crashed execution %d is %s %q, want interrupted with a reason", id, got.Status, got.Error)
		}
	}
	c.finish <- store.StatusSuccess
}

// Whatever the runner does, the execution ends in a final status: a panic
// or a return without recording one fails it with a clear error, and the
// queue goes on.
func TestRunnerFaults(t *testing.T) {
	st := openStore(t)
	r := newRunner(st)
	q := New(Options{Store: st, Runner: r})
	panicked, left, after := enqueueVerify(t, q), enqueueVerify(t, q), enqueueVerify(t, q)
	start(t, q)
	(<-r.calls).finish <- doPanic
	<-r.ended
	(<-r.calls).finish <- leaveRunning
	<-r.ended
	c := <-r.calls
	if c.ex.ID != after.ID {
		t.Fatalf("started %d, want %d", c.ex.ID, after.ID)
	}
	for id, want := range map[int64]string{panicked.ID: "runner panicked: boom", left.ID: "returned without recording a final status"} {
		got := status(t, st, id)
		if got.Status != store.StatusFailed || !strings.Contains(got.Error, want) {
			t.Errorf("execution %d ended %s %q, want failed with %q", id, got.Status, got.Error, want)
		}
	}
	c.finish <- store.StatusSuccess
}

// Stopping the queue cancels running executions with cause ErrShutdown and
// Run returns only once they have stopped.
func TestShutdownStopsRuns(t *testing.T) {
	st := openStore(t)
	r := newRunner(st)
	q := New(Options{Store: st, Runner: r})
	setMax(t, st, 2)
	a, b := enqueueVerify(t, q), enqueueVerify(t, q)
	stop := start(t, q)
	<-r.calls
	<-r.calls
	stop() // returns after Run returned
	for _, id := range []int64{a.ID, b.ID} {
		if got := status(t, st, id); got.Status != store.StatusInterrupted || got.Error != ErrShutdown.Error() {
			t.Errorf("execution %d after shutdown: %s %q", id, got.Status, got.Error)
		}
	}
	if len(r.ended) != 2 {
		t.Errorf("Run returned with %d of 2 runs ended", len(r.ended))
	}
}
