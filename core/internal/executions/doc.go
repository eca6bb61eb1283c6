// Package executions is the service behind the executions API: it starts
// runs of jobs through the queue, cancels them, and reports runs with their
// progress and logs from the state database and the journal (execlog).
// Handlers call it; it knows nothing of HTTP.
package executions
