package retention

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Set is one backup set as retention sees it. IDs are unique among the sets
// given to one Decide.
type Set struct {
	ID      int64
	Created time.Time
	// Complete: its manifest is written. Only complete sets are backups.
	Complete bool
	Locked   bool
	// Running: the execution writing it has not finished. Such a set is
	// never deleted; if Complete it still counts as a backup, as the set
	// of the execution running the retention step does.
	Running bool
}

// Options are the context of a decision.
type Options struct {
	// Now is the time of the decision: KeepDays and IncompleteGrace count
	// back from it.
	Now time.Time
	// Location is the job's time zone: GFS buckets (days, ISO weeks, months,
	// years) and KeepDays' calendar days are read in it. Nil means UTC.
	Location *time.Location
	// IncompleteGrace is how old an incomplete set of a finished execution
	// must be before it is deleted; zero or less deletes it at once.
	IncompleteGrace time.Duration
}

// Decision is the outcome: every input set is in exactly one of Keep and
// Delete, each list newest first (Created, then the higher ID first).
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

// Reasons a set is kept whatever the policy.
const (
	ReasonRunning          = "running"
	ReasonLocked           = "locked"
	ReasonNewest           = "newest complete set"
	ReasonIncompleteGrace  = "incomplete, within grace"
	ReasonKeepAll          = "keep-all"
	ReasonInvalidPolicyAll = "invalid policy: keep all"
)

// Decide applies p to sets at opts.Now.
//
// A policy that fails p.Validate is applied as keep-all (each complete set's
// reason says so): a broken policy never deletes a backup; incomplete sets
// past their grace still go, as under keep-all. Decide does not
// change sets.
func Decide(p Policy, sets []Set, opts Options) Decision {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	// order holds indexes into sets, newest first; the rules walk it.
	order := make([]int, len(sets))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return newerFirst(sets[a], sets[b]) })

	reasons := make([][]string, len(sets))
	keep := func(i int, why string) { reasons[i] = append(reasons[i], why) }

	complete := make([]int, 0, len(sets))
	for _, i := range order {
		if sets[i].Complete {
			complete = append(complete, i)
		}
	}
	for _, i := range order {
		if sets[i].Running {
			keep(i, ReasonRunning)
		}
		if sets[i].Locked {
			keep(i, ReasonLocked)
		}
	}
	if len(complete) > 0 {
		keep(complete[0], ReasonNewest)
	}

	if err := p.Validate(); err != nil {
		for _, i := range complete {
			keep(i, ReasonInvalidPolicyAll)
		}
	} else {
		switch p.Kind {
		case KeepAll:
			for _, i := range complete {
				keep(i, ReasonKeepAll)
			}
		case Simple:
			keepLast(p.KeepLast, complete, keep)
			keepDays(p.KeepDays, complete, sets, opts.Now.In(loc), keep)
		case GFS:
			keepLast(p.KeepLast, complete, keep)
			for _, r := range gfsRules(p) {
				r.apply(complete, sets, loc, keep)
			}
		}
	}

	// Incomplete sets are never backups: only their age and execution count.
	grace := max(opts.IncompleteGrace, 0)
	for _, i := range order {
		s := sets[i]
		if !s.Complete && !s.Running && opts.Now.Sub(s.Created) <= grace {
			keep(i, ReasonIncompleteGrace)
		}
	}

	var d Decision
	notKept := "not kept by " + p.String()
	stale := fmt.Sprintf("incomplete, older than the grace of %s", grace)
	for _, i := range order {
		if len(reasons[i]) > 0 {
			d.Keep = append(d.Keep, Kept{ID: sets[i].ID, Reasons: reasons[i]})
			continue
		}
		why := notKept
		if !sets[i].Complete {
			why = stale
		}
		d.Delete = append(d.Delete, Deleted{ID: sets[i].ID, Reason: why})
	}
	return d
}

// newerFirst orders sets newest first; equal times put the higher ID first,
// so the order, and so the decision, never depends on the input's order.
func newerFirst(a, b Set) int {
	if c := b.Created.Compare(a.Created); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// keepLast keeps the newest n complete sets.
func keepLast(n int, complete []int, keep func(int, string)) {
	why := fmt.Sprintf("last %d", n)
	for _, i := range complete[:min(n, len(complete))] {
		keep(i, why)
	}
}

// keepDays keeps the complete sets created after the same wall-clock time n
// calendar days before now (so a day across a DST change is 23 or 25 hours).
func keepDays(n int, complete []int, sets []Set, now time.Time, keep func(int, string)) {
	if n <= 0 {
		return
	}
	cutoff := now.AddDate(0, 0, -n)
	why := fmt.Sprintf("within %d days", n)
	for _, i := range complete {
		if !sets[i].Created.After(cutoff) {
			break // complete is newest first: every later one is older
		}
		keep(i, why)
	}
}
