package engine

import (
	"context"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// finalizeTimeout bounds the write of the final status.
const finalizeTimeout = 30 * time.Second

// finalize stores the run's log (the journal's Finish), then records the
// final status and error. It uses a context of its own: a cancelled run
// must still be recorded as such.
func (r *run) finalize() {
	if r.status == "" {
		r.settle()
	}
	r.stage("finalize")
	level := execlog.Info
	switch r.status {
	case store.StatusPartial, store.StatusCancelled, store.StatusInterrupted:
		level = execlog.Warn
	case store.StatusFailed:
		level = execlog.Error
	}
	if r.errText != "" {
		r.log(level, "backup %s after %s: %s", r.status, r.e.o.Now().Sub(r.started).Round(time.Millisecond), r.errText)
	} else {
		r.log(level, "backup %s after %s", r.status, r.e.o.Now().Sub(r.started).Round(time.Millisecond))
	}
	if err := r.e.o.Journal.Finish(r.ex.ID); err != nil {
		r.e.o.Logger.Warn("store the log of a backup", "execution", r.ex.ID, "error", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), finalizeTimeout)
	defer cancel()
	if err := r.e.o.Store.Executions().Finish(ctx, r.ex.ID, r.status, r.errText); err != nil {
		r.e.o.Logger.Error("record the end of a backup", "execution", r.ex.ID, "status", r.status, "error", err)
	}
}
