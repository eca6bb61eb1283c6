package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/dbkeep/dbkeep/core/internal/seal"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Connections is the repository of one kind of plugin connection: sources
// (database plugins), destinations (storage) or notification channels. The
// three share one shape — a name, a plugin id and a configuration whose
// secret fields are sealed — and this one implementation.
type Connections struct {
	s *Store
	t connectionTable
}

// connectionTable is what differs between the three kinds.
type connectionTable struct {
	table string
	noun  string
	kind  spec.Kind
	// dependents count the rows that keep a connection from being deleted.
	dependents []dependent
}

// dependent is one kind of row that refers to another; query counts them
// for the id given as its only argument.
type dependent struct {
	noun  string
	query string
}

// Sources returns the repository of database connections.
func (s *Store) Sources() *Connections {
	return &Connections{s: s, t: connectionTable{
		table: "sources", noun: "source", kind: spec.KindDatabase,
		dependents: []dependent{{"job", "SELECT count(*) FROM jobs WHERE source_id = ?"}},
	}}
}

// Destinations returns the repository of storage connections.
func (s *Store) Destinations() *Connections {
	return &Connections{s: s, t: connectionTable{
		table: "destinations", noun: "destination", kind: spec.KindStorage,
		dependents: []dependent{
			{"job", "SELECT count(*) FROM job_destinations WHERE destination_id = ?"},
			{"backup set", "SELECT count(*) FROM backup_sets WHERE destination_id = ?"},
		},
	}}
}

// NotificationChannels returns the repository of notification channels.
func (s *Store) NotificationChannels() *Connections {
	return &Connections{s: s, t: connectionTable{
		table: "notification_channels", noun: "notification channel", kind: spec.KindNotification,
		dependents: []dependent{{"job", "SELECT count(*) FROM job_notifications WHERE channel_id = ?"}},
	}}
}

// Connection is a stored connection with its configuration opened: Config is
// what a plugin call needs and must not leave the core; Masked is what the
// API shows.
type Connection struct {
	ID       int64
	Name     string
	PluginID string
	// Config is every field, secrets in clear.
	Config spec.Config
	// SecretFields names the fields stored sealed, sorted.
	SecretFields []string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Masked returns Config with every sealed field replaced by spec.Mask.
func (c Connection) Masked() spec.Config {
	out := make(spec.Config, len(c.Config))
	for k, v := range c.Config {
		if slices.Contains(c.SecretFields, k) {
			v = spec.Mask
		}
		out[k] = v
	}
	return out
}

// ConnectionInput is what Create and Update take. Schema is the plugin's
// configuration schema: it decides which fields are sealed.
type ConnectionInput struct {
	Name     string
	PluginID string
	Schema   spec.Schema
	Config   spec.Config
	// ClearSecrets names stored secret fields Update removes. Without it a
	// secret left empty or masked keeps its stored value, so an explicit
	// list is the only way to unset one.
	ClearSecrets []string
}

type connectionRow struct {
	ID        int64  `db:"id"`
	Name      string `db:"name"`
	PluginID  string `db:"plugin_id"`
	Config    string `db:"config"`
	Secrets   []byte `db:"secrets"`
	CreatedAt string `db:"created_at"`
	UpdatedAt string `db:"updated_at"`
}

const connectionColumns = "id, name, plugin_id, config, secrets, created_at, updated_at"

// Create stores a new connection; a taken name is ErrConflict.
func (c *Connections) Create(ctx context.Context, in ConnectionInput) (Connection, error) {
	if err := c.checkPlugin(in.PluginID); err != nil {
		return Connection{}, err
	}
	var id int64
	err := c.s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := formatTime(c.s.now())
		res, err := tx.ExecContext(ctx, "INSERT INTO "+c.t.table+
			" (name, plugin_id, config, created_at, updated_at) VALUES (?, ?, '{}', ?, ?)",
			in.Name, in.PluginID, now, now)
		if err != nil {
			return classify(err, "create %s %q", c.t.noun, in.Name)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		// The row id is part of the sealed value's associated data, so the
		// config is written once the id exists, in the same transaction.
		return c.writeConfig(ctx, tx, id, in.Schema, in.Config, now)
	})
	if err != nil {
		return Connection{}, err
	}
	return c.Get(ctx, id)
}

