package api

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
)

func (a *API) listGroups(c fiber.Ctx) error {
	pg, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	groups, total, err := a.d.Accounts.ListGroups(c.Context(), pg)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, paged(groups, total, pg))
}

func (a *API) getGroup(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	g, err := a.d.Accounts.Group(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, g)
}

func (a *API) createGroup(c fiber.Ctx) error {
	var in auth.GroupInput
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	g, err := a.d.Accounts.CreateGroup(c.Context(), principal(c), in)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "groups.create", "group", g.ID, map[string]any{"name": g.Name, "permissions": g.Permissions})
	return created(c, g)
}

func (a *API) updateGroup(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	var in auth.GroupChanges
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	g, err := a.d.Accounts.UpdateGroup(c.Context(), principal(c), id, in)
	if err != nil {
		return fail(c, err)
	}
	details := map[string]any{"name": g.Name}
	if in.Description != nil {
		details["description"] = g.Description
	}
	if in.Permissions != nil {
		details["permissions"] = g.Permissions
	}
	a.audit(c, "groups.update", "group", id, details)
	return ok(c, g)
}

func (a *API) deleteGroup(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	g, err := a.d.Accounts.Group(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	if err := a.d.Accounts.DeleteGroup(c.Context(), id); err != nil {
		return fail(c, err)
	}
	a.audit(c, "groups.delete", "group", id, map[string]any{"name": g.Name})
	return done(c, "group deleted")
}

func (a *API) listMembers(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	pg, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	users, total, err := a.d.Accounts.Members(c.Context(), id, pg)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, paged(users, total, pg))
}

func (a *API) memberParams(c fiber.Ctx) (group, user int64, err error) {
	if group, err = idParam(c); err != nil {
		return 0, 0, err
	}
	user, err = int64Param(c, "userId")
	return group, user, err
}

func (a *API) addMember(c fiber.Ctx) error {
	gid, uid, err := a.memberParams(c)
	if err != nil {
		return fail(c, err)
	}
	if err := a.d.Accounts.AddMember(c.Context(), principal(c), gid, uid); err != nil {
		return fail(c, err)
	}
	a.audit(c, "groups.add_member", "group", gid, map[string]any{"userId": uid})
	return done(c, "member added")
}

func (a *API) removeMember(c fiber.Ctx) error {
	gid, uid, err := a.memberParams(c)
	if err != nil {
		return fail(c, err)
	}
	if err := a.d.Accounts.RemoveMember(c.Context(), gid, uid); err != nil {
		return fail(c, err)
	}
	a.audit(c, "groups.remove_member", "group", gid, map[string]any{"userId": uid})
	return done(c, "member removed")
}
