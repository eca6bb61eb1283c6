package server

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
)

// envelope is the shape of every /api/v1 answer.
type envelope struct {
	Success bool   `json:"success"`
	Message string `json:"message,omitempty"`
	Data    any    `json:"data,omitempty"`
	Error   string `json:"error,omitempty"`
}

// pluginsHandler lists the plugins found at start, loaded or refused, with
// their descriptions (schemas included). A placeholder until the plugins
// service of the API lands: it has no pagination and no auth yet.
func pluginsHandler(opts Options) fiber.Handler {
	return func(c fiber.Ctx) error {
		entries := []pluginhost.Entry{}
		if opts.Plugins != nil {
			rep := opts.Plugins.Loaded()
			entries = append(append(entries, rep.Loaded...), rep.Refused...)
		}
		return c.JSON(envelope{Success: true, Data: entries})
	}
}
