// Package queue runs executions from the persistent FIFO in the state
// database (DESIGN §4): it recovers what a crash left running (telling
// those who watch its job's failures, through the Runner), dispatches
// pending executions oldest first to a Runner while fewer than the
// maxConcurrentJobs setting are running, refuses a second backup of a job
// that is already pending or running, and cancels pending or running
// executions on request.
//
// The store holds every decision that must survive a restart (the order,
// the one-active-backup-per-job rule, the claim of a run); the Queue holds
// only what lives with the process: the cancel functions of the runs it
// started.
package queue
