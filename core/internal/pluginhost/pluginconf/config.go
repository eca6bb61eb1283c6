package pluginconf

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// LockFileName is the lock file's name; it lives beside plugins.hcl.
const LockFileName = "plugins.lock.hcl"

// Config is a parsed plugins.hcl.
type Config struct {
	// File is the path plugins.hcl was read from.
	File string
	// Dir is the plugin directory, absolute: a relative plugin_dir resolves
	// against the directory of File, not the working directory, so the core
	// finds the same plugins wherever it is started from.
	Dir string
	// Policy decides which binaries may run.
	Policy Policy
	// LockFile is the path of plugins.lock.hcl beside File.
	LockFile string
	// Plugins holds per-plugin settings by plugin id ("storage-local"). A plugin
	// without a block is enabled.
	Plugins map[string]PluginSettings
}

// PluginSettings are the settings of one plugin block.
type PluginSettings struct {
	Enabled bool
}

// Enabled reports whether the plugin id may be loaded.
func (c *Config) Enabled(id string) bool {
	s, ok := c.Plugins[id]
	return !ok || s.Enabled
}

// DisabledIDs returns the ids of the plugins switched off, sorted.
func (c *Config) DisabledIDs() []string {
	var ids []string
	for id, s := range c.Plugins {
		if !s.Enabled {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// configFile is the file's syntax. Without a ",remain" field gohcl rejects
// unknown arguments and blocks: a misspelt "trust" block must not silently
// fall back to a default.
type configFile struct {
	PluginDir *hcl.Attribute `hcl:"plugin_dir"`
	Trust     *trustBlock    `hcl:"trust,block"`
	Plugins   []pluginBlock  `hcl:"plugin,block"`
}

type trustBlock struct {
	Policy hcl.Expression `hcl:"policy"`
}

type pluginBlock struct {
	ID       string    `hcl:"id,label"`
	Enabled  *bool     `hcl:"enabled,optional"`
	DefRange hcl.Range `hcl:",def_range"`
}

// Load reads and checks plugins.hcl at path.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plugins config: %w", err)
	}
	return Parse(src, path)
}

// Parse checks the content of a plugins.hcl; filename names it in errors and
// anchors a relative plugin_dir.
func Parse(src []byte, filename string) (*Config, error) {
	abs, err := filepath.Abs(filename)
	if err != nil {
		return nil, fmt.Errorf("plugins config %s: %w", filename, err)
	}
	p := hclparse.NewParser()
	f, diags := p.ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	var raw configFile
	if diags := gohcl.DecodeBody(f.Body, nil, &raw); diags.HasErrors() {
		return nil, diagError(diags)
	}
	cfg := &Config{File: filename, Plugins: map[string]PluginSettings{}}
	var all hcl.Diagnostics
	if raw.PluginDir == nil {
		all = append(all, errorAt(f.Body.MissingItemRange(), "Missing required argument",
			`The argument "plugin_dir" is required: it names the directory holding the dbkeep-<kind>-<name> binaries.`))
	} else if diags := gohcl.DecodeExpression(raw.PluginDir.Expr, nil, &cfg.Dir); diags.HasErrors() {
		all = append(all, diags...)
	} else if cfg.Dir == "" {
		all = append(all, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty plugin_dir",
			Detail: "plugin_dir names the directory holding the dbkeep-<kind>-<name> binaries.", Subject: raw.PluginDir.Expr.Range().Ptr()})
	}
	if !filepath.IsAbs(cfg.Dir) {
		cfg.Dir = filepath.Join(filepath.Dir(abs), cfg.Dir)
	}
	cfg.Dir = filepath.Clean(cfg.Dir)
	cfg.LockFile = filepath.Join(filepath.Dir(abs), LockFileName)

	cfg.Policy = PolicyPinned
	if raw.Trust != nil {
		var name string
		if diags := gohcl.DecodeExpression(raw.Trust.Policy, nil, &name); diags.HasErrors() {
			all = append(all, diags...)
		} else if pol, err := ParsePolicy(name); err != nil {
			all = append(all, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown trust policy",
				Detail: err.Error(), Subject: raw.Trust.Policy.Range().Ptr()})
		} else {
			cfg.Policy = pol
		}
	}

	seen := map[string]hcl.Range{}
	for _, b := range raw.Plugins {
		if _, _, err := ParseID(b.ID); err != nil {
			all = append(all, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid plugin id",
				Detail: err.Error(), Subject: b.DefRange.Ptr()})
			continue
		}
		if prev, dup := seen[b.ID]; dup {
			all = append(all, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate plugin block",
				Detail: fmt.Sprintf("Plugin %q is already configured at %s.", b.ID, prev), Subject: b.DefRange.Ptr()})
			continue
		}
		seen[b.ID] = b.DefRange
		enabled := true
		if b.Enabled != nil {
			enabled = *b.Enabled
		}
		cfg.Plugins[b.ID] = PluginSettings{Enabled: enabled}
	}
	if all.HasErrors() {
		return nil, diagError(all)
	}
	return cfg, nil
}

// ParseID splits a plugin id "<kind>-<name>" and checks both halves.
func ParseID(id string) (spec.Kind, string, error) {
	for _, k := range spec.Kinds {
		prefix := string(k) + "-"
		if len(id) > len(prefix) && id[:len(prefix)] == prefix {
			name := id[len(prefix):]
			if err := spec.ValidName(name); err != nil {
				return "", "", fmt.Errorf("plugin id %q: %w", id, err)
			}
			return k, name, nil
		}
	}
	return "", "", fmt.Errorf("plugin id %q: want <kind>-<name> with kind database, storage, notification or oidc", id)
}
