package api

import (
	"fmt"

	"github.com/gofiber/fiber/v3"
)

// MountOutside registers a route outside Prefix (GET /metrics) behind the
// same guard as the table's routes, named with its access so that
// TestRouteTable checks it like any other.
func (a *API) MountOutside(app *fiber.App, method, path string, ac access, h fiber.Handler) {
	if !ac.public && !ac.authenticated && !ac.perm.Valid() {
		panic(fmt.Sprintf("api: route %s %s requires %q, which is not in the permission catalogue", method, path, ac.perm))
	}
	app.Add([]string{method}, path, a.guard(ac), h).Name(ac.name())
}
