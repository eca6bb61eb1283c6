package queue

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// Runner carries out executions; implemented by package engine.
type Runner interface {
	// Run carries out ex (already claimed: status running) and records its
	// final status itself (store Finish). It returns when ex is finished.
	// ctx is cancelled to cancel the run; context.Cause(ctx) is
	// ErrCancelled when someone asked for it, ErrShutdown when the core is
	// stopping.
	Run(ctx context.Context, ex store.Execution)
	// CleanupInterrupted removes what an execution interrupted by a crash
	// left in storage (partial sets).
	CleanupInterrupted(ctx context.Context, executionID int64) error
}

// InterruptNotifier is a Runner that tells people about an execution a
// crash interrupted (the engine sends the job's on_failure channels their
// event). At start-up the queue calls it once for each execution it finds
// running, with Status and Error as they are about to be recorded, and
// records them interrupted only after it returned: a crash in between
// repeats the notification at the next start rather than losing it (a
// backup tool must not keep a dead backup quiet). Recovery, and so the
// dispatch of pending executions, waits for it: it must return in bounded
// time, and return early when ctx ends.
type InterruptNotifier interface {
	NotifyInterrupted(ctx context.Context, ex store.Execution)
}

// interruptedReason is the error of an execution dbkeep stopped under,
// whether it saw the stop coming or found the run unfinished at start-up.
const interruptedReason = "dbkeep stopped while this ran"

// Options are what New needs. Store and Runner are required.
type Options struct {
	Store  *store.Store
	Runner Runner
	Logger hclog.Logger
	// PollInterval is how often the dispatcher looks at the queue without
	// being woken (a changed maxConcurrentJobs, rows written by another
	// process); default 5s.
	PollInterval time.Duration
	// FinishTimeout bounds the store write that records the status of a run
	// its runner left running; default 10s.
	FinishTimeout time.Duration
}

// Queue dispatches pending executions to the Runner. Its methods are safe
// for concurrent use; Run is called once.
type Queue struct {
	st     *store.Store
	runner Runner
	log    hclog.Logger
	poll   time.Duration
	finish time.Duration
	wake   chan struct{}

	// mu covers a claim and the registration of its cancel function
	// together, so Cancel never sees a run that is running in the store but
	// not yet cancellable here.
	mu      sync.Mutex
	running map[int64]context.CancelCauseFunc
	wg      sync.WaitGroup
}

