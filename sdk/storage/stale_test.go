package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
)

func TestIsStaleTemp(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	old := now.Add(-StaleTempAge - time.Second)
	for _, c := range []struct {
		name    string
		modTime time.Time
		want    bool
	}{
		{"job/" + TempName(), old, true},
		{TempName(), old, true},
		{"job/" + TempName(), now.Add(-StaleTempAge), false}, // exactly the age: not yet
		{"job/" + TempName(), now.Add(-time.Hour), false},
		{"job/" + TempName(), now.Add(time.Hour), false}, // the server's clock is ahead
		{"job/" + TempName(), time.Time{}, false},        // the server did not say
		{"job/db.sql", old, false},                       // not a temporary object
	} {
		if got := IsStaleTemp(c.name, c.modTime, now); got != c.want {
			t.Errorf("IsStaleTemp(%q, now-%v) = %v, want %v", c.name, now.Sub(c.modTime), got, c.want)
		}
	}
}

// sweepLog is a logger whose lines a test can read.
func sweepLog() (hclog.Logger, *strings.Builder) {
	var b strings.Builder
	return hclog.New(&hclog.LoggerOptions{Output: &b, Level: hclog.Debug}), &b
}

func TestTempSweeperRemovesOnlyStale(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	logger, log := sweepLog()
	var removed []string
	s := &TempSweeper{Now: now, Logger: logger, Remove: func(p string) error {
		removed = append(removed, p)
		return nil
	}}
	stale, fresh := "job/"+TempPrefix+"stale", "job/"+TempPrefix+"fresh"
	s.Sweep(stale, now.Add(-25*time.Hour))
	s.Sweep(fresh, now.Add(-23*time.Hour))
	s.Sweep("job/db.sql", now.Add(-100*time.Hour))
	if diff := cmp.Diff([]string{stale}, removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	if !strings.Contains(log.String(), "[INFO]  removed a stale temporary file") || !strings.Contains(log.String(), "path="+stale+" age=25h0m0s") {
		t.Errorf("the removal is not logged at info with its path and age:\n%s", log)
	}
}

func TestTempSweeperNeverFailsAndGivesUp(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	logger, log := sweepLog()
	tries := 0
	s := &TempSweeper{Now: now, Logger: logger, Remove: func(string) error {
		tries++
		return errors.New("permission denied")
	}}
	for i := range 10 {
		s.Sweep(fmt.Sprintf("%s%d", TempPrefix, i), now.Add(-48*time.Hour))
	}
	if tries != sweepFailures {
		t.Errorf("%d removals tried against a server refusing them all, want %d", tries, sweepFailures)
	}
	if n := strings.Count(log.String(), "[WARN]  could not remove a stale temporary file"); n != sweepFailures {
		t.Errorf("%d warnings, want %d:\n%s", n, sweepFailures, log)
	}
}

func TestTempSweeperBoundsRemovals(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	logger, _ := sweepLog()
	tries := 0
	s := &TempSweeper{Now: now, Logger: logger, Remove: func(string) error {
		tries++
		return nil
	}}
	for i := range 3 * sweepAttempts {
		s.Sweep(fmt.Sprintf("%s%d", TempPrefix, i), now.Add(-48*time.Hour))
	}
	if tries != sweepAttempts {
		t.Errorf("one List removed %d temporary files, want at most %d", tries, sweepAttempts)
	}
}

func TestTempSweeperQuietForOpenAndGone(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	logger, log := sweepLog()
	errOpen := errors.New("sharing violation")
	answers := []error{errOpen, fs.ErrNotExist, errOpen, fs.ErrNotExist, nil}
	s := &TempSweeper{Now: now, Logger: logger, InUse: func(err error) bool { return err == errOpen },
		Remove: func(string) error {
			err := answers[0]
			answers = answers[1:]
			return err
		}}
	for i := range 5 {
		s.Sweep(fmt.Sprintf("%s%d", TempPrefix, i), now.Add(-48*time.Hour))
	}
	// An open file and a file already gone are neither failures (the fifth,
	// after four of them, is still tried) nor worth a warning.
	if len(answers) != 0 || strings.Contains(log.String(), "[WARN]") {
		t.Errorf("%d removals left untried; log:\n%s", len(answers), log)
	}
	if !strings.Contains(log.String(), "[DEBUG] left a stale-looking temporary file alone") {
		t.Errorf("an open file left alone is not logged at debug:\n%s", log)
	}
}
