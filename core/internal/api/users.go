package api

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
)

func (a *API) listUsers(c fiber.Ctx) error {
	pg, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	users, total, err := a.d.Accounts.ListUsers(c.Context(), pg)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, paged(users, total, pg))
}

func (a *API) getUser(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	u, err := a.d.Accounts.User(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, u)
}

func (a *API) createUser(c fiber.Ctx) error {
	var in auth.NewAccount
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	u, err := a.d.Accounts.CreateUser(c.Context(), in)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "users.create", "user", u.ID, map[string]any{"username": u.Username})
	return created(c, u)
}

func (a *API) updateUser(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	var in auth.UserChanges
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	u, err := a.d.Accounts.UpdateUser(c.Context(), principal(c), id, in)
	if err != nil {
		return fail(c, err)
	}
	details := map[string]any{"username": u.Username}
	if in.DisplayName != nil {
		details["displayName"] = *in.DisplayName
	}
	if in.Email != nil {
		details["email"] = *in.Email
	}
	if in.Disabled != nil {
		details["disabled"] = *in.Disabled
	}
	a.audit(c, "users.update", "user", id, details)
	return ok(c, u)
}

type passwordSet struct {
	Password string `json:"password"`
}

func (a *API) setUserPassword(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	var in passwordSet
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	if err := a.d.Accounts.SetPassword(c.Context(), principal(c), id, in.Password); err != nil {
		return fail(c, err)
	}
	a.audit(c, "users.set_password", "user", id, nil)
	return done(c, "password set; the account's other sessions have ended")
}

func (a *API) deleteUser(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	u, err := a.d.Accounts.User(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	if err := a.d.Accounts.DeleteUser(c.Context(), principal(c), id); err != nil {
		return fail(c, err)
	}
	a.audit(c, "users.delete", "user", id, map[string]any{"username": u.Username})
	return done(c, "user deleted")
}
