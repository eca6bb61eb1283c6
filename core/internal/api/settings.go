package api

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
)

// settingsRoutes: the server settings, read and changed as one object.
func (a *API) settingsRoutes() []route {
	return []route{
		get("/settings", Requires(auth.SettingsRead), a.getSettings).describe("Server settings", nil, configuration.SettingsView{}),
		put("/settings", Requires(auth.SettingsWrite), a.putSettings).describe("Change server settings (fields left out keep their value)", configuration.SettingsInput{}, configuration.SettingsView{}),
	}
}

func (a *API) getSettings(c fiber.Ctx) error {
	svc, err := a.configuration()
	if err != nil {
		return fail(c, err)
	}
	v, err := svc.Settings().Get(c.Context())
	if err != nil {
		return fail(c, err)
	}
	return ok(c, v)
}

// putSettings changes the settings given and keeps the others.
func (a *API) putSettings(c fiber.Ctx) error {
	var in configuration.SettingsInput
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	svc, err := a.configuration()
	if err != nil {
		return fail(c, err)
	}
	v, err := svc.Settings().Update(c.Context(), in)
	if err != nil {
		return fail(c, err)
	}
	changed := map[string]any{}
	if in.MaxConcurrentJobs != nil {
		changed["maxConcurrentJobs"] = *in.MaxConcurrentJobs
	}
	if in.DefaultTimezone != nil {
		changed["defaultTimezone"] = *in.DefaultTimezone
	}
	if in.SessionTTLSeconds != nil {
		changed["sessionTTLSeconds"] = *in.SessionTTLSeconds
	}
	a.audit(c, "settings.update", "settings", 0, changed)
	return ok(c, v)
}
