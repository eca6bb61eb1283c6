// Package execlog records what a running execution says (log lines from the
// core's steps and from plugins) and how far it is (progress), persists
// both in the state database, and streams them to live subscribers (the
// SSE endpoint GET /api/v1/executions/{id}/events).
//
// The engine writes through a Recorder from Journal.For and calls
// Journal.Finish when the run ends; readers call Journal.Subscribe and read
// the stored log from the state database (store.Executions.Logs). Recorder
// calls never wait on SQLite: lines and progress are buffered (bounded) and
// written in batches by one writer per recording execution.
//
// The journal does not filter what it is given: callers never pass secrets
// (passwords, keys, connection strings with credentials) to a Recorder.
package execlog

// Level of a log line; the values of execution_logs.level.
type Level string

// Levels.
const (
	Debug Level = "debug"
	Info  Level = "info"
	Warn  Level = "warn"
	Error Level = "error"
)

// OriginCore is the origin of lines the core writes; plugins' lines carry
// the plugin id.
const OriginCore = "core"

// Recorder receives what one execution says. It is safe for concurrent use
// and never blocks for long: the engine calls it from the data path.
type Recorder interface {
	// Log records one line. Secrets must never reach it.
	Log(level Level, origin, message string)
	// Progress replaces the execution's progress with p (the whole state,
	// not a delta). Frequent calls are fine: the journal coalesces them.
	Progress(p Progress)
}

// Progress is the state of a running execution.
type Progress struct {
	// Stage is the pipeline step running: initialize, dump, upload, verify,
	// retention, notify, finalize.
	Stage string `json:"stage"`
	// Database is the database being dumped, DatabaseIndex its 1-based
	// position among DatabaseCount.
	Database      string `json:"database,omitempty"`
	DatabaseIndex int    `json:"databaseIndex,omitempty"`
	DatabaseCount int    `json:"databaseCount,omitempty"`
	// BytesRead counts the dump bytes read from the database plugin over
	// the whole run; BytesTotal estimates the total (0: unknown).
	BytesRead  int64 `json:"bytesRead"`
	BytesTotal int64 `json:"bytesTotal"`
	// Destinations in the job's order.
	Destinations []DestinationProgress `json:"destinations,omitempty"`
}

// DestinationProgress is one destination's part of a run.
type DestinationProgress struct {
	DestinationID int64  `json:"destinationId"`
	Name          string `json:"name"`
	// BytesStored counts the stored bytes (after compression and
	// encryption) accepted by the destination over the whole run.
	BytesStored int64 `json:"bytesStored"`
	// State is pending, uploading, done or failed.
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}
