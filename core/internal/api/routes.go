package api

// routes is the route table: every /api/v1 route, grouped by resource. Each
// group lives beside its handlers in a file of its own; a route's access is
// declared in its entry, and TestRouteTable (package server) fails on any
// Fiber route without a declaration.
func (a *API) routes() []route {
	var all []route
	for _, group := range [][]route{
		a.authRoutes(),
		a.accountRoutes(),
		a.configurationRoutes(),
		a.pluginRoutes(),
		a.executionRoutes(),
		a.backupRoutes(),
		a.openAPIRoutes(),
	} {
		all = append(all, group...)
	}
	return all
}
