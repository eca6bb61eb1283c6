package api

// pluginRoutes: installed plugins with their schemas and health (owned by
// the configuration work).
func (a *API) pluginRoutes() []route {
	return nil
}
