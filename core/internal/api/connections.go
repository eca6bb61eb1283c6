package api

import (
	"sort"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// connectionKind is what differs between the three connection resources
// (sources, destinations, notification channels), which share their CRUD.
type connectionKind struct {
	// path is the collection's path: "/sources".
	path string
	// resource names the audit actions ("sources.create"); target the
	// audit target type ("source").
	resource, target string
	read, write      auth.Permission
	service          func(*configuration.Service) *configuration.Connections
}

// connectionCRUD is the list, get, create, update and delete routes of k.
func (a *API) connectionCRUD(k connectionKind) []route {
	return []route{
		get(k.path, Requires(k.read), a.listConnections(k)).describe("List "+k.resource, nil, Paged[configuration.Connection]{}),
		get(k.path+"/:id", Requires(k.read), a.getConnection(k)).describe("Get a "+k.target+" (secrets masked)", nil, configuration.Connection{}),
		post(k.path, Requires(k.write), a.createConnection(k)).describe("Create a "+k.target, configuration.ConnectionInput{}, configuration.Connection{}).creates(),
		put(k.path+"/:id", Requires(k.write), a.updateConnection(k)).describe("Change a "+k.target+" (empty or masked secrets keep their value)", configuration.ConnectionInput{}, configuration.Connection{}),
		del(k.path+"/:id", Requires(k.write), a.deleteConnection(k)).describe("Delete a "+k.target, nil, nil),
	}
}

// connectionService resolves k's service for a request.
func (a *API) connectionService(k connectionKind) (*configuration.Connections, error) {
	svc, err := a.configuration()
	if err != nil {
		return nil, err
	}
	return k.service(svc), nil
}

func (a *API) listConnections(k connectionKind) fiber.Handler {
	return func(c fiber.Ctx) error {
		p, err := page(c)
		if err != nil {
			return fail(c, err)
		}
		svc, err := a.connectionService(k)
		if err != nil {
			return fail(c, err)
		}
		items, total, err := svc.List(c.Context(), p)
		if err != nil {
			return fail(c, err)
		}
		return ok(c, paged(items, total, p))
	}
}

func (a *API) getConnection(k connectionKind) fiber.Handler {
	return func(c fiber.Ctx) error {
		id, err := idParam(c)
		if err != nil {
			return fail(c, err)
		}
		svc, err := a.connectionService(k)
		if err != nil {
			return fail(c, err)
		}
		conn, err := svc.Get(c.Context(), id)
		if err != nil {
			return fail(c, err)
		}
		return ok(c, conn)
	}
}

func (a *API) createConnection(k connectionKind) fiber.Handler {
	return func(c fiber.Ctx) error {
		var in configuration.ConnectionInput
		if err := decode(c, &in); err != nil {
			return fail(c, err)
		}
		svc, err := a.connectionService(k)
		if err != nil {
			return fail(c, err)
		}
		conn, err := svc.Create(c.Context(), in)
		if err != nil {
			return fail(c, err)
		}
		a.audit(c, k.resource+".create", k.target, conn.ID, connectionDetails(conn, in))
		return created(c, conn)
	}
}

func (a *API) updateConnection(k connectionKind) fiber.Handler {
	return func(c fiber.Ctx) error {
		id, err := idParam(c)
		if err != nil {
			return fail(c, err)
		}
		var in configuration.ConnectionInput
		if err := decode(c, &in); err != nil {
			return fail(c, err)
		}
		svc, err := a.connectionService(k)
		if err != nil {
			return fail(c, err)
		}
		conn, err := svc.Update(c.Context(), id, in)
		if err != nil {
			return fail(c, err)
		}
		a.audit(c, k.resource+".update", k.target, conn.ID, connectionDetails(conn, in))
		return ok(c, conn)
	}
}

func (a *API) deleteConnection(k connectionKind) fiber.Handler {
	return func(c fiber.Ctx) error {
		id, err := idParam(c)
		if err != nil {
			return fail(c, err)
		}
		svc, err := a.connectionService(k)
		if err != nil {
			return fail(c, err)
		}
		conn, err := svc.Delete(c.Context(), id)
		if err != nil {
			return fail(c, err)
		}
		a.audit(c, k.resource+".delete", k.target, conn.ID, map[string]any{"name": conn.Name, "pluginId": conn.PluginID})
		return done(c, "deleted")
	}
}

// connectionDetails is what the audit log keeps of a change: names of the
// fields sent and of the secrets cleared, never a value.
func connectionDetails(conn configuration.Connection, in configuration.ConnectionInput) map[string]any {
	fields := make([]string, 0, len(in.Config))
	for name := range in.Config {
		fields = append(fields, name)
	}
	sort.Strings(fields)
	d := map[string]any{"name": conn.Name, "pluginId": conn.PluginID, "fields": fields}
	if len(in.ClearSecrets) > 0 {
		d["clearedSecrets"] = in.ClearSecrets
	}
	return d
}

// pageOf cuts one page out of a list computed in full (a plugin's answer,
// the plugin directory), so every list the API serves is paginated alike.
func pageOf[T any](items []T, p store.Page) Paged[T] {
	end := min(p.Offset+p.Limit, len(items))
	start := min(p.Offset, end)
	return paged(items[start:end], len(items), p)
}
