package api

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
)

// access is what a route demands: nothing (public), any signed-in
// principal (authenticated), or one permission. A route cannot be built
// without one (see Public, Authenticated and Requires), and the route table
// test fails on any Fiber route whose name does not carry it.
type access struct {
	public        bool
	authenticated bool
	perm          auth.Permission
}

// Public marks a route anyone may call: health, setup, login, the OIDC
// callback, static UI. Keep this list short and obvious.
func Public() access { return access{public: true} }

// Authenticated marks a route any signed-in principal may call, whatever
// its permissions: what concerns only the caller (GET /auth/me, one's own
// password and API keys) and the permission catalogue.
func Authenticated() access { return access{authenticated: true} }

// Requires marks a route that needs an authenticated principal holding perm.
func Requires(perm auth.Permission) access { return access{perm: perm} }

// Route names carry the access so that a walk over Fiber's route table can
// check every route, including ones registered outside this package.
const (
	// RouteNamePublic names a public route.
	RouteNamePublic = "public"
	// RouteNameAuthenticated names a route open to any signed-in principal.
	RouteNameAuthenticated = "authenticated"
	// RouteNamePermPrefix starts the name of a protected route, followed by
	// its permission.
	RouteNamePermPrefix = "perm:"
)

func (ac access) name() string {
	if ac.public {
		return RouteNamePublic
	}
	if ac.authenticated {
		return RouteNameAuthenticated
	}
	return RouteNamePermPrefix + string(ac.perm)
}

// route is one entry of the table.
type route struct {
	method  string
	path    string // under Prefix, Fiber syntax: "/jobs/:id"
	access  access
	handler fiber.Handler
	// doc is what the OpenAPI document says of the route (openapi.go);
	// TestOpenAPI fails on a route without a summary.
	doc routeDoc
}

func get(path string, ac access, h fiber.Handler) route {
	return route{method: fiber.MethodGet, path: path, access: ac, handler: h}
}
func post(path string, ac access, h fiber.Handler) route {
	return route{method: fiber.MethodPost, path: path, access: ac, handler: h}
}
func put(path string, ac access, h fiber.Handler) route {
	return route{method: fiber.MethodPut, path: path, access: ac, handler: h}
}
func patch(path string, ac access, h fiber.Handler) route {
	return route{method: fiber.MethodPatch, path: path, access: ac, handler: h}
}
func del(path string, ac access, h fiber.Handler) route {
	return route{method: fiber.MethodDelete, path: path, access: ac, handler: h}
}

func (r route) register(app *fiber.App, guard fiber.Handler) {
	if !r.access.public && !r.access.authenticated && !r.access.perm.Valid() {
		panic(fmt.Sprintf("api: route %s %s requires %q, which is not in the permission catalogue", r.method, r.path, r.access.perm))
	}
	if !strings.HasPrefix(r.path, "/") {
		panic(fmt.Sprintf("api: route path %q must start with /", r.path))
	}
	app.Add([]string{r.method}, Prefix+r.path, guard, r.handler).Name(r.access.name())
}

// principalKey is where the guard leaves the principal for handlers.
type principalKey struct{}

// guard authenticates the request and enforces the route's access. Public
// routes still learn who calls when credentials are present (logout, me),
// but bad credentials on a public route are ignored rather than refused, so
// a stale cookie can never lock anyone out of the login page.
func (a *API) guard(ac access) fiber.Handler {
	return func(c fiber.Ctx) error {
		if a.d.Auth == nil {
			return fmt.Errorf("api: no authenticator configured")
		}
		p, err := a.d.Auth.Authenticate(c)
		if ac.public {
			if err == nil && p != nil {
				fiber.StoreInContext(c, principalKey{}, p)
			}
			return c.Next()
		}
		if err != nil {
			return fail(c, err)
		}
		if p == nil {
			return fail(c, errUnauthenticated)
		}
		if !ac.authenticated && !p.Has(ac.perm) {
			return fail(c, &Error{Status: fiber.StatusForbidden, Code: CodeForbidden,
				Message: fmt.Sprintf("this needs the permission %q", ac.perm)})
		}
		fiber.StoreInContext(c, principalKey{}, p)
		return c.Next()
	}
}

// principal returns who the request acts as; nil on a public route called
// without credentials.
func principal(c fiber.Ctx) *auth.Principal {
	p, _ := fiber.ValueFromContext[*auth.Principal](c, principalKey{})
	return p
}
