package api

import (
	"errors"

	"github.com/dbkeep/dbkeep/core/internal/configuration"
)

// configurationRoutes: sources, destinations, notification channels,
// encryption profiles, jobs, settings (owned by the configuration work).
// Each resource's routes and handlers live in a file of its own.
func (a *API) configurationRoutes() []route {
	var all []route
	for _, group := range [][]route{
		a.sourceRoutes(),
		a.destinationRoutes(),
		a.notificationChannelRoutes(),
		a.encryptionProfileRoutes(),
		a.jobRoutes(),
		a.settingsRoutes(),
	} {
		all = append(all, group...)
	}
	return all
}

var errNoConfiguration = errors.New("api: the configuration service is not configured")

// configuration returns the configuration service, or the error a request
// answers when the wiring forgot it.
func (a *API) configuration() (*configuration.Service, error) {
	if a.d.Configuration == nil {
		return nil, errNoConfiguration
	}
	return a.d.Configuration, nil
}
