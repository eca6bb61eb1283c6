// Package engine runs backup executions: the pipeline of DESIGN §3 from the
// database plugin's dump, through compression, DBK1 encryption and SHA-256,
// fanned out to every destination's upload stream at once, to the manifest
// that completes each set, then retention, notifications and the final
// status. docs/backups.md tells the whole story for users.
//
// Each step of the pipeline is its own file (initialize.go, dump.go,
// process.go, upload.go, verify.go, retention.go, notify.go, finalize.go);
// they share one run (run.go), the state of one execution.
package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// PluginHost is what the engine needs of the plugin host (*pluginhost.Host):
// the description of a running plugin (its version goes into manifests) and
// clients of the three kinds a backup uses.
type PluginHost interface {
	Start(ctx context.Context, id string) (spec.Description, error)
	Database(id string) (host.DatabaseClient, error)
	Storage(id string) (host.StorageClient, error)
	Notifier(id string) (notification.Notifier, error)
}

// Journal hands out the recorder of each execution's log and progress
// (*execlog.Journal). Finish stores what is buffered for an execution and
// ends its live streams; the engine calls it once per run, just before it
// records the final status, so a reader who sees the status finds the
// whole log.
type Journal interface {
	For(executionID int64) execlog.Recorder
	Finish(executionID int64) error
}

// Defaults of Options.
const (
	// DefaultIncompleteGrace is how old an incomplete set of a finished
	// execution must be before retention removes it. A day is far longer
	// than any cleanup the engine does itself (cancel, failure, restart),
	// so retention only ever removes what those could not (a destination
	// unreachable at the time), and never races a run's own cleanup.
	DefaultIncompleteGrace = 24 * time.Hour
	// DefaultCleanupTimeout bounds the removal of a cancelled or failed
	// run's partial objects, done on a context of its own because the run's
	// context is already over.
	DefaultCleanupTimeout = 2 * time.Minute
	// DefaultNotifyTimeout bounds one notification channel's Send.
	DefaultNotifyTimeout = 30 * time.Second
)

// Options are what New needs. Store, Plugins and Journal are required.
type Options struct {
	Store   *store.Store
	Plugins PluginHost
	Journal Journal
	// Logger receives what the engine says outside any execution; nil
	// discards it.
	Logger hclog.Logger
	// BaseURL is the address the web UI is reached at
	// ("https://backups.example.com"); when set, notifications link to the
	// execution at BaseURL + "/executions/{id}".
	BaseURL string
	// Retry is applied to destinations' Stat, List and Delete (never to
	// uploads); the zero value is storage's default policy.
	Retry storage.RetryPolicy
	// IncompleteGrace, CleanupTimeout and NotifyTimeout: zero means the
	// Default* constant.
	IncompleteGrace time.Duration
	CleanupTimeout  time.Duration
	NotifyTimeout   time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Engine runs backup executions. It implements the queue's Runner; it is
// safe for concurrent use (one Run per execution).
type Engine struct {
	o Options
}

// New checks opts and builds the engine.
func New(opts Options) (*Engine, error) {
	switch {
	case opts.Store == nil:
		return nil, errors.New("engine: Options.Store is required")
	case opts.Plugins == nil:
		return nil, errors.New("engine: Options.Plugins is required")
	case opts.Journal == nil:
		return nil, errors.New("engine: Options.Journal is required")
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.IncompleteGrace <= 0 {
		opts.IncompleteGrace = DefaultIncompleteGrace
	}
	if opts.CleanupTimeout <= 0 {
		opts.CleanupTimeout = DefaultCleanupTimeout
	}
	if opts.NotifyTimeout <= 0 {
		opts.NotifyTimeout = DefaultNotifyTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{o: opts}, nil
}

// Run carries out the backup execution ex, already claimed (running), and
// records its final status before returning. Cancelling ctx cancels the
// run: the dump stops, the partial objects are removed, and the status is
// cancelled (interrupted when the cause is the core shutting down).
func (e *Engine) Run(ctx context.Context, ex store.Execution) {
	r := e.newRun(ctx, ex)
	defer func() {
		// A bug must not leave the execution running forever: record it.
		if p := recover(); p != nil {
			e.o.Logger.Error("backup run panicked", "execution", ex.ID, "panic", p)
			if r.sealed && r.status != "" {
				// The sets are stored and the status decided: the bug hit
				// retention or notify, which never change either.
				r.log(execlog.Error, "internal error after the backup was stored: %v", p)
			} else {
				r.fail(fmt.Errorf("internal error: %v", p))
				r.abandon()
				r.settle()
			}
			r.finalize()
		}
	}()
	if ex.Type != store.TypeBackup {
		r.fail(fmt.Errorf("execution %d is a %s, and this engine runs backups only", ex.ID, ex.Type))
		r.finalize()
		return
	}
	if err := r.initialize(); err != nil {
		r.fail(err)
		r.abandon()
		r.settle()
		r.notify()
		r.finalize()
		return
	}
	r.dumpAll()
	r.verifyAndSeal()
	r.abandon()
	r.settle()
	r.applyRetention()
	r.notify()
	r.finalize()
}

// location returns a destination client with retried idempotent calls.
func (e *Engine) location(c host.StorageClient, onRetry func(op string, attempt int, err error, wait time.Duration)) storage.Location {
	p := e.o.Retry
	p.OnRetry = onRetry
	return storage.WithRetry(c, p)
}
