package store

import (
	"database/sql"
	"fmt"
	"time"
)

// timeLayout is the one form times take in the database: UTC, fixed width,
// millisecond precision, so that comparing the text compares the times.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// now is the store's clock reading, cut to what the database keeps, so a
// value returned by a write equals the value read back.
func (s *Store) now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }
