package api

// accountRoutes: users, groups, API keys, audit, the permission catalogue
// (owned by the accounts work).
func (a *API) accountRoutes() []route {
	return nil
}
