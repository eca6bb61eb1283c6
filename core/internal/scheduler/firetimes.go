package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/adhocore/gronx"
)

// MaxNextRuns bounds NextRuns' n.
const MaxNextRuns = 100

// maxSteps bounds the walk over wall-clock matches in one search. A search
// skips at most the matches of a repeated hour or of the hours ahead that
// the latest-fire search starts from, a few hundred for "* * * * *".
const maxSteps = 2000

// errNeverFires: the expression names no date that comes (30 February).
var errNeverFires = errors.New("never fires: no date matches every field")

// cron is a cron expression read in one zone.
type cron struct {
	expr string
	loc  *time.Location
}

// parseCron checks expr and loads tz; the errors name which is wrong.
func parseCron(expr, tz string) (cron, error) {
	expr = strings.TrimSpace(expr)
	if !gronx.IsValid(expr) {
		return cron{}, fmt.Errorf("schedule %q is not a valid cron expression", expr)
	}
	if tz == "" || tz == "Local" {
		return cron{}, fmt.Errorf("time zone %q: must be an IANA zone name", tz)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return cron{}, fmt.Errorf("time zone %q: %w", tz, err)
	}
	return cron{expr: expr, loc: loc}, nil
}

// NextRuns returns the next n times (n from 1 to MaxNextRuns) that expr,
// read in the IANA zone tz, fires strictly after after, in UTC, with the
// package's DST rules: a wall time in a spring-forward gap fires at the
// first instant after the gap, a wall time that occurs twice fires at its
// first occurrence, and a fire time is never listed twice.
func NextRuns(expr, tz string, after time.Time, n int) ([]time.Time, error) {
	if n < 1 || n > MaxNextRuns {
		return nil, fmt.Errorf("next runs: n must be from 1 to %d, got %d", MaxNextRuns, n)
	}
	c, err := parseCron(expr, tz)
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, n)
	for range n {
		next, err := c.nextAfter(after)
		if err != nil {
			if len(out) > 0 && errors.Is(err, errNeverFires) {
				break // a schedule with an end (a year field) ran out
			}
			return nil, err
		}
		out = append(out, next)
		after = next
	}
	return out, nil
}

// nextAfter is the first fire time strictly after t. Wall-clock matches
// come from gronx on "naive" times (the zone's wall clock written as UTC, a
// clock without jumps); each is then placed on the real timeline. That
// placement never goes backwards as the wall clock advances, so the matches
// after t's own wall minute are the only candidates.
func (c cron) nextAfter(t time.Time) (time.Time, error) {
	w := c.wall(t)
	for range maxSteps {
		m, err := gronx.NextTickAfter(c.expr, w, false)
		if err != nil {
			return time.Time{}, fmt.Errorf("schedule %q: %w", c.expr, errNeverFires)
		}
		if at := c.instant(m); at.After(t) {
			return at, nil
		}
		w = m // a match whose first occurrence is already past
	}
	return time.Time{}, fmt.Errorf("schedule %q: no fire time found after %s", c.expr, t.UTC().Format(time.RFC3339))
}

// latestAtOrBefore is the newest fire time at or before t; ok is false when
// there is none (an expression whose dates are all ahead).
func (c cron) latestAtOrBefore(t time.Time) (at time.Time, ok bool) {
	// After falling back, wall times ahead of t's had their first
	// occurrence already: start as far ahead as the clock was set back.
	_, now := t.In(c.loc).Zone()
	_, before := t.Add(-36 * time.Hour).In(c.loc).Zone()
	_, after := t.Add(36 * time.Hour).In(c.loc).Zone()
	ahead := time.Duration(max(now, before, after)-now) * time.Second
	w, incl := c.wall(t).Add(ahead), true
	for range maxSteps {
		m, err := gronx.PrevTickBefore(c.expr, w, incl)
		if err != nil {
			return time.Time{}, false
		}
		if at := c.instant(m); !at.After(t) {
			return at, true
		}
		w, incl = m, false
	}
	return time.Time{}, false
}

// wall is t on the zone's wall clock, to the minute, written as UTC.
func (c cron) wall(t time.Time) time.Time {
	l := t.In(c.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, time.UTC)
}

// instant places the wall time w (written as UTC) on the timeline: its
// first occurrence when the clock shows it (twice, after falling back), or
// the first instant after the gap when the clock skips it. time.Date does
// not say which occurrence it picks, hence the explicit search.
func (c cron) instant(w time.Time) time.Time {
	// The offsets in force a day and a half either side bracket any
	// transition near w: DST changes are months apart.
	_, offBefore := w.Add(-36 * time.Hour).In(c.loc).Zone()
	_, offAfter := w.Add(36 * time.Hour).In(c.loc).Zone()
	var first time.Time
	for _, off := range []int{offBefore, offAfter} {
		at := w.Add(-time.Duration(off) * time.Second)
		if c.wall(at).Equal(w) && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	if !first.IsZero() {
		return first.UTC()
	}
	// In a gap: read with the earlier offset, w falls after the jump; the
	// zone in force there began at the jump.
	start, _ := w.Add(-time.Duration(offBefore) * time.Second).In(c.loc).ZoneBounds()
	return start.UTC()
}
