package server

import (
	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
)

// Health is the body of GET /healthz.
type Health struct {
	// Status is "ok", or "degraded" when a plugin was refused or is not
	// running after a crash; the core still serves either way.
	Status  string        `json:"status"`
	Version string        `json:"version"`
	Plugins PluginsHealth `json:"plugins"`
	// State is absent when the server runs without a state database.
	State *StateHealth `json:"state,omitempty"`
}

// StateHealth reports the state database.
type StateHealth struct {
	// Status is "ok" or "unavailable".
	Status        string `json:"status"`
	SchemaVersion uint   `json:"schemaVersion"`
	Error         string `json:"error,omitempty"`
}

// PluginsHealth summarises plugin loading and supervision.
type PluginsHealth struct {
	Loaded []string            `json:"loaded"`
	Failed []FailedPlugin      `json:"failed"`
	Status []pluginhost.Status `json:"status"`
}

// FailedPlugin is a plugin the core refused or could not start.
type FailedPlugin struct {
	ID    string           `json:"id"`
	State pluginhost.State `json:"state"`
	Error string           `json:"error"`
}

func healthHandler(opts Options) fiber.Handler {
	return func(c fiber.Ctx) error {
		h := Health{Status: "ok", Version: opts.Version, Plugins: PluginsHealth{Loaded: []string{}, Failed: []FailedPlugin{}}}
		if opts.Plugins != nil {
			rep := opts.Plugins.Loaded()
			for _, e := range rep.Loaded {
				h.Plugins.Loaded = append(h.Plugins.Loaded, e.ID)
			}
			for _, e := range rep.Refused {
				h.Plugins.Failed = append(h.Plugins.Failed, FailedPlugin{ID: e.ID, State: e.State, Error: e.Error})
			}
			h.Plugins.Status = opts.Plugins.Status()
			for _, s := range h.Plugins.Status {
				if s.Crashes > 0 && !s.Running {
					h.Status = "degraded"
				}
			}
			if len(rep.Refused) > 0 {
				h.Status = "degraded"
			}
		}
		if opts.State != nil {
			h.State = &StateHealth{Status: "ok", SchemaVersion: opts.State.SchemaVersion()}
			if err := opts.State.Ping(c.Context()); err != nil {
				h.State.Status, h.State.Error = "unavailable", err.Error()
				h.Status = "degraded"
			}
		}
		return c.JSON(h)
	}
}
