package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// Errors of the account repositories; both wrap ErrConflict, so the API
// answers 409 with their text.
var (
	// ErrAccountsExist: first-run setup asked for after an account exists.
	ErrAccountsExist = fmt.Errorf("accounts already exist: %w", ErrConflict)
	// ErrLastAdmin: the change would leave the built-in admin group without
	// an enabled member, and then nobody could grant anything again.
	ErrLastAdmin = fmt.Errorf("this is the last enabled member of the built-in admin group; "+
		"make another user an admin first: %w", ErrConflict)
	// ErrBuiltinGroup: the built-in admin group cannot be deleted, renamed
	// or have its permissions changed: it always holds every permission.
	ErrBuiltinGroup = fmt.Errorf("the built-in admin group cannot be deleted, renamed or have its permissions changed: %w", ErrConflict)
)

// Groups is the repository of groups, their permissions and members.
// Permissions are plain "resource:action" strings here; package auth owns
// the catalogue and checks them before they arrive.
type Groups struct{ s *Store }

// Groups returns the group repository.
func (s *Store) Groups() *Groups { return &Groups{s: s} }

// Group is a named set of permissions its members hold.
type Group struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Builtin marks the admin group made by first-run setup: it holds every
	// permission and cannot be deleted.
	Builtin     bool      `json:"builtin"`
	Permissions []string  `json:"permissions"`
	MemberCount int       `json:"memberCount"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// NewGroup is what Create needs.
type NewGroup struct {
	Name        string
	Description string
	Permissions []string
}

// GroupChanges are the fields Update changes; nil leaves a field as it is.
type GroupChanges struct {
	Name        *string
	Description *string
	Permissions *[]string
}

type groupRow struct {
	ID          int64  `db:"id"`
	Name        string `db:"name"`
	Description string `db:"description"`
	Builtin     bool   `db:"builtin"`
	MemberCount int    `db:"member_count"`
	CreatedAt   string `db:"created_at"`
	UpdatedAt   string `db:"updated_at"`
}

const groupSelect = `SELECT g.id, g.name, g.description, g.builtin, g.created_at, g.updated_at,
	(SELECT count(*) FROM group_members m WHERE m.group_id = g.id) AS member_count FROM groups g`

// Create adds an ordinary (not built-in) group; a taken name is ErrConflict.
func (g *Groups) Create(ctx context.Context, ng NewGroup) (Group, error) {
	var id int64
	err := g.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = insertGroup(ctx, tx, ng, false, g.s.now())
		return err
	})
	if err != nil {
		return Group{}, err
	}
	return g.Get(ctx, id)
}

func insertGroup(ctx context.Context, tx *sqlx.Tx, ng NewGroup, builtin bool, now time.Time) (int64, error) {
	ts := formatTime(now)
	res, err := tx.ExecContext(ctx, "INSERT INTO groups (name, description, builtin, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
		ng.Name, ng.Description, builtin, ts, ts)
	if err != nil {
		return 0, classify(err, "create group %q", ng.Name)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return id, replacePermissions(ctx, tx, id, ng.Permissions)
}

func replacePermissions(ctx context.Context, tx *sqlx.Tx, id int64, perms []string) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM group_permissions WHERE group_id = ?", id); err != nil {
		return classify(err, "set permissions of group %d", id)
	}
	for _, p := range uniqueStrings(perms) {
		if _, err := tx.ExecContext(ctx, "INSERT INTO group_permissions (group_id, permission) VALUES (?, ?)", id, p); err != nil {
			return classify(err, "set permissions of group %d: %q", id, p)
		}
	}
	return nil
}

// Get returns group id with its permissions.
func (g *Groups) Get(ctx context.Context, id int64) (Group, error) {
	var row groupRow
	if err := g.s.r.GetContext(ctx, &row, groupSelect+" WHERE g.id = ?", id); err != nil {
		return Group{}, classify(err, "group %d", id)
	}
	gs, err := g.withPermissions(ctx, []groupRow{row})
	if err != nil {
		return Group{}, err
	}
	return gs[0], nil
}

// List returns one page of groups ordered by name, and the total.
func (g *Groups) List(ctx context.Context, page Page) ([]Group, int, error) {
	page = page.normalized()
	var total int
	if err := g.s.r.GetContext(ctx, &total, "SELECT count(*) FROM groups"); err != nil {
		return nil, 0, fmt.Errorf("list groups: %w", err)
	}
	var rows []groupRow
	if err := g.s.r.SelectContext(ctx, &rows, groupSelect+" ORDER BY g.name, g.id LIMIT ? OFFSET ?", page.Limit, page.Offset); err != nil {
		return nil, 0, fmt.Errorf("list groups: %w", err)
	}
	out, err := g.withPermissions(ctx, rows)
	return out, total, err
}

// OfUser returns the groups user id belongs to, ordered by name.
func (g *Groups) OfUser(ctx context.Context, userID int64) ([]Group, error) {
	var rows []groupRow
	if err := g.s.r.SelectContext(ctx, &rows, groupSelect+
		" WHERE g.id IN (SELECT group_id FROM group_members WHERE user_id = ?) ORDER BY g.name, g.id", userID); err != nil {
		return nil, fmt.Errorf("groups of user %d: %w", userID, err)
	}
	return g.withPermissions(ctx, rows)
}

// Access returns what user id may do: the union of its groups' stored
// permissions, sorted, and whether it is in a built-in group (which holds
// every permission of the catalogue, whatever rows are stored). Asked on
// every authenticated request, so it is one query.
func (g *Groups) Access(ctx context.Context, userID int64) (perms []string, builtin bool, err error) {
	var rows []struct {
		Permission string `db:"permission"`
		Builtin    bool   `db:"builtin"`
	}
	err = g.s.r.SelectContext(ctx, &rows, `SELECT coalesce(p.permission, '') AS permission, g.builtin
		FROM group_members m JOIN groups g ON g.id = m.group_id
		LEFT JOIN group_permissions p ON p.group_id = g.id WHERE m.user_id = ?`, userID)
	if err != nil {
		return nil, false, fmt.Errorf("permissions of user %d: %w", userID, err)
	}
	for _, r := range rows {
		builtin = builtin || r.Builtin
		if r.Permission != "" {
			perms = append(perms, r.Permission)
		}
	}
	slices.Sort(perms)
	return slices.Compact(perms), builtin, nil
}

// Update changes the fields set in ch. Renaming the built-in group or
// changing its permissions is ErrBuiltinGroup.
func (g *Groups) Update(ctx context.Context, id int64, ch GroupChanges) (Group, error) {
	err := g.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var cur groupRow
		if err := tx.GetContext(ctx, &cur, groupSelect+" WHERE g.id = ?", id); err != nil {
			return classify(err, "update group %d", id)
		}
		if cur.Builtin && ((ch.Name != nil && *ch.Name != cur.Name) || ch.Permissions != nil) {
			return fmt.Errorf("update group %d: %w", id, ErrBuiltinGroup)
		}
		if ch.Name != nil {
			cur.Name = *ch.Name
		}
		if ch.Description != nil {
			cur.Description = *ch.Description
		}
		if _, err := tx.ExecContext(ctx, "UPDATE groups SET name = ?, description = ?, updated_at = ? WHERE id = ?",
			cur.Name, cur.Description, formatTime(g.s.now()), id); err != nil {
			return classify(err, "update group %d", id)
		}
		if ch.Permissions != nil {
			return replacePermissions(ctx, tx, id, *ch.Permissions)
		}
		return nil
	})
	if err != nil {
		return Group{}, err
	}
	return g.Get(ctx, id)
}

// Delete removes an ordinary group (members keep their accounts). The
// built-in group is ErrBuiltinGroup.
func (g *Groups) Delete(ctx context.Context, id int64) error {
	return g.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var builtin bool
		if err := tx.GetContext(ctx, &builtin, "SELECT builtin FROM groups WHERE id = ?", id); err != nil {
			return classify(err, "delete group %d", id)
		}
		if builtin {
			return fmt.Errorf("delete group %d: %w", id, ErrBuiltinGroup)
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM groups WHERE id = ?", id)
		return classify(err, "delete group %d", id)
	})
}

// Members returns one page of group id's members ordered by username, and
// the total.
func (g *Groups) Members(ctx context.Context, id int64, page Page) ([]User, int, error) {
	page = page.normalized()
	if _, err := g.Get(ctx, id); err != nil {
		return nil, 0, err
	}
	const where = " FROM users WHERE id IN (SELECT user_id FROM group_members WHERE group_id = ?)"
	var total int
	if err := g.s.r.GetContext(ctx, &total, "SELECT count(*)"+where, id); err != nil {
		return nil, 0, fmt.Errorf("members of group %d: %w", id, err)
	}
	var rows []userRow
	if err := g.s.r.SelectContext(ctx, &rows, "SELECT "+userColumns+where+" ORDER BY username, id LIMIT ? OFFSET ?",
		id, page.Limit, page.Offset); err != nil {
		return nil, 0, fmt.Errorf("members of group %d: %w", id, err)
	}
	return usersOf(rows, total)
}

// AddMember puts user userID in group id; already a member is no change.
// A missing group or user is ErrNotFound.
func (g *Groups) AddMember(ctx context.Context, id, userID int64) error {
	_, err := g.s.w.ExecContext(ctx, "INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)", id, userID)
	return classify(err, "add user %d to group %d", userID, id)
}

// RemoveMember takes user userID out of group id. Not a member is
// ErrNotFound; removing the last enabled admin is ErrLastAdmin.
func (g *Groups) RemoveMember(ctx context.Context, id, userID int64) error {
	return g.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var builtin bool
		if err := tx.GetContext(ctx, &builtin, "SELECT builtin FROM groups WHERE id = ?", id); err != nil {
			return classify(err, "remove user %d from group %d", userID, id)
		}
		if builtin {
			if err := ensureAnotherAdmin(ctx, tx, userID, "remove from the admin group"); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM group_members WHERE group_id = ? AND user_id = ?", id, userID)
		if err != nil {
			return classify(err, "remove user %d from group %d", userID, id)
		}
		return requireOne(res, "remove user %d from group %d: not a member", userID, id)
	})
}

// withPermissions fills each group's permissions in one query.
func (g *Groups) withPermissions(ctx context.Context, rows []groupRow) ([]Group, error) {
	out := make([]Group, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	q, args, err := sqlx.In("SELECT group_id, permission FROM group_permissions WHERE group_id IN (?) ORDER BY permission", ids)
	if err != nil {
		return nil, err
	}
	var perms []struct {
		GroupID    int64  `db:"group_id"`
		Permission string `db:"permission"`
	}
	if err := g.s.r.SelectContext(ctx, &perms, q, args...); err != nil {
		return nil, fmt.Errorf("group permissions: %w", err)
	}
	byGroup := map[int64][]string{}
	for _, p := range perms {
		byGroup[p.GroupID] = append(byGroup[p.GroupID], p.Permission)
	}
	for _, r := range rows {
		grp := Group{ID: r.ID, Name: r.Name, Description: r.Description, Builtin: r.Builtin, MemberCount: r.MemberCount,
			Permissions: byGroup[r.ID]}
		if grp.Permissions == nil {
			grp.Permissions = []string{}
		}
		if grp.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
			return nil, err
		}
		if grp.UpdatedAt, err = parseTime(r.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, grp)
	}
	return out, nil
}

// SyncBuiltinPermissions stores perms as the built-in group's permissions,
// so that after an upgrade adds a permission to the catalogue the listing
// shows what the group has held all along.
func (g *Groups) SyncBuiltinPermissions(ctx context.Context, perms []string) error {
	return g.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, "SELECT id FROM groups WHERE builtin = 1"); err != nil {
			return fmt.Errorf("sync admin group permissions: %w", err)
		}
		for _, id := range ids {
			if err := replacePermissions(ctx, tx, id, perms); err != nil {
				return err
			}
		}
		return nil
	})
}

// uniqueStrings returns ss sorted without duplicates. Inserts use it instead
// of INSERT OR IGNORE, which would also silently skip rows failing a CHECK.
func uniqueStrings(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}
