package configuration

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/seal"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Connections is the service of one kind of plugin connection: sources
// (database plugins), destinations (storage plugins) or notification
// channels. The three follow the same rules.
type Connections struct {
	s    *Service
	repo *store.Connections
	kind spec.Kind
	noun string
	// ref is how jobs refer to this kind, for "in use" answers.
	ref store.JobRef
}

// Connection is a connection as the API shows it: secrets masked.
type Connection struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	PluginID string `json:"pluginId"`
	// Config holds every stored field; a stored secret reads spec.Mask.
	Config spec.Config `json:"config"`
	// SecretsSet names the secret fields that hold a stored value, so a
	// form can say "set" without ever receiving it.
	SecretsSet []string  `json:"secretsSet"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// ConnectionInput is the body of a create or an update.
type ConnectionInput struct {
	Name string `json:"name"`
	// PluginID is required on create ("database-postgres") and cannot
	// change on update (leave it out or repeat it).
	PluginID string      `json:"pluginId"`
	Config   ConfigInput `json:"config"`
	// ClearSecrets names stored secret fields to remove, on update only. A
	// secret sent empty, null, left out or as the mask keeps its stored
	// value: that is what lets a form send back what it was shown.
	ClearSecrets []string `json:"clearSecrets,omitempty"`
}

// view is conn as the API shows it. Beyond the fields stored sealed, it
// masks any field the plugin's schema (as loaded at start) marks secret
// now: a plugin upgrade that turns a plain field into a secret must not
// leave the old value readable until the connection is next saved.
func (c *Connections) view(conn store.Connection) Connection {
	v := Connection{
		ID: conn.ID, Name: conn.Name, PluginID: conn.PluginID, Config: conn.Masked(),
		SecretsSet: slices.Clone(conn.SecretFields), CreatedAt: conn.CreatedAt, UpdatedAt: conn.UpdatedAt,
	}
	if schema, ok := c.s.loadedSchema(conn.PluginID); ok {
		for name, value := range v.Config {
			if f, known := schema.Field(name); known && f.IsSecret() && value != "" && value != spec.Mask {
				v.Config[name] = spec.Mask
				v.SecretsSet = append(v.SecretsSet, name)
			}
		}
		slices.Sort(v.SecretsSet)
	}
	return v
}

// List returns one page of connections and the total.
func (c *Connections) List(ctx context.Context, p store.Page) ([]Connection, int, error) {
	conns, total, err := c.repo.List(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Connection, len(conns))
	for i, conn := range conns {
		out[i] = c.view(conn)
	}
	return out, total, nil
}

// Get returns connection id.
func (c *Connections) Get(ctx context.Context, id int64) (Connection, error) {
	conn, err := c.repo.Get(ctx, id)
	if err != nil {
		return Connection{}, err
	}
	return c.view(conn), nil
}

// Create checks in and stores it.
func (c *Connections) Create(ctx context.Context, in ConnectionInput) (Connection, error) {
	var errs spec.ValidationError
	name := checkName(&errs, "name", in.Name)
	if len(in.ClearSecrets) > 0 {
		errs.Add("clearSecrets", "only applies to an update: a new "+c.noun+" has no stored secret")
	}
	desc, pluginOK := c.plugin(ctx, &errs, in.PluginID)
	cfg := in.Config.toConfig(&errs)
	if pluginOK {
		for _, f := range desc.Schema.Fields {
			if f.IsSecret() && cfg[f.Name] == spec.Mask {
				errs.Add("config."+f.Name, "holds the mask shown for stored secrets; a new "+c.noun+" needs the secret itself")
			}
		}
	}
	if err := errs.Err(); err != nil {
		return Connection{}, err
	}
	if err := c.validateConfig(ctx, desc, cfg); err != nil {
		return Connection{}, err
	}
	conn, err := c.repo.Create(ctx, store.ConnectionInput{Name: name, PluginID: desc.ID, Schema: desc.Schema, Config: cfg})
	if err != nil {
		return Connection{}, nameTaken(err, c.noun)
	}
	return c.view(conn), nil
}

// Update checks in against the stored connection and replaces it. Secrets
// left empty or masked keep their stored values; in.ClearSecrets removes
// stored ones.
func (c *Connections) Update(ctx context.Context, id int64, in ConnectionInput) (Connection, error) {
	stored, err := c.repo.Get(ctx, id)
	if err != nil {
		return Connection{}, err
	}
	var errs spec.ValidationError
	name := checkName(&errs, "name", in.Name)
	if in.PluginID != "" && in.PluginID != stored.PluginID {
		errs.Add("pluginId", fmt.Sprintf("cannot change from %s: create a new %s for another plugin", stored.PluginID, c.noun))
	}
	desc, pluginOK := c.plugin(ctx, &errs, stored.PluginID)
	cfg := in.Config.toConfig(&errs)
	if pluginOK {
		for i, field := range in.ClearSecrets {
			f, ok := desc.Schema.Field(field)
			switch {
			case !ok || !f.IsSecret():
				errs.Add(indexed("clearSecrets", i), fmt.Sprintf("%q is not a secret field of %s", field, desc.ID))
			case cfg[field] != "" && cfg[field] != spec.Mask:
				errs.Add(indexed("clearSecrets", i), fmt.Sprintf("%q is given a new value in config too; send one or the other", field))
			}
		}
	}
	if err := errs.Err(); err != nil {
		return Connection{}, err
	}
	merged := seal.Merge(desc.Schema, stored.Config, cfg)
	for _, field := range in.ClearSecrets {
		delete(merged, field)
	}
	if err := c.validateConfig(ctx, desc, merged); err != nil {
		return Connection{}, err
	}
	conn, err := c.repo.Update(ctx, id, store.ConnectionInput{
		Name: name, PluginID: stored.PluginID, Schema: desc.Schema, Config: merged, ClearSecrets: in.ClearSecrets,
	})
	if err != nil {
		return Connection{}, nameTaken(err, c.noun)
	}
	return c.view(conn), nil
}

// Delete removes connection id; one a job uses (or, for a destination, one
// holding backup sets) is refused with store.ErrInUse naming the jobs.
func (c *Connections) Delete(ctx context.Context, id int64) (Connection, error) {
	conn, err := c.repo.Get(ctx, id)
	if err != nil {
		return Connection{}, err
	}
	if err := c.repo.Delete(ctx, id); err != nil {
		return Connection{}, c.s.inUse(ctx, err, c.ref, id)
	}
	return c.view(conn), nil
}

// plugin checks that id names an installed, loadable plugin of the
// service's kind and returns its live description; problems are added to
// errs under "pluginId".
func (c *Connections) plugin(ctx context.Context, errs *spec.ValidationError, id string) (spec.Description, bool) {
	prefix := string(c.kind) + "-"
	switch {
	case id == "":
		errs.Add("pluginId", fmt.Sprintf("is required: the id of a %s plugin, like %sexample", c.kind, prefix))
		return spec.Description{}, false
	case !strings.HasPrefix(id, prefix) || len(id) == len(prefix):
		errs.Add("pluginId", fmt.Sprintf("a %s needs a %s plugin (an id starting %q), not %q", c.noun, c.kind, prefix, id))
		return spec.Description{}, false
	}
	desc, err := c.s.plugins.Start(ctx, id)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		errs.Add("pluginId", fmt.Sprintf("no plugin %s is installed (GET /api/v1/plugins lists them)", id))
		return spec.Description{}, false
	case err != nil:
		errs.Add("pluginId", fmt.Sprintf("plugin %s cannot be used: %v", id, err))
		return spec.Description{}, false
	}
	return desc, true
}

// validateConfig checks cfg against the plugin's schema (types, required
// fields, options, unknown fields) and then asks the plugin, which knows
// rules no schema can say. Field errors are named "config.<field>".
func (c *Connections) validateConfig(ctx context.Context, desc spec.Description, cfg spec.Config) error {
	var errs spec.ValidationError
	if addPrefixed(&errs, "config", desc.Schema.Validate(cfg)) {
		return errs.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.probeTimeout)
	defer cancel()
	err := c.s.plugins.ValidateConfig(ctx, desc.ID, cfg)
	if addPrefixed(&errs, "config", err) {
		return errs.Err()
	}
	if err != nil {
		return fmt.Errorf("plugin %s could not check the configuration: %w", desc.ID, timeoutWords(err, c.s.probeTimeout))
	}
	return nil
}

// opened returns connection id with its configuration in clear, for a
// plugin call that must not leave the core.
func (c *Connections) opened(ctx context.Context, id int64) (store.Connection, error) {
	return c.repo.Get(ctx, id)
}
