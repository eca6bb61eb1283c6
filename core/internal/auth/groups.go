package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Group management. As with accounts, nobody grants what they do not hold:
// a permission added to a group, or a member added to a group, must be
// covered by the acting principal's own permissions.

// GroupInput is a group to create.
type GroupInput struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

// GroupChanges are the fields of a group to change; nil keeps.
type GroupChanges struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Permissions *[]string `json:"permissions"`
}

// ListGroups returns a page of groups.
func (s *Service) ListGroups(ctx context.Context, p store.Page) ([]store.Group, int, error) {
	return s.st.Groups().List(ctx, p)
}

// Group returns group id.
func (s *Service) Group(ctx context.Context, id int64) (store.Group, error) {
	return s.st.Groups().Get(ctx, id)
}

// CreateGroup adds a group.
func (s *Service) CreateGroup(ctx context.Context, by *Principal, in GroupInput) (store.Group, error) {
	v := &spec.ValidationError{}
	checkName(v, "name", in.Name)
	checkText(v, "description", in.Description, maxTextLen)
	perms := checkPermissions(v, "permissions", in.Permissions)
	if extra := s.notHeld(by, perms); len(extra) > 0 {
		v.Add("permissions", "you cannot grant permissions you do not hold: "+quoteAll(extra))
	}
	if err := v.Err(); err != nil {
		return store.Group{}, err
	}
	g, err := s.st.Groups().Create(ctx, store.NewGroup{Name: in.Name, Description: in.Description, Permissions: permStrings(perms)})
	if errors.Is(err, store.ErrConflict) {
		return store.Group{}, nameTaken()
	}
	return g, err
}

// UpdateGroup changes a group. The built-in admin group keeps its name and
// every permission (store.ErrBuiltinGroup).
func (s *Service) UpdateGroup(ctx context.Context, by *Principal, id int64, ch GroupChanges) (store.Group, error) {
	v := &spec.ValidationError{}
	if ch.Name != nil {
		checkName(v, "name", *ch.Name)
	}
	if ch.Description != nil {
		checkText(v, "description", *ch.Description, maxTextLen)
	}
	var names *[]string
	if ch.Permissions != nil {
		perms := checkPermissions(v, "permissions", *ch.Permissions)
		cur, err := s.st.Groups().Get(ctx, id)
		if err != nil {
			return store.Group{}, err
		}
		var added []Permission
		for _, p := range perms {
			if !containsString(cur.Permissions, string(p)) {
				added = append(added, p)
			}
		}
		if extra := s.notHeld(by, added); len(extra) > 0 {
			v.Add("permissions", "you cannot grant permissions you do not hold: "+quoteAll(extra))
		}
		ps := permStrings(perms)
		names = &ps
	}
	if err := v.Err(); err != nil {
		return store.Group{}, err
	}
	g, err := s.st.Groups().Update(ctx, id, store.GroupChanges{Name: ch.Name, Description: ch.Description, Permissions: names})
	if errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrBuiltinGroup) {
		return store.Group{}, nameTaken()
	}
	return g, err
}

// DeleteGroup removes a group; its members lose what it granted. The
// built-in admin group cannot be deleted.
func (s *Service) DeleteGroup(ctx context.Context, id int64) error {
	return s.st.Groups().Delete(ctx, id)
}

// Members returns a page of group id's members.
func (s *Service) Members(ctx context.Context, id int64, p store.Page) ([]store.User, int, error) {
	return s.st.Groups().Members(ctx, id, p)
}

// AddMember puts user userID in group id: `by` must hold everything the
// group grants (for the admin group: every permission).
func (s *Service) AddMember(ctx context.Context, by *Principal, id, userID int64) error {
	g, err := s.st.Groups().Get(ctx, id)
	if err != nil {
		return err
	}
	grants := All()
	if !g.Builtin {
		grants = grants[:0]
		for _, n := range g.Permissions {
			grants = append(grants, Permission(n))
		}
	}
	if extra := s.notHeld(by, grants); len(extra) > 0 {
		return fmt.Errorf("%w: adding a member to %q grants permissions you do not hold (%s)", ErrForbidden, g.Name, quoteAll(extra))
	}
	return s.st.Groups().AddMember(ctx, id, userID)
}

// RemoveMember takes user userID out of group id; the last enabled admin
// stays in the admin group (store.ErrLastAdmin).
func (s *Service) RemoveMember(ctx context.Context, id, userID int64) error {
	return s.st.Groups().RemoveMember(ctx, id, userID)
}

func (s *Service) notHeld(by *Principal, perms []Permission) []Permission {
	if by == nil {
		return nil
	}
	return missing(perms, by.Permissions)
}

func nameTaken() error {
	return &spec.ValidationError{Fields: []spec.FieldError{{Field: "name", Message: "is taken"}}}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
