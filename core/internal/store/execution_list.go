package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ExecutionFilter narrows List; zero fields match everything.
type ExecutionFilter struct {
	JobID *int64
	// Statuses matches any of them.
	Statuses []ExecutionStatus
	Type     ExecutionType
	// Since and Until bound queued_at: Since <= queued_at < Until.
	Since, Until time.Time
}

// List returns one page of runs matching f, newest first (by queue time,
// then id), and how many match in all.
func (e *Executions) List(ctx context.Context, f ExecutionFilter, p Page) ([]Execution, int, error) {
	p = p.normalized()
	var conds []string
	var args []any
	if f.JobID != nil {
		conds = append(conds, "job_id = ?")
		args = append(args, *f.JobID)
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "status IN (?"+strings.Repeat(", ?", len(f.Statuses)-1)+")")
		for _, st := range f.Statuses {
			args = append(args, st)
		}
	}
	if f.Type != "" {
		conds = append(conds, "type = ?")
		args = append(args, f.Type)
	}
	// Stored times are fixed-width UTC text, so comparing text compares times.
	if !f.Since.IsZero() {
		conds = append(conds, "queued_at >= ?")
		args = append(args, formatTime(f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "queued_at < ?")
		args = append(args, formatTime(f.Until))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	var total int
	if err := e.s.r.GetContext(ctx, &total, "SELECT count(*) FROM executions"+where, args...); err != nil {
		return nil, 0, fmt.Errorf("list executions: %w", err)
	}
	var rows []executionRow
	if err := e.s.r.SelectContext(ctx, &rows, "SELECT "+executionColumns+" FROM executions"+where+
		" ORDER BY queued_at DESC, id DESC LIMIT ? OFFSET ?", append(args, p.Limit, p.Offset)...); err != nil {
		return nil, 0, fmt.Errorf("list executions: %w", err)
	}
	out := make([]Execution, 0, len(rows))
	for _, r := range rows {
		ex, err := r.execution()
		if err != nil {
			return nil, 0, err
		}
		out = append(out, ex)
	}
	return out, total, nil
}
