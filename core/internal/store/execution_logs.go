package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// LogLevel is the severity of an execution log line.
type LogLevel string

// Log levels; the schema's CHECK lists the same (and sdk/spec's Level).
const (
	LogDebug LogLevel = "debug"
	LogInfo  LogLevel = "info"
	LogWarn  LogLevel = "warn"
	LogError LogLevel = "error"
)

// LogLine is one line of a run's log. ID orders lines and lets a live
// reader resume after the last line it saw.
type LogLine struct {
	ID    int64
	At    time.Time
	Level LogLevel
	// Origin is "core" or the id of the plugin that wrote the line.
	Origin  string
	Message string
}

type logRow struct {
	ID      int64  `db:"id"`
	At      string `db:"at"`
	Level   string `db:"level"`
	Origin  string `db:"origin"`
	Message string `db:"message"`
}

// AppendLogs adds lines to run id's log in one transaction: callers batch
// lines (a dump's stderr) so a chatty run costs one commit per batch, not
// per line. A zero At is stamped now; an empty Origin is "core". On success
// each element of lines has its ID, At and Origin filled in as stored, so a
// caller can publish the lines with the ids a reader resumes after; on
// failure nothing was stored and lines are unchanged.
func (e *Executions) AppendLogs(ctx context.Context, id int64, lines []LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	ids := make([]int64, len(lines))
	ats := make([]time.Time, len(lines))
	err := e.s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := e.s.now()
		for i, l := range lines {
			at := l.At
			if at.IsZero() {
				at = now
			}
			origin := l.Origin
			if origin == "" {
				origin = "core"
			}
			res, err := tx.ExecContext(ctx, "INSERT INTO execution_logs (execution_id, at, level, origin, message) VALUES (?, ?, ?, ?, ?)",
				id, formatTime(at), l.Level, origin, l.Message)
			if err != nil {
				return classify(err, "log of execution %d", id)
			}
			if ids[i], err = res.LastInsertId(); err != nil {
				return fmt.Errorf("log of execution %d: %w", id, err)
			}
			ats[i] = at.UTC().Truncate(time.Millisecond)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range lines {
		lines[i].ID, lines[i].At = ids[i], ats[i]
		if lines[i].Origin == "" {
			lines[i].Origin = "core"
		}
	}
	return nil
}

// Logs returns up to limit lines of run id's log after line afterID (0: from
// the start), oldest first.
func (e *Executions) Logs(ctx context.Context, id, afterID int64, limit int) ([]LogLine, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	var rows []logRow
	if err := e.s.r.SelectContext(ctx, &rows, `SELECT id, at, level, origin, message FROM execution_logs
		WHERE execution_id = ? AND id > ? ORDER BY id LIMIT ?`, id, afterID, limit); err != nil {
		return nil, fmt.Errorf("log of execution %d: %w", id, err)
	}
	out := make([]LogLine, 0, len(rows))
	for _, r := range rows {
		at, err := parseTime(r.At)
		if err != nil {
			return nil, err
		}
		out = append(out, LogLine{ID: r.ID, At: at, Level: LogLevel(r.Level), Origin: r.Origin, Message: r.Message})
	}
	return out, nil
}
