package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// run is the state of one backup execution, passed from step to step.
type run struct {
	e   *Engine
	ctx context.Context
	ex  store.Execution
	rec execlog.Recorder

	started time.Time
	// created is the set's time: in its prefix and its row.
	created time.Time
	prefix  string

	// Filled by initialize.
	job       store.Job
	source    store.Connection
	db        host.DatabaseClient
	server    database.ServerInfo
	plugin    spec.Description
	profile   *store.EncryptionProfile
	key       []byte
	location  *time.Location
	databases []string
	dests     []*destination

	// fatal ends the run as failed whatever else happened.
	fatal error
	// dbFailures names each database whose dump failed, with why.
	dbFailures []string
	// sealed reports whether verifyAndSeal finished: a cancel after that
	// keeps the complete sets.
	sealed bool

	progressMu sync.Mutex
	progress   execlog.Progress
	// lastPublished throttles progress from the data path.
	lastPublished time.Time

	status  store.ExecutionStatus
	errText string
}

// destination is one destination of the run and the set it writes there.
type destination struct {
	index int
	jd    store.JobDestination
	conn  store.Connection
	// loc answers Stat, List and Delete with retries; uploads go to the
	// plugin client itself (a stream cannot be replayed).
	loc    storage.Location
	client host.StorageClient
	// set is the backup_sets row; zero until created.
	set store.BackupSet
	// objects stored and verified on this destination, in dump order.
	objects []backupset.Object
	stored  int64
	// failed is why the destination was dropped; nil while it is in use.
	failed error
	// complete: the manifest is stored and the row complete.
	complete bool
}

func (d *destination) name() string { return fmt.Sprintf("%q (%d)", d.conn.Name, d.conn.ID) }

func (e *Engine) newRun(ctx context.Context, ex store.Execution) *run {
	now := e.o.Now().UTC()
	return &run{
		e: e, ctx: ctx, ex: ex, rec: e.o.Journal.For(ex.ID),
		started: now, created: now.Truncate(time.Millisecond),
		progress: execlog.Progress{Stage: "initialize"},
	}
}

// log records a line of the core on the execution.
func (r *run) log(level execlog.Level, format string, args ...any) {
	r.rec.Log(level, execlog.OriginCore, fmt.Sprintf(format, args...))
}

// fail records err as the run's fatal error, the first one winning.
func (r *run) fail(err error) {
	if r.fatal == nil {
		r.fatal = err
	}
}

// cancelled reports whether the run's context ended, and why.
func (r *run) cancelled() (bool, error) {
	if r.ctx.Err() == nil {
		return false, nil
	}
	return true, context.Cause(r.ctx)
}

// live returns the destinations still in use.
func (r *run) live() []*destination {
	var out []*destination
	for _, d := range r.dests {
		if d.failed == nil {
			out = append(out, d)
		}
	}
	return out
}

// drop takes d out of the run for good: it gets no more objects, and its
// partial set is removed when the run ends (abandon).
func (r *run) drop(d *destination, err error) {
	if d.failed != nil {
		return
	}
	d.failed = err
	r.log(execlog.Error, "destination %s dropped from this run: %v", d.name(), err)
	r.updateProgress(true, func(p *execlog.Progress) {
		p.Destinations[d.index].State = "failed"
		p.Destinations[d.index].Error = err.Error()
	})
}

// updateProgress changes the progress under its lock and publishes it;
// unless force, at most every progressInterval (the data path calls it for
// every chunk).
func (r *run) updateProgress(force bool, f func(p *execlog.Progress)) {
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	f(&r.progress)
	now := time.Now()
	if !force && now.Sub(r.lastPublished) < progressInterval {
		return
	}
	r.lastPublished = now
	p := r.progress
	p.Destinations = append([]execlog.DestinationProgress(nil), r.progress.Destinations...)
	r.rec.Progress(p)
}

// progressInterval is how often the data path publishes progress: often
// enough for a live bar, rare enough to cost nothing per chunk.
const progressInterval = 250 * time.Millisecond

// stage publishes the step now running.
func (r *run) stage(name string) {
	r.updateProgress(true, func(p *execlog.Progress) { p.Stage = name })
}

// settle decides the final status and error text from what happened.
func (r *run) settle() {
	if c, cause := r.cancelled(); c && !r.sealed {
		r.status, r.errText = store.StatusCancelled, "cancelled: "+causeText(cause)
		if errors.Is(cause, queue.ErrShutdown) {
			r.status = store.StatusInterrupted
		}
		return
	}
	var problems []string
	problems = append(problems, r.dbFailures...)
	complete := 0
	for _, d := range r.dests {
		if d.complete {
			complete++
		} else if d.failed != nil {
			problems = append(problems, fmt.Sprintf("destination %s: %v", d.name(), d.failed))
		}
	}
	switch {
	case r.fatal != nil:
		r.status, r.errText = store.StatusFailed, r.fatal.Error()
		if len(problems) > 0 {
			r.errText += "; " + strings.Join(problems, "; ")
		}
	case complete == 0:
		r.status = store.StatusFailed
		r.errText = "no destination holds a complete backup set"
		if len(problems) > 0 {
			r.errText = strings.Join(problems, "; ")
		}
	case len(problems) > 0:
		r.status, r.errText = store.StatusPartial, strings.Join(problems, "; ")
	default:
		r.status, r.errText = store.StatusSuccess, ""
	}
}

func causeText(err error) string {
	if err == nil || errors.Is(err, context.Canceled) {
		return "the run was cancelled"
	}
	return err.Error()
}
