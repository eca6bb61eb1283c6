package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Users is the repository of local accounts. Password hashes are written
// and read through their own methods and never travel in a User, so no
// listing or API answer can carry one by accident.
type Users struct{ s *Store }

// Users returns the user account repository.
func (s *Store) Users() *Users { return &Users{s: s} }

// User is an account as everyone may see it.
type User struct {
	ID          int64      `json:"id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"displayName"`
	Email       string     `json:"email"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	LastLoginAt *time.Time `json:"lastLoginAt,omitempty"`
}

// NewUser is what Create needs. PasswordHash is a PHC string made by
// package auth; empty for an account without a local password.
type NewUser struct {
	Username     string
	DisplayName  string
	Email        string
	PasswordHash string
}

// UserChanges are the fields Update changes; nil leaves a field as it is.
type UserChanges struct {
	DisplayName *string
	Email       *string
	Disabled    *bool
}

type userRow struct {
	ID          int64          `db:"id"`
	Username    string         `db:"username"`
	DisplayName string         `db:"display_name"`
	Email       string         `db:"email"`
	Disabled    bool           `db:"disabled"`
	CreatedAt   string         `db:"created_at"`
	UpdatedAt   string         `db:"updated_at"`
	LastLoginAt sql.NullString `db:"last_login_at"`
}

const userColumns = "id, username, display_name, email, disabled, created_at, updated_at, last_login_at"

// Create adds an account; a username taken (in any letter case) is
// ErrConflict.
func (u *Users) Create(ctx context.Context, nu NewUser) (User, error) {
	var id int64
	err := u.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = insertUser(ctx, tx, nu, u.s.now())
		return err
	})
	if err != nil {
		return User{}, err
	}
	return u.Get(ctx, id)
}

// CreateFirstAdmin is first-run setup in one transaction: when no account
// exists yet it creates nu, the built-in admin group holding perms, and
// makes nu its member. Once any account exists it changes nothing and
// returns ErrAccountsExist. The writer's IMMEDIATE transaction makes the check
// and the insert one step, even against a second process.
func (u *Users) CreateFirstAdmin(ctx context.Context, nu NewUser, group NewGroup) (User, error) {
	var id int64
	err := u.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, "SELECT count(*) FROM users"); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("setup: %w", ErrAccountsExist)
		}
		now := u.s.now()
		var err error
		if id, err = insertUser(ctx, tx, nu, now); err != nil {
			return err
		}
		// A database set up before might still hold a built-in group with
		// no members (its last member deleted through SQL): reuse it.
		var gid int64
		err = tx.GetContext(ctx, &gid, "SELECT id FROM groups WHERE builtin = 1 ORDER BY id LIMIT 1")
		switch {
		case err == sql.ErrNoRows:
			if gid, err = insertGroup(ctx, tx, group, true, now); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("setup: %w", err)
		default:
			if err := replacePermissions(ctx, tx, gid, group.Permissions); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO group_members (group_id, user_id) VALUES (?, ?)", gid, id)
		return classify(err, "setup: add %q to the admin group", nu.Username)
	})
	if err != nil {
		return User{}, err
	}
	return u.Get(ctx, id)
}

func insertUser(ctx context.Context, tx *sqlx.Tx, nu NewUser, now time.Time) (int64, error) {
	var hash any
	if nu.PasswordHash != "" {
		hash = nu.PasswordHash
	}
	ts := formatTime(now)
	res, err := tx.ExecContext(ctx, `INSERT INTO users (username, display_name, email, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, nu.Username, nu.DisplayName, nu.Email, hash, ts, ts)
	if err != nil {
		return 0, classify(err, "create user %q", nu.Username)
	}
	return res.LastInsertId()
}

