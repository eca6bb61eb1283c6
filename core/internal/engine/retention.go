package engine

import (
	"context"
	"fmt"

	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/retention"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// applyRetention applies each destination's policy to the job's sets there,
// on every destination where this run stored a complete set (a destination
// that failed keeps its history untouched: the newest backup there may be
// the only one). Every deletion is logged on the execution. Retention
// never changes the run's status: a failure is a warning, and the sets it
// could not delete are retried at the next run.
func (r *run) applyRetention() {
	if r.status != store.StatusSuccess && r.status != store.StatusPartial {
		return
	}
	if c, cause := r.cancelled(); c {
		r.log(execlog.Info, "retention skipped: %s after the backup was stored", causeText(cause))
		return
	}
	r.stage("retention")
	for _, d := range r.dests {
		if !d.complete {
			continue
		}
		if r.stoppedByCancel(d) {
			continue
		}
		if err := r.retainOn(d); err != nil {
			r.log(execlog.Warn, "retention on destination %s: %v", d.name(), err)
		}
	}
}

// retainOn decides over the job's sets on d and deletes what the policy
// lets go.
func (r *run) retainOn(d *destination) (err error) {
	defer func() {
		// Retention is a pure function of its own package: a bug there must
		// cost the pruning, never the backup just made.
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	sets, err := r.e.o.Store.BackupSets().OfJobOnDestination(r.ctx, r.job.ID, d.conn.ID)
	if err != nil {
		if r.stoppedByCancel(d) {
			return nil
		}
		return err
	}
	in := make([]retention.Set, len(sets))
	byID := make(map[int64]store.BackupSet, len(sets))
	for i, s := range sets {
		in[i] = retention.Set{ID: s.ID, Created: s.CreatedAt, Complete: s.Status == store.SetComplete,
			Locked: s.Locked, Running: s.ExecutionRunning}
		byID[s.ID] = s
	}
	dec := retention.Decide(policyOf(d.jd.Retention), in, retention.Options{
		Now: r.e.o.Now(), Location: r.location, IncompleteGrace: r.e.o.IncompleteGrace,
	})
	if len(dec.Delete) == 0 {
		r.log(execlog.Info, "retention (%s) on destination %s: all %d set(s) kept", d.jd.Retention.Policy, d.name(), len(sets))
		return nil
	}
	var failed int
	for _, del := range dec.Delete {
		s, ok := byID[del.ID]
		if !ok {
			continue
		}
		// The rest waits for the next run; a removal under way is
		// finished below, never left half done by the cancel.
		if r.stoppedByCancel(d) {
			return nil
		}
		n, err := r.removeWhole(d, s)
		if err != nil {
			failed++
			r.log(execlog.Warn, "retention on destination %s: could not delete set %s (%s): %v", d.name(), s.Prefix, del.Reason, err)
			continue
		}
		r.log(execlog.Info, "retention on destination %s: deleted set %s (%s, %s, %d object(s))", d.name(), s.Prefix, s.Status, del.Reason, n)
	}
	r.log(execlog.Info, "retention (%s) on destination %s: %d set(s) kept, %d deleted",
		d.jd.Retention.Policy, d.name(), len(dec.Keep), len(dec.Delete)-failed)
	if failed > 0 {
		return fmt.Errorf("%d set(s) could not be deleted; the next run tries again", failed)
	}
	return nil
}

// stoppedByCancel reports whether the run was cancelled, and logs that
// retention on d stops there.
func (r *run) stoppedByCancel(d *destination) bool {
	if c, _ := r.cancelled(); !c {
		return false
	}
	r.log(execlog.Info, "retention on destination %s: stopped by the cancel, the next run goes on", d.name())
	return true
}

// removeWhole removes one set on a context of its own, bounded: a cancel
// arriving in the middle must not leave the set half deleted.
func (r *run) removeWhole(d *destination, s store.BackupSet) (int, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), r.e.o.CleanupTimeout)
	defer cancel()
	return r.e.removeSet(ctx, d.loc, d.conn.Config, s)
}

// policyOf converts a job destination's stored policy.
func policyOf(s store.Retention) retention.Policy {
	n := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	return retention.Policy{
		Kind: s.Policy, KeepLast: n(s.KeepLast), KeepDays: n(s.KeepDays), KeepDaily: n(s.KeepDaily),
		KeepWeekly: n(s.KeepWeekly), KeepMonthly: n(s.KeepMonthly), KeepYearly: n(s.KeepYearly),
	}
}