// New returns a queue over opts.Store; nothing runs before Run.
func New(opts Options) *Queue {
	if opts.Store == nil || opts.Runner == nil {
		panic("queue.New: Store and Runner are required")
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.FinishTimeout <= 0 {
		opts.FinishTimeout = 10 * time.Second
	}
	return &Queue{
		st: opts.Store, runner: opts.Runner, log: opts.Logger,
		poll: opts.PollInterval, finish: opts.FinishTimeout,
		wake: make(chan struct{}, 1), running: map[int64]context.CancelCauseFunc{},
	}
}

// Run recovers (the Runner, when it is an InterruptNotifier, tells people
// about each execution left running by a crash; those become interrupted
// and the Runner cleans what each left in storage; notification and
// cleanup errors are logged, not fatal) and then dispatches pending
// executions in FIFO order until ctx ends. It returns after ctx ends and
// every running execution has stopped; their contexts are cancelled with
// cause ErrShutdown.
func (q *Queue) Run(ctx context.Context) error {
	// Nothing may run before the previous process's leftovers are dealt
	// with, and a core without a dispatcher would leave every execution
	// pending forever: a failing recovery (a busy or locked state file) is
	// retried until it works or the core stops.
	told := map[int64]bool{} // a retried recovery does not notify twice
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		err := q.recover(ctx, told)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		q.log.Error("recovering the executions of the previous start failed; nothing runs until it works", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
	ticker := time.NewTicker(q.poll)
	defer ticker.Stop()
	for {
		q.dispatch(ctx)
		select {
		case <-ctx.Done():
			q.stopAll()
			q.wg.Wait()
			return nil
		case <-q.wake:
		case <-ticker.C:
		}
	}
}

// recover handles the executions a previous process left running: nothing
// runs them any more, so whoever watches their job's failures is told, they
// are interrupted, and their partial sets are removed before anything new
// starts. told holds the executions already notified by this process.
func (q *Queue) recover(ctx context.Context, told map[int64]bool) error {
	if err := q.notifyInterrupted(ctx, told); err != nil {
		return err
	}
	ids, err := q.st.Executions().InterruptRunning(ctx, interruptedReason)
	if err != nil {
		return fmt.Errorf("queue recovery: %w", err)
	}
	for _, id := range ids {
		q.log.Warn("execution was running when dbkeep stopped; marked interrupted", "execution", id)
		if err := q.runner.CleanupInterrupted(ctx, id); err != nil {
			q.log.Error("cleaning what an interrupted execution left in storage failed", "execution", id, "error", err)
		}
	}
	return nil
}

// notifyInterrupted hands every execution left running, not yet in told,
// to the Runner's NotifyInterrupted, all at once so that the wait is one
// notification's, and adds them to told. It runs before they are recorded
// interrupted (see InterruptNotifier); when ctx ends first it returns
// ctx's error, leaving them running to be notified at the next start.
func (q *Queue) notifyInterrupted(ctx context.Context, told map[int64]bool) error {
	notifier, ok := q.runner.(InterruptNotifier)
	if !ok {
		return nil
	}
	running, err := q.leftRunning(ctx)
	if err != nil {
		return fmt.Errorf("queue recovery: %w", err)
	}
	var wg sync.WaitGroup
	for _, ex := range running {
		if told[ex.ID] {
			continue
		}
		told[ex.ID] = true
		ex.Status, ex.Error = store.StatusInterrupted, interruptedReason
		wg.Go(func() { q.tell(ctx, notifier, ex) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("queue recovery: %w", err)
	}
	return nil
}

// leftRunning returns every execution the store says is running. At
// start-up, before the first dispatch, those are the previous process's.
func (q *Queue) leftRunning(ctx context.Context) ([]store.Execution, error) {
	var out []store.Execution
	filter := store.ExecutionFilter{Statuses: []store.ExecutionStatus{store.StatusRunning}}
	for page := (store.Page{Limit: store.MaxPageSize}); ; page.Offset += page.Limit {
		list, total, err := q.st.Executions().List(ctx, filter, page)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		if len(list) == 0 || len(out) >= total {
			return out, nil
		}
	}
}

// tell calls NotifyInterrupted for ex; a panic is logged, so that a bug
// there cannot stop the core from starting.
func (q *Queue) tell(ctx context.Context, notifier InterruptNotifier, ex store.Execution) {
	defer func() {
		if r := recover(); r != nil {
			q.log.Error("notifying an interrupted execution panicked", "execution", ex.ID, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	notifier.NotifyInterrupted(ctx, ex)
}

// dispatch starts pending executions, oldest first, while fewer than
// maxConcurrentJobs run. The setting is read each time, so a change applies
// without restart: raising it starts more now, lowering it lets the running
// ones finish.
func (q *Queue) dispatch(ctx context.Context) {
	max, err := q.st.Settings().MaxConcurrentJobs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			q.log.Error("reading maxConcurrentJobs failed; nothing dispatched", "error", err)
		}
		return
	}
	for ctx.Err() == nil {
		started, err := q.startNext(ctx, max)
		if err != nil {
			if ctx.Err() == nil {
				q.log.Error("claiming the next execution failed", "error", err)
			}
			return
		}
		if !started {
			return
		}
	}
}

func (q *Queue) startNext(ctx context.Context, max int) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ex, ok, err := q.st.Executions().ClaimNext(ctx, max)
	if err != nil || !ok {
		return false, err
	}
	// Detached from ctx: shutdown cancels runs with its own cause
	// (stopAll), so a runner can tell it from a cancel request.
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	q.running[ex.ID] = cancel
	q.wg.Add(1)
	q.log.Info("execution started", "execution", ex.ID, "type", ex.Type, "job", ex.JobName, "trigger", ex.Trigger)
	go q.run(runCtx, ex)
	return true, nil
}

// run calls the Runner and makes sure the execution ends in a final status
// whatever the Runner does, panics included.
func (q *Queue) run(ctx context.Context, ex store.Execution) {
	defer q.wg.Done()
	defer func() {
		q.mu.Lock()
		cancel := q.running[ex.ID]
		delete(q.running, ex.ID)
		q.mu.Unlock()
		cancel(nil)
		q.Wake() // a slot is free
	}()
	problem := q.call(ctx, ex)
	q.settle(ctx, ex.ID, problem)
}

// call runs the Runner, turning a panic into an error text.
func (q *Queue) call(ctx context.Context, ex store.Execution) (problem string) {
	defer func() {
		if r := recover(); r != nil {
			q.log.Error("runner panicked", "execution", ex.ID, "panic", r, "stack", string(debug.Stack()))
			problem = fmt.Sprintf("internal error: the runner panicked: %v", r)
		}
	}()
	q.runner.Run(ctx, ex)
	return ""
}

// settle finishes an execution the Runner left running: cancelled or
// interrupted when it was cancelled or the core is stopping, failed with
// the reason otherwise.
func (q *Queue) settle(ctx context.Context, id int64, problem string) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.finish)
	defer cancel()
	ex, err := q.st.Executions().Get(fctx, id)
	if err != nil {
		q.log.Error("reading a finished execution failed", "execution", id, "error", err)
		return
	}
	if ex.Status != store.StatusRunning {
		q.log.Info("execution finished", "execution", id, "status", ex.Status)
		return
	}
	status := store.StatusFailed
	if problem == "" {
		// The run stopped; when it was asked to, that is the outcome.
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, ErrCancelled):
			status, problem = store.StatusCancelled, ErrCancelled.Error()
		case errors.Is(cause, ErrShutdown):
			status, problem = store.StatusInterrupted, interruptedReason
		default:
			problem = "internal error: the runner returned without recording a final status"
		}
	}
	if err := q.st.Executions().Finish(fctx, id, status, problem); err != nil && !errors.Is(err, store.ErrNotFound) {
		q.log.Error("recording the end of an execution failed", "execution", id, "status", status, "error", err)
		return
	}
	q.log.Warn("execution finished by the queue", "execution", id, "status", status, "reason", problem)
}

