package execlog

import "github.com/dbkeep/dbkeep/core/internal/store"

// EventKind says what an Event carries.
type EventKind string

// Event kinds.
const (
	// EventLog carries log lines already stored, ids ascending.
	EventLog EventKind = "log"
	// EventProgress carries the latest progress. A subscriber that reads
	// slowly gets only the newest one: progress is a state, not a history.
	EventProgress EventKind = "progress"
	// EventGap says log lines were stored that this subscriber was not sent
	// (it read too slowly): re-read the log from the database after the
	// last line id received. Lines are never lost, only not pushed.
	EventGap EventKind = "gap"
	// EventEnd says the recorder finished (Journal.Finish): every line and
	// the last progress are stored. The channel is closed after it.
	EventEnd EventKind = "end"
)

// Event is what a subscriber receives.
type Event struct {
	Kind     EventKind
	Lines    []store.LogLine // EventLog
	Progress *Progress       // EventProgress
}
