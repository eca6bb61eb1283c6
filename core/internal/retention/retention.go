// Package retention decides which backup sets of one job on one destination
// to keep and which to delete (DESIGN §4). It is a pure function of the sets,
// the policy, the time and the job's time zone: nothing here touches storage.
//
// SKELETON: the API below is the contract; the bodies are being written.
package retention

import "time"

// Kinds of policy (the values of job_destinations.retention).
const (
	KeepAll = "keep-all"
	Simple  = "simple"
	GFS     = "gfs"
)

// Policy is one destination's retention policy; a zero count is unset.
type Policy struct {
	Kind        string
	KeepLast    int
	KeepDays    int
	KeepDaily   int
	KeepWeekly  int
	KeepMonthly int
	KeepYearly  int
}

// Set is one backup set as retention sees it.
type Set struct {
	ID      int64
	Created time.Time
	// Complete: its manifest is written. Only complete sets are backups.
	Complete bool
	Locked   bool
	// Running: the execution writing it has not finished.
	Running bool
}

// Options are the context of a decision.
type Options struct {
	Now time.Time
	// Location is the job's time zone: GFS buckets (days, ISO weeks, months,
	// years) are read in it.
	Location *time.Location
	// IncompleteGrace is how old an incomplete set of a finished execution
	// must be before it is deleted.
	IncompleteGrace time.Duration
}

// Decision is the outcome: every input set is in exactly one of Keep and
// Delete.
type Decision struct {
	Keep   []Kept
	Delete []Deleted
}

// Kept is a set kept and why ("last 7", "daily 2026-11-27", "locked", ...).
type Kept struct {
	ID      int64
	Reasons []string
}

// Deleted is a set to delete and why.
type Deleted struct {
	ID     int64
	Reason string
}

// Decide applies p to sets.
func Decide(p Policy, sets []Set, opts Options) Decision {
	panic("retention: not implemented yet")
}
