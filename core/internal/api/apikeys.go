package api

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// listKeys lists every API key (?userId= narrows to one owner).
func (a *API) listKeys(c fiber.Ctx) error {
	pg, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	var f store.APIKeyFilter
	if c.Query("userId") != "" {
		if f.UserID, err = int64Query(c, "userId"); err != nil {
			return fail(c, err)
		}
	}
	keys, total, err := a.d.Accounts.ListKeys(c.Context(), f, pg)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, paged(keys, total, pg))
}

func (a *API) getKey(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	k, err := a.d.Accounts.Key(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, k)
}

// createKey makes a key owned by the caller; the answer holds the token,
// the only time it is ever shown.
func (a *API) createKey(c fiber.Ctx) error {
	var in auth.NewKey
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	k, err := a.d.Accounts.CreateKey(c.Context(), principal(c), in)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "api-keys.create", "api-key", k.ID, map[string]any{"name": k.Name, "prefix": k.Prefix, "permissions": k.Permissions})
	return created(c, k)
}

func (a *API) revokeKey(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	k, err := a.d.Accounts.RevokeKey(c.Context(), id, 0)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "api-keys.revoke", "api-key", id, map[string]any{"name": k.Name, "owner": k.Username})
	return ok(c, k)
}
