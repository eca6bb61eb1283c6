package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Account management. Every method that acts for someone takes the
// principal `by` and refuses (ErrForbidden) to let it reach further than
// its own permissions: setting the password of, disabling or deleting an
// account that holds a permission `by` lacks would be a way to gain it.
// by == nil is the local administrator at the command line.

// UserDetail is an account with its groups and effective permissions.
type UserDetail struct {
	store.User
	Groups      []GroupRef   `json:"groups"`
	Permissions []Permission `json:"permissions"`
}

// GroupRef names a group an account belongs to.
type GroupRef struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Builtin bool   `json:"builtin"`
}

// UserChanges are the fields of an account an admin changes; nil keeps.
type UserChanges struct {
	DisplayName *string `json:"displayName"`
	Email       *string `json:"email"`
	Disabled    *bool   `json:"disabled"`
}

// ListUsers returns a page of accounts.
func (s *Service) ListUsers(ctx context.Context, p store.Page) ([]store.User, int, error) {
	return s.st.Users().List(ctx, p)
}

// User returns account id with its groups and effective permissions.
func (s *Service) User(ctx context.Context, id int64) (UserDetail, error) {
	u, err := s.st.Users().Get(ctx, id)
	if err != nil {
		return UserDetail{}, err
	}
	groups, err := s.st.Groups().OfUser(ctx, id)
	if err != nil {
		return UserDetail{}, err
	}
	d := UserDetail{User: u, Groups: make([]GroupRef, 0, len(groups)), Permissions: []Permission{}}
	for _, g := range groups {
		d.Groups = append(d.Groups, GroupRef{ID: g.ID, Name: g.Name, Builtin: g.Builtin})
	}
	if !u.Disabled {
		if _, d.Permissions, err = s.userAccess(ctx, id); err != nil {
			return UserDetail{}, err
		}
	}
	return d, nil
}

// CreateUser adds an account in no group: it can sign in and do nothing
// until a group grants it something.
func (s *Service) CreateUser(ctx context.Context, a NewAccount) (store.User, error) {
	if err := a.validate(); err != nil {
		return store.User{}, err
	}
	hash, err := s.hasher.hash(ctx, a.Password)
	if err != nil {
		return store.User{}, err
	}
	u, err := s.st.Users().Create(ctx, store.NewUser{Username: a.Username, DisplayName: a.DisplayName, Email: a.Email, PasswordHash: hash})
	if errors.Is(err, store.ErrConflict) {
		return store.User{}, &spec.ValidationError{Fields: []spec.FieldError{{Field: "username", Message: "is taken"}}}
	}
	return u, err
}

// UpdateUser changes an account's details or disables/enables it.
// Disabling ends its sessions; its API keys stop working while it is
// disabled. The last enabled admin cannot be disabled.
func (s *Service) UpdateUser(ctx context.Context, by *Principal, id int64, ch UserChanges) (store.User, error) {
	v := &spec.ValidationError{}
	if ch.DisplayName != nil {
		checkText(v, "displayName", *ch.DisplayName, maxNameLen*2)
	}
	if ch.Email != nil {
		checkEmail(v, "email", *ch.Email)
	}
	if err := v.Err(); err != nil {
		return store.User{}, err
	}
	if ch.Disabled != nil {
		if err := s.ensureCovers(ctx, by, id, "enable or disable"); err != nil {
			return store.User{}, err
		}
	}
	u, err := s.st.Users().Update(ctx, id, store.UserChanges{DisplayName: ch.DisplayName, Email: ch.Email, Disabled: ch.Disabled})
	if err != nil {
		return store.User{}, err
	}
	if u.Disabled {
		if _, err := s.st.Sessions().DeleteForUser(ctx, id, 0); err != nil {
			return store.User{}, err
		}
	}
	return u, nil
}

// SetPassword sets account id's password and ends its sessions, except
// the caller's own when it sets its own password.
func (s *Service) SetPassword(ctx context.Context, by *Principal, id int64, password string) error {
	v := &spec.ValidationError{}
	checkPassword(v, "password", password)
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.ensureCovers(ctx, by, id, "set the password of"); err != nil {
		return err
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return err
	}
	var keep int64
	if by != nil && by.UserID == id {
		keep = by.SessionID
	}
	return s.st.Users().SetPassword(ctx, id, hash, keep)
}

// ChangeOwnPassword is a signed-in user changing their password: the
// current one must match (wrong guesses count against the sign-in limit).
// Every other session of the user ends.
func (s *Service) ChangeOwnPassword(ctx context.Context, by *Principal, current, next string) error {
	if by == nil {
		return ErrUnauthenticated
	}
	v := &spec.ValidationError{}
	if current == "" {
		v.Add("currentPassword", "is required")
	}
	checkPassword(v, "newPassword", next)
	if err := v.Err(); err != nil {
		return err
	}
	try, err := s.limiter.begin("", by.Username)
	if err != nil {
		return err
	}
	hash, err := s.st.Users().PasswordHash(ctx, by.UserID)
	if err != nil {
		try.abandoned()
		return err
	}
	match, _, err := s.hasher.verify(ctx, current, hash)
	if err != nil {
		try.abandoned()
		return err
	}
	if !match {
		try.failed()
		return &spec.ValidationError{Fields: []spec.FieldError{{Field: "currentPassword", Message: "is not your current password"}}}
	}
	try.succeeded()
	newHash, err := s.hasher.hash(ctx, next)
	if err != nil {
		return err
	}
	return s.st.Users().SetPassword(ctx, by.UserID, newHash, by.SessionID)
}

// ResetPassword is `dbkeep admin reset-password`: it sets the password of
// the account named username and ends all its sessions. It reports whether
// the account is disabled (a reset does not enable it).
func (s *Service) ResetPassword(ctx context.Context, username, password string) (store.User, error) {
	v := &spec.ValidationError{}
	checkPassword(v, "password", password)
	if err := v.Err(); err != nil {
		return store.User{}, err
	}
	u, _, err := s.st.Users().Credentials(ctx, username)
	if err != nil {
		return store.User{}, err
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return store.User{}, err
	}
	return u, s.st.Users().SetPassword(ctx, u.ID, hash, 0)
}

// DeleteUser removes an account with its sessions and API keys. The last
// enabled admin cannot be deleted.
func (s *Service) DeleteUser(ctx context.Context, by *Principal, id int64) error {
	if err := s.ensureCovers(ctx, by, id, "delete"); err != nil {
		return err
	}
	return s.st.Users().Delete(ctx, id)
}

// ensureCovers refuses when account id holds a permission `by` lacks.
func (s *Service) ensureCovers(ctx context.Context, by *Principal, id int64, verb string) error {
	if by == nil {
		return nil
	}
	if _, err := s.st.Users().Get(ctx, id); err != nil {
		return err
	}
	names, builtin, err := s.st.Groups().Access(ctx, id)
	if err != nil {
		return err
	}
	target := All()
	if !builtin {
		target = target[:0]
		for _, n := range names {
			target = append(target, Permission(n))
		}
	}
	if extra := missing(target, by.Permissions); len(extra) > 0 {
		return fmt.Errorf("%w: you cannot %s an account holding permissions you lack (%s)", ErrForbidden, verb, quoteAll(extra))
	}
	return nil
}
