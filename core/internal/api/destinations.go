package api

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
)

var destinations = connectionKind{
	path: "/destinations", resource: "destinations", target: "destination", read: auth.DestinationsRead, write: auth.DestinationsWrite,
	service: (*configuration.Service).Destinations,
}

// destinationRoutes: storage connections, their test and their usage.
func (a *API) destinationRoutes() []route {
	return append(a.connectionCRUD(destinations),
		post("/destinations/:id/test", Requires(auth.DestinationsWrite), a.testDestination).describe("Check the destination can be written, read and deleted", noBody{}, configuration.DestinationTest{}),
		get("/destinations/:id/usage", Requires(auth.DestinationsRead), a.destinationUsage).describe("Space the destination uses and has free", nil, configuration.Usage{}),
	)
}

// testDestination checks that the destination is reachable and usable.
func (a *API) testDestination(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.connectionService(destinations)
	if err != nil {
		return fail(c, err)
	}
	res, err := svc.TestDestination(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, res)
}

// destinationUsage reports the destination's used and free space.
func (a *API) destinationUsage(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	svc, err := a.connectionService(destinations)
	if err != nil {
		return fail(c, err)
	}
	u, err := svc.Usage(c.Context(), id)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, u)
}
