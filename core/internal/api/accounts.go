package api

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// accountRoutes: users, groups, API keys, audit, the permission catalogue.
func (a *API) accountRoutes() []route {
	return a.needAccounts([]route{
		get("/permissions", Authenticated(), a.permissions).describe("The permission catalogue", nil, []auth.PermissionInfo{}),

		get("/users", Requires(auth.UsersRead), a.listUsers).describe("List users", nil, Paged[store.User]{}),
		post("/users", Requires(auth.UsersWrite), a.createUser).describe("Create a user", auth.NewAccount{}, store.User{}).creates(),
		get("/users/:id", Requires(auth.UsersRead), a.getUser).describe("Get a user with their groups and permissions", nil, auth.UserDetail{}),
		patch("/users/:id", Requires(auth.UsersWrite), a.updateUser).describe("Change a user's name, email or disabled flag", auth.UserChanges{}, store.User{}),
		put("/users/:id/password", Requires(auth.UsersWrite), a.setUserPassword).describe("Set a user's password (ends their sessions)", passwordSet{}, nil),
		del("/users/:id", Requires(auth.UsersWrite), a.deleteUser).describe("Delete a user", nil, nil),

		get("/groups", Requires(auth.GroupsRead), a.listGroups).describe("List groups", nil, Paged[store.Group]{}),
		post("/groups", Requires(auth.GroupsWrite), a.createGroup).describe("Create a group holding permissions", auth.GroupInput{}, store.Group{}).creates(),
		get("/groups/:id", Requires(auth.GroupsRead), a.getGroup).describe("Get a group", nil, store.Group{}),
		patch("/groups/:id", Requires(auth.GroupsWrite), a.updateGroup).describe("Rename a group or change its permissions", auth.GroupChanges{}, store.Group{}),
		del("/groups/:id", Requires(auth.GroupsWrite), a.deleteGroup).describe("Delete a group", nil, nil),
		get("/groups/:id/members", Requires(auth.GroupsRead), a.listMembers).describe("List a group's members", nil, Paged[store.User]{}),
		put("/groups/:id/members/:userId", Requires(auth.GroupsWrite), a.addMember).describe("Add a user to a group", noBody{}, nil),
		del("/groups/:id/members/:userId", Requires(auth.GroupsWrite), a.removeMember).describe("Remove a user from a group", nil, nil),

		get("/api-keys", Requires(auth.APIKeysRead), a.listKeys).describe("List API keys (never the keys themselves)", nil, Paged[store.APIKey]{}).
			withQuery("userId", "only the keys of this user"),
		post("/api-keys", Requires(auth.APIKeysWrite), a.createKey).describe("Create an API key; its token is shown only in this answer", auth.NewKey{}, auth.CreatedKey{}).creates(),
		get("/api-keys/:id", Requires(auth.APIKeysRead), a.getKey).describe("Get an API key", nil, store.APIKey{}),
		del("/api-keys/:id", Requires(auth.APIKeysWrite), a.revokeKey).describe("Revoke an API key", nil, store.APIKey{}),

		get("/audit", Requires(auth.AuditRead), a.listAudit).describe("Read the audit log, newest first", nil, Paged[store.AuditEntry]{}).
			withQuery("action", "an action, or a prefix ending in \".\" (\"jobs.\")").
			withQuery("userId", "entries by this user").
			withQuery("targetType", "entries about this kind of target").
			withQuery("targetId", "entries about this target").
			withQuery("since", "entries at or after this RFC 3339 time").
			withQuery("until", "entries before this RFC 3339 time"),
	})
}

// needAccounts answers 500 instead of panicking when the API was built
// without the accounts service (a wiring mistake, reported on first use).
func (a *API) needAccounts(routes []route) []route {
	for i, r := range routes {
		h := r.handler
		routes[i].handler = func(c fiber.Ctx) error {
			if a.d.Accounts == nil || a.d.Audit == nil {
				return fail(c, errors.New("api: the accounts service or the audit log is not configured"))
			}
			return h(c)
		}
	}
	return routes
}

func (a *API) permissions(c fiber.Ctx) error {
	return ok(c, auth.Catalogue())
}

// int64Param reads a positive integer path parameter.
func int64Param(c fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id < 1 {
		return 0, fieldError(name, "must be a positive integer")
	}
	return id, nil
}
