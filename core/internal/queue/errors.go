package queue

import (
	"errors"
	"fmt"

	"github.com/dbkeep/dbkeep/core/internal/store"
)

// Causes of a run's cancellation, read by a Runner with context.Cause to
// choose the final status.
var (
	// ErrCancelled: someone asked to cancel the run (Queue.Cancel); the
	// runner records StatusCancelled.
	ErrCancelled = errors.New("cancelled by request")
	// ErrShutdown: the core is stopping (the context given to Queue.Run
	// ended); the runner records StatusInterrupted, or leaves the run to be
	// marked interrupted.
	ErrShutdown = errors.New("dbkeep is shutting down")
)

// AlreadyQueuedError is Enqueue's answer to a backup of a job that already
// has one pending or running: Execution is that one. It wraps
// store.ErrConflict.
type AlreadyQueuedError struct {
	Execution store.Execution
}

func (e *AlreadyQueuedError) Error() string {
	return fmt.Sprintf("job %q already has execution %d %s", e.Execution.JobName, e.Execution.ID, e.Execution.Status)
}

// Unwrap makes errors.Is(err, store.ErrConflict) hold.
func (e *AlreadyQueuedError) Unwrap() error { return store.ErrConflict }
