package notification

import (
	"context"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Notifier delivers events. Send returns nil only when the receiving end
// accepted the event (for HTTP: a 2xx answer); otherwise an error that says
// what the receiver answered. Send is called concurrently and must give up
// when ctx is cancelled.
type Notifier interface {
	Send(ctx context.Context, cfg spec.Config, ev Event) error
}

// Severity of an event.
type Severity string

const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// Event is one thing to tell.
type Event struct {
	// Type is a dotted name: "backup.success", "backup.failure",
	// "backup.partial", "restore.success", "test", ...
	Type     string            `json:"type"`
	Severity Severity          `json:"severity"`
	Title    string            `json:"title"`
	Text     string            `json:"text"`
	Fields   map[string]string `json:"fields,omitempty"`
	// Execution is the run the event is about, if any.
	Execution *ExecutionRef `json:"execution,omitempty"`
	Time      time.Time     `json:"time"`
}

// ExecutionRef points at an execution in the core.
type ExecutionRef struct {
	ID      string `json:"id"`
	JobID   string `json:"jobId,omitempty"`
	JobName string `json:"jobName,omitempty"`
	// URL opens the execution in the web UI.
	URL string `json:"url,omitempty"`
}
