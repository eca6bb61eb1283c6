package api

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
)

// accountRoutes: users, groups, API keys, audit, the permission catalogue.
func (a *API) accountRoutes() []route {
	return a.needAccounts([]route{
		get("/permissions", Authenticated(), a.permissions),

		get("/users", Requires(auth.UsersRead), a.listUsers),
		post("/users", Requires(auth.UsersWrite), a.createUser),
		get("/users/:id", Requires(auth.UsersRead), a.getUser),
		patch("/users/:id", Requires(auth.UsersWrite), a.updateUser),
		put("/users/:id/password", Requires(auth.UsersWrite), a.setUserPassword),
		del("/users/:id", Requires(auth.UsersWrite), a.deleteUser),

		get("/groups", Requires(auth.GroupsRead), a.listGroups),
		post("/groups", Requires(auth.GroupsWrite), a.createGroup),
		get("/groups/:id", Requires(auth.GroupsRead), a.getGroup),
		patch("/groups/:id", Requires(auth.GroupsWrite), a.updateGroup),
		del("/groups/:id", Requires(auth.GroupsWrite), a.deleteGroup),
		get("/groups/:id/members", Requires(auth.GroupsRead), a.listMembers),
		put("/groups/:id/members/:userId", Requires(auth.GroupsWrite), a.addMember),
		del("/groups/:id/members/:userId", Requires(auth.GroupsWrite), a.removeMember),

		get("/api-keys", Requires(auth.APIKeysRead), a.listKeys),
		post("/api-keys", Requires(auth.APIKeysWrite), a.createKey),
		get("/api-keys/:id", Requires(auth.APIKeysRead), a.getKey),
		del("/api-keys/:id", Requires(auth.APIKeysWrite), a.revokeKey),

		get("/audit", Requires(auth.AuditRead), a.listAudit),
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