// Count returns how many accounts exist.
func (u *Users) Count(ctx context.Context) (int, error) {
	var n int
	if err := u.s.r.GetContext(ctx, &n, "SELECT count(*) FROM users"); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// Get returns account id.
func (u *Users) Get(ctx context.Context, id int64) (User, error) {
	var row userRow
	if err := u.s.r.GetContext(ctx, &row, "SELECT "+userColumns+" FROM users WHERE id = ?", id); err != nil {
		return User{}, classify(err, "user %d", id)
	}
	return row.user()
}

// Credentials returns the account named username (any letter case) with its
// password hash, empty when it has no local password. Only the sign-in path
// reads it.
func (u *Users) Credentials(ctx context.Context, username string) (User, string, error) {
	var row struct {
		userRow
		PasswordHash sql.NullString `db:"password_hash"`
	}
	if err := u.s.r.GetContext(ctx, &row, "SELECT "+userColumns+", password_hash FROM users WHERE username = ?", username); err != nil {
		return User{}, "", classify(err, "user %q", username)
	}
	usr, err := row.user()
	return usr, row.PasswordHash.String, err
}

// PasswordHash returns account id's password hash, empty when it has none.
func (u *Users) PasswordHash(ctx context.Context, id int64) (string, error) {
	var hash sql.NullString
	if err := u.s.r.GetContext(ctx, &hash, "SELECT password_hash FROM users WHERE id = ?", id); err != nil {
		return "", classify(err, "user %d", id)
	}
	return hash.String, nil
}

// List returns one page of accounts ordered by username, and the total.
func (u *Users) List(ctx context.Context, page Page) ([]User, int, error) {
	page = page.normalized()
	var total int
	if err := u.s.r.GetContext(ctx, &total, "SELECT count(*) FROM users"); err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	var rows []userRow
	if err := u.s.r.SelectContext(ctx, &rows, "SELECT "+userColumns+
		" FROM users ORDER BY username, id LIMIT ? OFFSET ?", page.Limit, page.Offset); err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return usersOf(rows, total)
}

// Update changes the fields set in ch. Disabling the last enabled member of
// the built-in admin group is ErrLastAdmin.
func (u *Users) Update(ctx context.Context, id int64, ch UserChanges) (User, error) {
	err := u.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var cur userRow
		if err := tx.GetContext(ctx, &cur, "SELECT "+userColumns+" FROM users WHERE id = ?", id); err != nil {
			return classify(err, "update user %d", id)
		}
		if ch.DisplayName != nil {
			cur.DisplayName = *ch.DisplayName
		}
		if ch.Email != nil {
			cur.Email = *ch.Email
		}
		if ch.Disabled != nil {
			if *ch.Disabled && !cur.Disabled {
				if err := ensureAnotherAdmin(ctx, tx, id, "disable"); err != nil {
					return err
				}
			}
			cur.Disabled = *ch.Disabled
		}
		_, err := tx.ExecContext(ctx, "UPDATE users SET display_name = ?, email = ?, disabled = ?, updated_at = ? WHERE id = ?",
			cur.DisplayName, cur.Email, cur.Disabled, formatTime(u.s.now()), id)
		return classify(err, "update user %d", id)
	})
	if err != nil {
		return User{}, err
	}
	return u.Get(ctx, id)
}

// SetPassword replaces account id's password hash and signs it out
// everywhere except keepSession (0: everywhere), in one transaction.
func (u *Users) SetPassword(ctx context.Context, id int64, hash string, keepSession int64) error {
	return u.s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
			hash, formatTime(u.s.now()), id)
		if err != nil {
			return classify(err, "set password of user %d", id)
		}
		if err := requireOne(res, "set password of user %d", id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ? AND id != ?", id, keepSession)
		return classify(err, "set password of user %d: end sessions", id)
	})
}

// RehashPassword replaces account id's password hash with one of the same
// password under newer parameters; sessions stay.
func (u *Users) RehashPassword(ctx context.Context, id int64, hash string) error {
	_, err := u.s.w.ExecContext(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, id)
	return classify(err, "rehash password of user %d", id)
}

// RecordLogin notes a successful sign-in.
func (u *Users) RecordLogin(ctx context.Context, id int64) error {
	_, err := u.s.w.ExecContext(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", formatTime(u.s.now()), id)
	return classify(err, "record login of user %d", id)
}

// Delete removes an account with its sessions, API keys and memberships.
// Deleting the last enabled member of the built-in admin group is
// ErrLastAdmin.
func (u *Users) Delete(ctx context.Context, id int64) error {
	return u.s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := ensureAnotherAdmin(ctx, tx, id, "delete"); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM users WHERE id = ?", id)
		if err != nil {
			return classify(err, "delete user %d", id)
		}
		return requireOne(res, "delete user %d", id)
	})
}

// ensureAnotherAdmin refuses a change that would leave the built-in admin
// group without an enabled member: nobody could then grant anything.
// It passes when userID is not an enabled admin in the first place.
func ensureAnotherAdmin(ctx context.Context, tx *sqlx.Tx, userID int64, verb string) error {
	const admins = `SELECT count(DISTINCT u.id) FROM users u
		JOIN group_members m ON m.user_id = u.id JOIN groups g ON g.id = m.group_id
		WHERE g.builtin = 1 AND u.disabled = 0`
	var self, all int
	if err := tx.GetContext(ctx, &self, admins+" AND u.id = ?", userID); err != nil {
		return fmt.Errorf("%s user %d: %w", verb, userID, err)
	}
	if self == 0 {
		return nil
	}
	if err := tx.GetContext(ctx, &all, admins); err != nil {
		return fmt.Errorf("%s user %d: %w", verb, userID, err)
	}
	if all <= 1 {
		return fmt.Errorf("%s user %d: %w", verb, userID, ErrLastAdmin)
	}
	return nil
}

func usersOf(rows []userRow, total int) ([]User, int, error) {
	out := make([]User, 0, len(rows))
	for _, r := range rows {
		usr, err := r.user()
		if err != nil {
			return nil, 0, err
		}
		out = append(out, usr)
	}
	return out, total, nil
}

func (r userRow) user() (User, error) {
	usr := User{ID: r.ID, Username: r.Username, DisplayName: r.DisplayName, Email: r.Email, Disabled: r.Disabled}
	var err error
	if usr.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return User{}, err
	}
	if usr.UpdatedAt, err = parseTime(r.UpdatedAt); err != nil {
		return User{}, err
	}
	if usr.LastLoginAt, err = parseNullTime(r.LastLoginAt); err != nil {
		return User{}, err
	}
	return usr, nil
}
