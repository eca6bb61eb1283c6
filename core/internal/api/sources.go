package api

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
)

var sources = connectionKind{
	path: "/sources", resource: "sources", target: "source", read: auth.SourcesRead, write: auth.SourcesWrite,
	service: (*configuration.Service).Sources,
}

// sourceRoutes: database connections, their test and their databases.
func (a *API) sourceRoutes() []route {
	return append(a.connectionCRUD(sources),
		post("/sources/:id/test", Requires(auth.SourcesWrite), a.testSource).describe("Connect to the source's server and report its version", noBody{}, configuration.SourceTest{}),
		get("/sources/:id/databases", Requires(auth.SourcesRead), a.sourceDatabases).describe("List the databases on the source's server with sizes", nil, Paged[configuration.Database]{}),
	)
}

// testSource connects to the source's server and reports its version.
func (a *API) testSource(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.connectionService(sources)
	if err != nil {
		return fail(c, err)
	}
	res, err := svc.TestSource(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, res)
}

// sourceDatabases lists the databases on the source's server with sizes.
func (a *API) sourceDatabases(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	p, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.connectionService(sources)
	if err != nil {
		return fail(c, err)
	}
	dbs, err := svc.Databases(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, pageOf(dbs, p))
}
