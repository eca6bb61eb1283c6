package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// dumpAll dumps the databases one after another, each streamed through
// process and upload as it comes. A database whose dump fails is recorded
// and the next one is dumped (the run ends partial); the run stops early
// only when it is cancelled or no destination is left.
func (r *run) dumpAll() {
	r.stage("dump")
	for i, name := range r.databases {
		if c, _ := r.cancelled(); c {
			return
		}
		if len(r.live()) == 0 {
			return
		}
		r.updateProgress(true, func(p *execlog.Progress) {
			p.Database, p.DatabaseIndex, p.DatabaseCount = name, i+1, len(r.databases)
		})
		r.log(execlog.Info, "dumping database %q (%d of %d)", name, i+1, len(r.databases))
		err := r.dumpDatabase(name)
		if c, _ := r.cancelled(); c {
			return
		}
		if err != nil {
			r.dbFailures = append(r.dbFailures, fmt.Sprintf("database %q: %v", name, err))
			r.log(execlog.Error, "database %q was not backed up: %v", name, err)
		}
	}
}

// dumpDatabase runs the plugin's Dump into a dumpWriter and brings the
// object to its end on every destination.
//
// The dump runs under its own context, which the uploads cancel when every
// destination has failed by itself: a dump that is not writing (pg_dump
// waiting for a lock) would otherwise never learn that nobody reads it.
func (r *run) dumpDatabase(name string) error {
	dctx, stop := context.WithCancelCause(r.ctx)
	defer stop(nil)
	w := &dumpWriter{r: r, database: name, stop: stop}
	err := r.db.Dump(dctx, r.source.Config, database.DumpRequest{Database: name}, w)
	if err != nil && r.ctx.Err() == nil && dctx.Err() != nil {
		// The plugin reports its cancelled context; why it was cancelled
		// is the uploads' reason.
		err = context.Cause(dctx)
	}
	return w.finish(err)
}

// dumpWriter is the database.DumpWriter the plugin writes one dump to. On
// Begin it opens the object on every live destination; Write pushes the
// bytes through the processing chain into the fan-out.
type dumpWriter struct {
	r        *run
	database string
	// stop cancels the plugin's Dump, with the reason.
	stop context.CancelCauseFunc

	mu     sync.Mutex
	begun  bool
	header database.DumpHeader
	obj    *object
	// failed is the first write error, returned to every later Write so
	// the plugin stops the dump.
	failed error
}

var _ database.DumpWriter = (*dumpWriter)(nil)

// Begin records the header and opens the uploads.
func (w *dumpWriter) Begin(h database.DumpHeader) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.begun {
		return errors.New("dump: Begin called twice")
	}
	w.begun = true
	if h.Database != "" && h.Database != w.database {
		w.failed = fmt.Errorf("the plugin began a dump of %q, but %q was asked for", h.Database, w.database)
		return w.failed
	}
	w.header = h
	obj, err := w.r.openObject(w.database, h, w.stop)
	if err != nil {
		w.failed = err
		return err
	}
	w.obj = obj
	return nil
}

// Write processes and uploads p; it blocks while the slowest destination
// catches up.
func (w *dumpWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.failed != nil:
		return 0, w.failed
	case !w.begun:
		w.failed = errors.New("dump: the plugin wrote data before the header")
		return 0, w.failed
	}
	n, err := w.obj.write(p)
	if err != nil {
		w.failed = err
	}
	return n, err
}

// Log puts the plugin's line on the execution's log under its id.
func (w *dumpWriter) Log(level spec.Level, message string) {
	w.r.rec.Log(execlog.Level(level), w.r.source.PluginID, message)
}

// Progress takes the plugin's estimate of the dump's size; the bytes done
// are counted by the core itself as they arrive.
func (w *dumpWriter) Progress(p spec.Progress) {
	if p.TotalBytes <= 0 {
		return
	}
	w.r.updateProgress(false, func(pr *execlog.Progress) {
		if pr.BytesRead+p.TotalBytes-p.DoneBytes > pr.BytesTotal {
			pr.BytesTotal = pr.BytesRead + p.TotalBytes - p.DoneBytes
		}
	})
}

// finish ends the object after the plugin's Dump returned dumpErr: the
// objects are sealed and checked on success, aborted (nothing left under
// their name) otherwise.
func (w *dumpWriter) finish(dumpErr error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if dumpErr == nil && w.failed != nil {
		dumpErr = w.failed
	}
	if w.obj == nil {
		if dumpErr == nil {
			dumpErr = errors.New("the plugin ended the dump without sending a header")
		}
		return dumpErr
	}
	if dumpErr != nil {
		w.obj.abort(dumpErr)
		return dumpErr
	}
	return w.obj.close()
}
