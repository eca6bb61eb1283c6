package store

import (
	"context"
	"fmt"
	"time"
)

// Sessions is the repository of sign-in sessions. Only SHA-256 hashes of
// the cookie token and of the CSRF token are stored: a copy of the database
// signs nobody in.
type Sessions struct{ s *Store }

// Sessions returns the session repository.
func (s *Store) Sessions() *Sessions { return &Sessions{s: s} }

// Session is one signed-in browser.
type Session struct {
	ID         int64
	UserID     int64
	TokenHash  []byte
	CSRFHash   []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
}

// NewSession is what Create needs.
type NewSession struct {
	UserID    int64
	TokenHash []byte
	CSRFHash  []byte
	ExpiresAt time.Time
	IP        string
	UserAgent string
}

type sessionRow struct {
	ID         int64  `db:"id"`
	UserID     int64  `db:"user_id"`
	TokenHash  []byte `db:"token_hash"`
	CSRFHash   []byte `db:"csrf_hash"`
	CreatedAt  string `db:"created_at"`
	LastSeenAt string `db:"last_seen_at"`
	ExpiresAt  string `db:"expires_at"`
	IP         string `db:"ip"`
	UserAgent  string `db:"user_agent"`
}

const sessionColumns = "id, user_id, token_hash, csrf_hash, created_at, last_seen_at, expires_at, ip, user_agent"

// Create stores a session.
func (ss *Sessions) Create(ctx context.Context, ns NewSession) (Session, error) {
	now := formatTime(ss.s.now())
	res, err := ss.s.w.ExecContext(ctx, `INSERT INTO sessions
		(token_hash, csrf_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ns.TokenHash, ns.CSRFHash, ns.UserID, now, now, formatTime(ns.ExpiresAt), ns.IP, ns.UserAgent)
	if err != nil {
		return Session{}, classify(err, "create session for user %d", ns.UserID)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Session{}, err
	}
	return ss.get(ctx, "id = ?", id)
}

// ByTokenHash returns the session whose token hashes to hash, expired or
// not: the caller decides, with its own clock.
func (ss *Sessions) ByTokenHash(ctx context.Context, hash []byte) (Session, error) {
	return ss.get(ctx, "token_hash = ?", hash)
}

func (ss *Sessions) get(ctx context.Context, cond string, arg any) (Session, error) {
	var row sessionRow
	if err := ss.s.r.GetContext(ctx, &row, "SELECT "+sessionColumns+" FROM sessions WHERE "+cond, arg); err != nil {
		return Session{}, classify(err, "session")
	}
	return row.session()
}

// Touch records activity on session id and moves its expiry.
func (ss *Sessions) Touch(ctx context.Context, id int64, expiresAt time.Time) error {
	_, err := ss.s.w.ExecContext(ctx, "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?",
		formatTime(ss.s.now()), formatTime(expiresAt), id)
	return classify(err, "touch session %d", id)
}

// Delete ends session id; an unknown id is no error (logging out twice is
// fine).
func (ss *Sessions) Delete(ctx context.Context, id int64) error {
	_, err := ss.s.w.ExecContext(ctx, "DELETE FROM sessions WHERE id = ?", id)
	return classify(err, "delete session %d", id)
}

// DeleteForUser ends every session of user id except keep (0: all), and
// returns how many ended.
func (ss *Sessions) DeleteForUser(ctx context.Context, userID, keep int64) (int64, error) {
	res, err := ss.s.w.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ? AND id != ?", userID, keep)
	if err != nil {
		return 0, classify(err, "end sessions of user %d", userID)
	}
	return res.RowsAffected()
}

// DeleteExpired removes sessions that expired before now, and returns how
// many.
func (ss *Sessions) DeleteExpired(ctx context.Context) (int64, error) {
	res, err := ss.s.w.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < ?", formatTime(ss.s.now()))
	if err != nil {
		return 0, classify(err, "purge expired sessions")
	}
	return res.RowsAffected()
}

func (r sessionRow) session() (Session, error) {
	s := Session{ID: r.ID, UserID: r.UserID, TokenHash: r.TokenHash, CSRFHash: r.CSRFHash, IP: r.IP, UserAgent: r.UserAgent}
	var err error
	if s.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return Session{}, err
	}
	if s.LastSeenAt, err = parseTime(r.LastSeenAt); err != nil {
		return Session{}, err
	}
	if s.ExpiresAt, err = parseTime(r.ExpiresAt); err != nil {
		return Session{}, err
	}
	return s, nil
}

// String never shows the hashes, so a session logged by mistake leaks
// nothing that identifies the cookie.
func (s Session) String() string {
	return fmt.Sprintf("session %d of user %d (expires %s)", s.ID, s.UserID, s.ExpiresAt.Format(time.RFC3339))
}
