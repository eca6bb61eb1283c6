package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// The queue tells people about the executions a crash interrupted through
// the engine.
var _ queue.InterruptNotifier = (*Engine)(nil)

// NotifyInterrupted tells the job's on_failure channels that backup
// execution ex was interrupted: the core running it was killed or crashed,
// and the queue found it still running at the next start. ex carries the
// status and error the queue is about to record. The event is the one a
// run ending interrupted sends (backup.failure, warning), except that it
// has no duration (when the core died is unknown) and says when the run
// started. Each channel gets NotifyTimeout; the outcome is logged on the
// execution, and the channels that cannot be reached change nothing else.
func (e *Engine) NotifyInterrupted(ctx context.Context, ex store.Execution) {
	if ex.Type != store.TypeBackup || ex.JobID == nil {
		return // the engine notifies backups only, and a deleted job has no channels
	}
	job, err := e.o.Store.Jobs().Get(ctx, *ex.JobID)
	if err != nil {
		e.o.Logger.Error("load the job of an interrupted execution to notify its channels", "execution", ex.ID, "job", *ex.JobID, "error", err)
		return
	}
	want := channelsFor(job.Notifications, ex.Status)
	if len(want) == 0 {
		return
	}
	rec := e.o.Journal.For(ex.ID)
	defer func() {
		if err := e.o.Journal.Finish(ex.ID); err != nil {
			e.o.Logger.Warn("store the log of an interrupted execution's notifications", "execution", ex.ID, "error", err)
		}
	}()
	e.deliver(ctx, want, e.event(e.interruptedOutcome(ctx, ex, job)), e.o.NotifyTimeout, rec)
}

// interruptedOutcome describes execution ex of job, found running at
// start-up, with what the state database knows of it: the sets it wrote.
func (e *Engine) interruptedOutcome(ctx context.Context, ex store.Execution, job store.Job) outcome {
	o := outcome{ex: ex, job: job.Name, status: ex.Status, errText: ex.Error, fields: map[string]string{}}
	if source, err := e.o.Store.Sources().Get(ctx, job.SourceID); err == nil {
		o.source = source.Name
	}
	started := "at an unknown time"
	if ex.StartedAt != nil {
		o.fields["started"] = ex.StartedAt.UTC().Format(time.RFC3339)
		started = "at " + o.fields["started"]
	}
	o.summary = fmt.Sprintf("Execution %d of job %q (%s trigger), started %s, was %s: dbkeep was killed or crashed while it ran, and found it unfinished when it started again.",
		ex.ID, job.Name, ex.Trigger, started, ex.Status)
	sets, err := e.o.Store.BackupSets().OfExecution(ctx, ex.ID)
	if err != nil {
		// Better no destination fields than a wrong "no backup stored".
		e.o.Logger.Warn("list the sets of an interrupted execution for its notification", "execution", ex.ID, "error", err)
		return o
	}
	incomplete := false
	for _, jd := range job.Destinations {
		dest, err := e.o.Store.Destinations().Get(ctx, jd.DestinationID)
		if err != nil {
			continue
		}
		key := "destination " + dest.Name
		o.fields[key] = "no backup stored"
		for _, set := range sets {
			switch {
			case set.DestinationID != jd.DestinationID:
			case set.Status == store.SetComplete:
				// Sealed before the crash: a whole backup, which stays.
				o.fields[key] = fmt.Sprintf("%d bytes", set.SizeBytes)
				o.details = append(o.details, fmt.Sprintf("Destination %q: set %s, %d bytes, completed before the interruption.", dest.Name, set.Prefix, set.SizeBytes))
			default:
				incomplete = true
			}
		}
	}
	if incomplete {
		o.details = append(o.details, "The incomplete sets it left are being removed; the execution's log says how that went.")
	}
	return o
}
