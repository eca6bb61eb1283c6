package queue

import (
	"context"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// told is one NotifyInterrupted call: the execution as handed over, and its
// status in the store at that moment.
type told struct {
	ex     store.Execution
	stored store.ExecutionStatus
}

// notifyingRunner is a testRunner that is also an InterruptNotifier.
// onNotify, when set, runs inside each call (a test blocks or breaks it).
type notifyingRunner struct {
	*testRunner
	told     chan told
	onNotify func(ctx context.Context)
}

func newNotifyingRunner(st *store.Store) *notifyingRunner {
	return &notifyingRunner{testRunner: newRunner(st), told: make(chan told, 100)}
}

func (r *notifyingRunner) NotifyInterrupted(ctx context.Context, ex store.Execution) {
	stored, err := r.st.Executions().Get(context.Background(), ex.ID)
	if err != nil {
		panic(err)
	}
	r.told <- told{ex: ex, stored: stored.Status}
	if r.onNotify != nil {
		r.onNotify(ctx)
	}
}

// crashWith leaves n claimed (running) executions and one pending in st, as
// a process that died would, and returns their ids.
func crashWith(t *testing.T, st *store.Store, n int) (running []int64, pending int64) {
	t.Helper()
	ctx := context.Background()
	for range n + 1 {
		if _, err := st.Executions().Enqueue(ctx, store.NewExecution{Type: store.TypeVerify, Trigger: store.TriggerAPI}); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		ex, ok, err := st.Executions().ClaimNext(ctx, n)
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		running = append(running, ex.ID)
	}
	list, _, err := st.Executions().List(ctx, store.ExecutionFilter{Statuses: []store.ExecutionStatus{store.StatusPending}}, store.Page{})
	if err != nil || len(list) != 1 {
		t.Fatalf("pending executions: %v %v", list, err)
	}
	return running, list[0].ID
}

// runPending lets q dispatch pending (recovery is over once it runs) and
// finishes it.
func runPending(t *testing.T, r *notifyingRunner, pending int64) {
	t.Helper()
	c := <-r.calls
	if c.ex.ID != pending {
		t.Fatalf("started execution %d, want the pending %d", c.ex.ID, pending)
	}
	c.finish <- store.StatusSuccess
	<-r.ended
}

// At start-up each execution a crash left running is handed to the
// notifier once, as it is about to be recorded (interrupted, with the
// reason) and before it is; a second start tells nothing more.
func TestRecoveryNotifiesOnce(t *testing.T) {
	st := openStore(t)
	setMax(t, st, 2)
	crashed, pending := crashWith(t, st, 2)

	r := newNotifyingRunner(st)
	stop := start(t, New(Options{Store: st, Runner: r}))
	runPending(t, r, pending)
	stop()
	close(r.told)
	var got []int64
	for c := range r.told {
		got = append(got, c.ex.ID)
		if c.ex.Status != store.StatusInterrupted || c.ex.Error != interruptedReason {
			t.Errorf("execution %d handed over as %s %q, want interrupted %q", c.ex.ID, c.ex.Status, c.ex.Error, interruptedReason)
		}
		if c.stored != store.StatusRunning {
			t.Errorf("execution %d was already %s when it was notified; it is recorded interrupted only after", c.ex.ID, c.stored)
		}
	}
	if len(got) != len(crashed) || !sameIDs(got, crashed) {
		t.Errorf("notified %v, want the crashed %v, each once", got, crashed)
	}
	for _, id := range crashed {
		if s := status(t, st, id); s.Status != store.StatusInterrupted || s.Error != interruptedReason {
			t.Errorf("execution %d is %s %q after recovery", id, s.Status, s.Error)
		}
	}

	// The next start: nothing is left running, so nobody is told again.
	again := newNotifyingRunner(st)
	q := New(Options{Store: st, Runner: again})
	start(t, q)
	runPending(t, again, enqueueVerify(t, q).ID)
	if len(again.told) != 0 {
		t.Errorf("a second start notified %d execution(s) again", len(again.told))
	}
}

// The core stops (or dies) while the notifier is telling: the execution
// stays running, so the next start tells again rather than never.
func TestRecoveryStoppedWhileNotifyingTellsAgain(t *testing.T) {
	st := openStore(t)
	crashed, pending := crashWith(t, st, 1)

	r := newNotifyingRunner(st)
	r.onNotify = func(ctx context.Context) { <-ctx.Done() } // still telling when the core stops
	stop := start(t, New(Options{Store: st, Runner: r}))
	<-r.told
	stop() // returns after Run returned
	if s := status(t, st, crashed[0]); s.Status != store.StatusRunning {
		t.Fatalf("execution %d is %s after a recovery stopped while notifying, want still running", crashed[0], s.Status)
	}
	if s := status(t, st, pending); s.Status != store.StatusPending {
		t.Errorf("the pending execution is %s, want pending: nothing runs before recovery is over", s.Status)
	}

	again := newNotifyingRunner(st)
	start(t, New(Options{Store: st, Runner: again}))
	runPending(t, again, pending)
	if c := <-again.told; c.ex.ID != crashed[0] {
		t.Errorf("the next start notified %d, want %d", c.ex.ID, crashed[0])
	}
	if s := status(t, st, crashed[0]); s.Status != store.StatusInterrupted {
		t.Errorf("execution %d is %s after the next start, want interrupted", crashed[0], s.Status)
	}
}

// A notifier that panics costs that notification only: the execution is
// still recorded interrupted and cleaned, and pending ones run.
func TestRecoveryNotifierPanics(t *testing.T) {
	st := openStore(t)
	crashed, pending := crashWith(t, st, 1)
	r := newNotifyingRunner(st)
	r.onNotify = func(context.Context) { panic("boom") }
	start(t, New(Options{Store: st, Runner: r}))
	if got := <-r.cleaned; got != crashed[0] {
		t.Errorf("cleaned %d, want %d", got, crashed[0])
	}
	runPending(t, r, pending)
	if s := status(t, st, crashed[0]); s.Status != store.StatusInterrupted {
		t.Errorf("execution %d is %s, want interrupted", crashed[0], s.Status)
	}
}

func sameIDs(a, b []int64) bool {
	seen := map[int64]int{}
	for _, id := range a {
		seen[id]++
	}
	for _, id := range b {
		seen[id]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
