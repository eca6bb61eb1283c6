package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/api"
	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/webui"
)

// TestRouteTable walks every route the server registers and fails on any
// that does not declare what it needs: public, or one permission from the
// catalogue. Routes get their declaration where they are registered (the
// route's name), so a route added anywhere without one is caught here.
func TestRouteTable(t *testing.T) {
	s := New(Options{Version: "test", API: api.New(api.Deps{}), UI: webui.FS()})
	for _, problem := range undeclaredRoutes(s.App()) {
		t.Error(problem)
	}
	apiRoutes := 0
	for _, r := range s.App().GetRoutes(true) {
		if strings.HasPrefix(r.Path, api.Prefix) {
			apiRoutes++
		}
	}
	t.Logf("%d routes under %s", apiRoutes, api.Prefix)
}

// The walk itself must catch a route registered without a declaration, and
// one naming a permission outside the catalogue.
func TestRouteTableCatchesUndeclared(t *testing.T) {
	s := New(Options{Version: "test"})
	s.App().Get("/sneaky", func(c fiber.Ctx) error { return nil })
	s.App().Get("/typo", func(c fiber.Ctx) error { return nil }).Name(api.RouteNamePermPrefix + "jobs:fly")
	got := undeclaredRoutes(s.App())
	if len(got) != 2 || !strings.Contains(got[0]+got[1], "/sneaky") || !strings.Contains(got[0]+got[1], `"jobs:fly"`) {
		t.Fatalf("undeclaredRoutes = %q, want /sneaky and /typo reported", got)
	}
}

func undeclaredRoutes(app *fiber.App) []string {
	var problems []string
	for _, r := range app.GetRoutes(true) {
		switch {
		case r.Name == api.RouteNamePublic, r.Name == api.RouteNameAuthenticated:
		case strings.HasPrefix(r.Name, api.RouteNamePermPrefix):
			perm := auth.Permission(strings.TrimPrefix(r.Name, api.RouteNamePermPrefix))
			if !perm.Valid() {
				problems = append(problems, fmt.Sprintf("%s %s requires %q, which is not in the permission catalogue", r.Method, r.Path, perm))
			}
		default:
			problems = append(problems, fmt.Sprintf("%s %s declares no access (name %q): register it through package api, or name it public", r.Method, r.Path, r.Name))
		}
	}
	return problems
}
