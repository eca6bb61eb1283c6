package api

// authRoutes: first-run setup, login, logout, me (owned by the accounts work).
func (a *API) authRoutes() []route {
	return nil
}
