package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Audit is the append-only record of who changed or ran what (DESIGN §6).
// Entries are never updated or deleted through the store.
type Audit struct{ s *Store }

// Audit returns the audit log repository.
func (s *Store) Audit() *Audit { return &Audit{s: s} }

// AuditEntry is one record. Details must already have secrets masked: the
// audit log is readable by anyone with audit:read.
type AuditEntry struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// UserID and APIKeyID say who acted; both nil for the system.
	UserID   *int64 `json:"userId,omitempty"`
	APIKeyID *int64 `json:"apiKeyId,omitempty"`
	// Actor is the name at the time, kept when the account is deleted.
	Actor string `json:"actor"`
	IP    string `json:"ip,omitempty"`
	// Action is "<resource>.<verb>": "jobs.create", "executions.run", ...
	Action     string         `json:"action"`
	TargetType string         `json:"targetType,omitempty"`
	TargetID   string         `json:"targetId,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
}

// AuditFilter narrows a listing; zero fields match everything.
type AuditFilter struct {
	UserID     int64
	Action     string // exact, or a prefix ending in "." ("jobs.")
	TargetType string
	TargetID   string
	Since      time.Time
	Until      time.Time
}

type auditRow struct {
	ID         int64         `db:"id"`
	At         string        `db:"at"`
	UserID     sql.NullInt64 `db:"user_id"`
	APIKeyID   sql.NullInt64 `db:"api_key_id"`
	Actor      string        `db:"actor"`
	IP         string        `db:"ip"`
	Action     string        `db:"action"`
	TargetType string        `db:"target_type"`
	TargetID   string        `db:"target_id"`
	Details    string        `db:"details"`
}

// Record appends e; its ID and At are set by the store.
func (a *Audit) Record(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	if e.Action == "" || e.Actor == "" {
		return AuditEntry{}, fmt.Errorf("record audit entry: action and actor are required: %w", ErrInvalid)
	}
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return AuditEntry{}, fmt.Errorf("record audit entry %s: details: %w", e.Action, err)
		}
	}
	e.At = a.s.now()
	res, err := a.s.w.ExecContext(ctx, `INSERT INTO audit_log
		(at, user_id, api_key_id, actor, ip, action, target_type, target_id, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		formatTime(e.At), e.UserID, e.APIKeyID, e.Actor, e.IP, e.Action, e.TargetType, e.TargetID, string(details))
	if err != nil {
		return AuditEntry{}, classify(err, "record audit entry %s", e.Action)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return AuditEntry{}, fmt.Errorf("record audit entry %s: %w", e.Action, err)
	}
	return e, nil
}

// List returns entries matching f, newest first, and how many match.
func (a *Audit) List(ctx context.Context, f AuditFilter, p Page) ([]AuditEntry, int, error) {
	p = p.normalized()
	var where []string
	var args []any
	if f.UserID != 0 {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if prefix, ok := strings.CutSuffix(f.Action, "."); ok {
		// A resource prefix: "jobs." matches every jobs.* action. The
		// range avoids LIKE, whose wildcards an action could contain.
		where, args = append(where, "action >= ? AND action < ?"), append(args, prefix+".", prefix+"/")
	} else if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.TargetType != "" {
		where, args = append(where, "target_type = ?"), append(args, f.TargetType)
	}
	if f.TargetID != "" {
		where, args = append(where, "target_id = ?"), append(args, f.TargetID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, formatTime(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, formatTime(f.Until))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := a.s.r.GetContext(ctx, &total, "SELECT count(*) FROM audit_log"+cond, args...); err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	var rows []auditRow
	if err := a.s.r.SelectContext(ctx, &rows, "SELECT id, at, user_id, api_key_id, actor, ip, action, target_type, target_id, details FROM audit_log"+
		cond+" ORDER BY id DESC LIMIT ? OFFSET ?", append(args, p.Limit, p.Offset)...); err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	out := make([]AuditEntry, 0, len(rows))
	for _, r := range rows {
		e := AuditEntry{ID: r.ID, UserID: nullInt(r.UserID), APIKeyID: nullInt(r.APIKeyID), Actor: r.Actor, IP: r.IP,
			Action: r.Action, TargetType: r.TargetType, TargetID: r.TargetID}
		var err error
		if e.At, err = parseTime(r.At); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal([]byte(r.Details), &e.Details); err != nil {
			return nil, 0, fmt.Errorf("audit entry %d: details: %w", r.ID, err)
		}
		if len(e.Details) == 0 {
			e.Details = nil
		}
		out = append(out, e)
	}
	return out, total, nil
}
