package api

// configurationRoutes: sources, destinations, notification channels,
// encryption profiles, jobs, settings (owned by the configuration work).
func (a *API) configurationRoutes() []route {
	return nil
}
