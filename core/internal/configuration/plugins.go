package configuration

import (
	"context"
	"sort"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Plugins lists the installed plugins: what the plugin directory held when
// the core started, with each one's live supervision state.
type Plugins struct{ s *Service }

// Plugin is an installed plugin as the API shows it.
type Plugin struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	Summary     string `json:"summary,omitempty"`
	Version     string `json:"version,omitempty"`
	SDKVersion  string `json:"sdkVersion,omitempty"`
	// Protocol is "major.minor" of the plugin protocol it speaks.
	Protocol     string            `json:"protocol,omitempty"`
	Capabilities []spec.Capability `json:"capabilities"`
	// ConfigSchema is what forms for this plugin's connections render.
	ConfigSchema spec.Schema `json:"configSchema"`
	// SHA256 is the binary's checksum as found at start.
	SHA256 string `json:"sha256,omitempty"`
	// State is "ok" for a loaded plugin, otherwise why it was refused
	// (checksum-mismatch, unpinned, describe-failed, missing); Error says
	// more.
	State  string `json:"state"`
	Error  string `json:"error,omitempty"`
	Health Health `json:"health"`
}

// Health is a plugin's process as the host supervises it.
type Health struct {
	Running bool `json:"running"`
	Crashes int  `json:"crashes"`
	// Restarts counts processes started again after a crash.
	Restarts  int        `json:"restarts"`
	LastCrash *time.Time `json:"lastCrash,omitempty"`
	LastError string     `json:"lastError,omitempty"`
}

// List returns the installed plugins sorted by id, only those of kind when
// it is not empty.
func (p *Plugins) List(_ context.Context, kind string) []Plugin {
	health := map[string]Health{}
	for _, st := range p.s.plugins.Status() {
		health[st.ID] = Health{Running: st.Running, Crashes: st.Crashes, Restarts: st.Restarts, LastCrash: st.LastCrash, LastError: st.LastError}
	}
	var out []Plugin
	for _, e := range append(append([]pluginhost.Entry{}, p.s.loaded.Loaded...), p.s.loaded.Refused...) {
		if kind != "" && string(e.Kind) != kind {
			continue
		}
		pl := Plugin{
			ID: e.ID, Kind: string(e.Kind), Name: e.Name, Version: e.Version, Protocol: e.Protocol,
			Capabilities: []spec.Capability{}, ConfigSchema: spec.Schema{Fields: []spec.Field{}},
			SHA256: e.SHA256, State: string(e.State), Error: e.Error, Health: health[e.ID],
		}
		if d := e.Description; d != nil {
			pl.DisplayName, pl.Summary, pl.SDKVersion = d.DisplayName, d.Summary, d.SDKVersion
			if d.Capabilities != nil {
				pl.Capabilities = d.Capabilities
			}
			if d.Schema.Fields != nil {
				pl.ConfigSchema = d.Schema
			}
		}
		out = append(out, pl)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