func (q *Queue) stopAll() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, cancel := range q.running {
		cancel(ErrShutdown)
	}
}

// Wake makes the dispatcher look at the queue now, for instance after
// maxConcurrentJobs was raised.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default: // a wake-up is already due
	}
}

// Enqueue adds an execution at the end of the queue and wakes the
// dispatcher. A backup of a job already pending or running is an
// *AlreadyQueuedError naming that execution (wrapping store.ErrConflict).
func (q *Queue) Enqueue(ctx context.Context, in store.NewExecution) (store.Execution, error) {
	ex, err := q.st.Executions().Enqueue(ctx, in)
	if err != nil {
		if errors.Is(err, store.ErrConflict) && in.Type == store.TypeBackup && in.JobID != nil {
			if active, ok := q.active(ctx, *in.JobID); ok {
				return store.Execution{}, &AlreadyQueuedError{Execution: active}
			}
		}
		return store.Execution{}, err
	}
	q.Wake()
	return ex, nil
}

// active returns the pending or running backup of job, if it has one.
func (q *Queue) active(ctx context.Context, job int64) (store.Execution, bool) {
	for _, st := range []store.ExecutionStatus{store.StatusPending, store.StatusRunning} {
		list, _, err := q.st.Executions().List(ctx, store.ExecutionFilter{JobID: &job, Statuses: []store.ExecutionStatus{st}}, store.Page{Limit: 10})
		if err != nil {
			q.log.Warn("looking up the active execution of a job failed", "job", job, "error", err)
			return store.Execution{}, false
		}
		for _, ex := range list {
			if ex.Type == store.TypeBackup {
				return ex, true
			}
		}
	}
	return store.Execution{}, false // it finished in between
}

// Cancel cancels a pending execution at once, or cancels the context of a
// running one (cause ErrCancelled) and returns; the Runner then records the
// final status cancelled. A finished execution is returned unchanged.
func (q *Queue) Cancel(ctx context.Context, id int64) (store.Execution, error) {
	ex, err := q.st.Executions().RequestCancel(ctx, id)
	if err != nil {
		return store.Execution{}, err
	}
	if ex.Status == store.StatusRunning {
		q.mu.Lock()
		cancel, ok := q.running[id]
		q.mu.Unlock()
		if ok {
			cancel(ErrCancelled)
			q.log.Info("cancel requested", "execution", id)
		}
		// Not ours: another process runs it; cancel_requested is recorded
		// for it.
	}
	return ex, nil
}

// Length returns how many executions are pending, for metrics.
func (q *Queue) Length(ctx context.Context) (int, error) {
	_, n, err := q.st.Executions().List(ctx, store.ExecutionFilter{Statuses: []store.ExecutionStatus{store.StatusPending}}, store.Page{Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("queue length: %w", err)
	}
	return n, nil
}