// Get returns the connection id, configuration opened.
func (c *Connections) Get(ctx context.Context, id int64) (Connection, error) {
	var row connectionRow
	err := c.s.r.GetContext(ctx, &row, "SELECT "+connectionColumns+" FROM "+c.t.table+" WHERE id = ?", id)
	if err != nil {
		return Connection{}, classify(err, "%s %d", c.t.noun, id)
	}
	return c.fromRow(row)
}

// GetByName returns the connection called name (case-insensitive).
func (c *Connections) GetByName(ctx context.Context, name string) (Connection, error) {
	var row connectionRow
	err := c.s.r.GetContext(ctx, &row, "SELECT "+connectionColumns+" FROM "+c.t.table+" WHERE name = ?", name)
	if err != nil {
		return Connection{}, classify(err, "%s %q", c.t.noun, name)
	}
	return c.fromRow(row)
}

// List returns one page of connections ordered by name, and how many there
// are in all.
func (c *Connections) List(ctx context.Context, p Page) ([]Connection, int, error) {
	p = p.normalized()
	var total int
	if err := c.s.r.GetContext(ctx, &total, "SELECT count(*) FROM "+c.t.table); err != nil {
		return nil, 0, fmt.Errorf("list %ss: %w", c.t.noun, err)
	}
	var rows []connectionRow
	err := c.s.r.SelectContext(ctx, &rows, "SELECT "+connectionColumns+" FROM "+c.t.table+
		" ORDER BY name, id LIMIT ? OFFSET ?", p.Limit, p.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list %ss: %w", c.t.noun, err)
	}
	out := make([]Connection, 0, len(rows))
	for _, r := range rows {
		conn, err := c.fromRow(r)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, conn)
	}
	return out, total, nil
}

// Update renames the connection and replaces its configuration. Secret
// fields left empty or masked keep their stored values (seal.Merge), except
// those named in in.ClearSecrets, which are removed. The
// plugin cannot change: in.PluginID must be empty or the stored one.
func (c *Connections) Update(ctx context.Context, id int64, in ConnectionInput) (Connection, error) {
	err := c.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var row connectionRow
		err := tx.GetContext(ctx, &row, "SELECT "+connectionColumns+" FROM "+c.t.table+" WHERE id = ?", id)
		if err != nil {
			return classify(err, "update %s %d", c.t.noun, id)
		}
		if in.PluginID != "" && in.PluginID != row.PluginID {
			return fmt.Errorf("update %s %d: %w: its plugin is %s and cannot change to %s", c.t.noun, id, ErrInvalid, row.PluginID, in.PluginID)
		}
		stored, err := c.fromRow(row)
		if err != nil {
			return err
		}
		now := formatTime(c.s.now())
		if _, err := tx.ExecContext(ctx, "UPDATE "+c.t.table+" SET name = ? WHERE id = ?", in.Name, id); err != nil {
			return classify(err, "rename %s %d to %q", c.t.noun, id, in.Name)
		}
		cfg := seal.Merge(in.Schema, stored.Config, in.Config)
		for _, name := range in.ClearSecrets {
			if f, ok := in.Schema.Field(name); ok && f.IsSecret() {
				delete(cfg, name)
			}
		}
		return c.writeConfig(ctx, tx, id, in.Schema, cfg, now)
	})
	if err != nil {
		return Connection{}, err
	}
	return c.Get(ctx, id)
}

