package api

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// pluginRoutes: installed plugins with their schemas and health (owned by
// the configuration work).
func (a *API) pluginRoutes() []route {
	return []route{
		get("/plugins", Requires(auth.PluginsRead), a.listPlugins).describe("Installed plugins with their schemas and health", nil, Paged[configuration.Plugin]{}).
			withQuery("kind", "database, storage, notification or oidc: only plugins of this kind"),
	}
}

// listPlugins lists the installed plugins; ?kind=database|storage|
// notification|oidc keeps one kind, which is what a "new source" form needs.
func (a *API) listPlugins(c fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	kind := c.Query("kind")
	if kind != "" {
		if _, err := spec.ParseKind(kind); err != nil {
			return fail(c, fieldError("kind", "must be database, storage, notification or oidc"))
		}
	}
	svc, err := a.configuration()
	if err != nil {
		return fail(c, err)
	}
	return ok(c, pageOf(svc.Plugins().List(c.Context(), kind), p))
}
