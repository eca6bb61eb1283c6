package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// abandon removes the sets this run will not keep: every set when the run
// was cancelled or failed before its sets were sealed, else those of
// destinations dropped on the way (and any left without objects). It runs
// on a context of its own: the run's may be over, and leaving partial
// objects behind because of it is what must not happen. A removal that
// fails leaves an incomplete set that retention removes after the grace
// period.
func (r *run) abandon() {
	// Sets sealed by this run are whole backups: nothing that happens after
	// (a cancel, a failure in retention or notify) removes them.
	keepComplete := r.sealed
	var todo []*destination
	for _, d := range r.dests {
		if d.set.ID == 0 || (keepComplete && d.complete) {
			continue
		}
		todo = append(todo, d)
	}
	if len(todo) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), r.cleanupBudget())
	defer cancel()
	for _, d := range todo {
		n, err := r.e.removeSet(ctx, d.loc, d.conn.Config, d.set)
		if err != nil {
			r.log(execlog.Warn, "destination %s: could not remove the partial set %s (%v); retention removes it later", d.name(), r.prefix, err)
			continue
		}
		d.complete = false
		r.log(execlog.Info, "destination %s: removed the partial set %s (%d object(s))", d.name(), r.prefix, n)
	}
}

// cleanupBudget is how long abandon may take: the configured timeout, but
// little when the core is shutting down (a service manager kills a core
// that takes too long to stop; what is left is an incomplete set that
// retention removes after the grace period).
func (r *run) cleanupBudget() time.Duration {
	if _, cause := r.cancelled(); errors.Is(cause, queue.ErrShutdown) {
		return min(r.e.o.CleanupTimeout, shutdownBudget)
	}
	return r.e.o.CleanupTimeout
}

// shutdownBudget bounds the cleanup and the notifications of a run stopped
// by the core's shutdown.
const shutdownBudget = 10 * time.Second

// removeSet deletes a set from storage and then its row. The row is marked
// incomplete first, so the set stops being listed as a backup before any of
// it goes; then the manifest (the set stops being one in storage too); then
// every object under its prefix; the row last, so that an interrupted
// removal leaves an incomplete record that retention finishes after the
// grace period. It returns how many objects were deleted.
func (e *Engine) removeSet(ctx context.Context, loc storage.Location, cfg spec.Config, set store.BackupSet) (int, error) {
	if loc == nil {
		return 0, errors.New("the destination's plugin is not available")
	}
	if set.Status == store.SetComplete {
		if err := e.o.Store.BackupSets().MarkIncomplete(ctx, set.ID); err != nil {
			return 0, err
		}
	}
	n := 0
	err := loc.Delete(ctx, cfg, set.Prefix+backupset.ManifestName)
	switch {
	case err == nil:
		n++
	case !errors.Is(err, spec.ErrNotFound):
		return n, fmt.Errorf("delete %s: %w", backupset.ManifestName, err)
	}
	var names []string
	if err := loc.List(ctx, cfg, set.Prefix, func(o storage.ObjectInfo) error {
		names = append(names, o.Name)
		return nil
	}); err != nil {
		return n, fmt.Errorf("list %s: %w", set.Prefix, err)
	}
	for _, name := range names {
		if err := loc.Delete(ctx, cfg, name); err != nil && !errors.Is(err, spec.ErrNotFound) {
			return n, fmt.Errorf("delete %s: %w", name, err)
		}
		n++
	}
	if err := e.o.Store.BackupSets().Delete(ctx, set.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return n, err
	}
	return n, nil
}

// CleanupInterrupted removes what execution executionID, interrupted by a
// crash, left in storage: every incomplete set it recorded (objects and
// rows). A set it completed before the crash is a whole backup and stays.
// It logs what it does on the execution and returns the removals that
// failed; their rows stay, for retention to remove after the grace period.
func (e *Engine) CleanupInterrupted(ctx context.Context, executionID int64) error {
	rec := e.o.Journal.For(executionID)
	defer func() {
		if err := e.o.Journal.Finish(executionID); err != nil {
			e.o.Logger.Warn("store the log of an interrupted execution's cleanup", "execution", executionID, "error", err)
		}
	}()
	sets, err := e.o.Store.BackupSets().OfExecution(ctx, executionID)
	if err != nil {
		return err
	}
	var errs []error
	for _, set := range sets {
		if set.Status != store.SetIncomplete {
			continue
		}
		conn, loc, err := e.openDestination(ctx, set.DestinationID, rec)
		if err == nil {
			var n int
			n, err = e.removeSet(ctx, loc, conn.Config, set)
			if err == nil {
				rec.Log(execlog.Info, execlog.OriginCore, fmt.Sprintf("removed the partial set %s left on destination %q by the interruption (%d object(s))", set.Prefix, conn.Name, n))
				continue
			}
		}
		err = fmt.Errorf("partial set %s on destination %d: %w", set.Prefix, set.DestinationID, err)
		rec.Log(execlog.Warn, execlog.OriginCore, "could not remove the "+err.Error())
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// openDestination loads destination id and a retrying client of its plugin.
func (e *Engine) openDestination(ctx context.Context, id int64, rec execlog.Recorder) (store.Connection, storage.Location, error) {
	conn, err := e.o.Store.Destinations().Get(ctx, id)
	if err != nil {
		return store.Connection{}, nil, err
	}
	if _, err := e.o.Plugins.Start(ctx, conn.PluginID); err != nil {
		return conn, nil, fmt.Errorf("start plugin %s: %w", conn.PluginID, err)
	}
	c, err := e.o.Plugins.Storage(conn.PluginID)
	if err != nil {
		return conn, nil, err
	}
	return conn, e.location(c, func(op string, attempt int, err error, wait time.Duration) {
		rec.Log(execlog.Warn, execlog.OriginCore, fmt.Sprintf("destination %q: %s failed (attempt %d), trying again in %s: %v", conn.Name, op, attempt, wait.Round(time.Millisecond), err))
	}), nil
}