// Delete removes the connection; one still used by a job (or, for a
// destination, holding backup sets) is ErrInUse, saying by what.
func (c *Connections) Delete(ctx context.Context, id int64) error {
	return c.s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := countDependents(ctx, tx, c.t.noun, id, c.t.dependents); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM "+c.t.table+" WHERE id = ?", id)
		if err != nil {
			return classify(err, "delete %s %d", c.t.noun, id)
		}
		return requireOne(res, "delete %s %d", c.t.noun, id)
	})
}

func (c *Connections) checkPlugin(id string) error {
	if !strings.HasPrefix(id, string(c.t.kind)+"-") || len(id) == len(c.t.kind)+1 {
		return fmt.Errorf("%w: a %s needs a %s plugin, got %q", ErrInvalid, c.t.noun, c.t.kind, id)
	}
	return nil
}

// writeConfig stores cfg split by schema: plain fields as JSON, secret
// fields as one sealed JSON object bound to this row.
func (c *Connections) writeConfig(ctx context.Context, tx *sqlx.Tx, id int64, schema spec.Schema, cfg spec.Config, now string) error {
	plain, secret := seal.Split(schema, cfg)
	plainJSON, err := json.Marshal(plain)
	if err != nil {
		return err
	}
	var sealed []byte
	if len(secret) > 0 {
		secretJSON, err := json.Marshal(secret)
		if err != nil {
			return err
		}
		if sealed, err = c.s.sealer.Seal(secretJSON, seal.AD(c.t.table, id, "secrets")); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, "UPDATE "+c.t.table+" SET config = ?, secrets = ?, updated_at = ? WHERE id = ?",
		string(plainJSON), sealed, now, id)
	if err != nil {
		return classify(err, "write %s %d config", c.t.noun, id)
	}
	return nil
}

func (c *Connections) fromRow(r connectionRow) (Connection, error) {
	conn := Connection{ID: r.ID, Name: r.Name, PluginID: r.PluginID, Config: spec.Config{}, SecretFields: []string{}}
	if err := json.Unmarshal([]byte(r.Config), &conn.Config); err != nil {
		return Connection{}, fmt.Errorf("%s %d: stored config: %w", c.t.noun, r.ID, err)
	}
	if r.Secrets != nil {
		pt, err := c.s.sealer.Open(r.Secrets, seal.AD(c.t.table, r.ID, "secrets"))
		if err != nil {
			return Connection{}, fmt.Errorf("%s %d: secrets: %w", c.t.noun, r.ID, err)
		}
		var secret spec.Config
		if err := json.Unmarshal(pt, &secret); err != nil {
			return Connection{}, fmt.Errorf("%s %d: secrets: malformed", c.t.noun, r.ID)
		}
		for k, v := range secret {
			conn.Config[k] = v
			conn.SecretFields = append(conn.SecretFields, k)
		}
		slices.Sort(conn.SecretFields)
	}
	var err error
	if conn.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return Connection{}, err
	}
	if conn.UpdatedAt, err = parseTime(r.UpdatedAt); err != nil {
		return Connection{}, err
	}
	return conn, nil
}

// countDependents returns ErrInUse naming how many rows of each dependent
// kind refer to id. The foreign keys (RESTRICT) stay the last word; this is
// for the message.
func countDependents(ctx context.Context, tx *sqlx.Tx, noun string, id int64, deps []dependent) error {
	var uses []string
	for _, d := range deps {
		var n int
		if err := tx.GetContext(ctx, &n, d.query, id); err != nil {
			return fmt.Errorf("delete %s %d: %w", noun, id, err)
		}
		if n > 0 {
			uses = append(uses, fmt.Sprintf("%d %s", n, plural(n, d.noun)))
		}
	}
	if len(uses) > 0 {
		return fmt.Errorf("delete %s %d: %w by %s", noun, id, ErrInUse, strings.Join(uses, " and "))
	}
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// requireOne turns "no row affected" into ErrNotFound.
func requireOne(res sql.Result, format string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return classify(sql.ErrNoRows, format, args...)
	}
	return nil
}
