package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Configuration field names.
const (
	fieldHost           = "host"
	fieldPort           = "port"
	fieldUser           = "user"
	fieldPassword       = "password"
	fieldDatabase       = "database"
	fieldSSLMode        = "sslmode"
	fieldSSLRootCert    = "ssl-root-cert"
	fieldSSLCert        = "ssl-cert"
	fieldSSLKey         = "ssl-key"
	fieldConnectTimeout = "connect-timeout"
	fieldDumpOptions    = "pg-dump-options"
	fieldIncludeTables  = "include-tables"
	fieldExcludeTables  = "exclude-tables"
	fieldIncludeGlobals = "include-globals"
)

// sslModes are libpq's, in order of increasing strictness.
var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

func schema() spec.Schema {
	modes := make([]spec.Option, len(sslModes))
	for i, m := range sslModes {
		modes[i] = spec.Option{Value: m, Label: m}
	}
	return spec.Schema{Fields: []spec.Field{
		{Name: fieldHost, Label: "Host", Type: spec.String, Required: true, Group: "Connection",
			Help: "Host name or IP address of the server, or the directory of its Unix socket."},
		{Name: fieldPort, Label: "Port", Type: spec.Int, Default: "5432", Group: "Connection"},
		{Name: fieldUser, Label: "User", Type: spec.String, Required: true, Group: "Connection",
			Help: "A role that can read every object of the databases to back up (a superuser, or the owner). Restores need CREATEDB or ownership of the target."},
		{Name: fieldPassword, Label: "Password", Type: spec.Secret, Group: "Connection",
			Help: "Handed to the PostgreSQL tools through a private 0600 password file, never on their command line."},
		{Name: fieldDatabase, Label: "Maintenance database", Type: spec.String, Default: "postgres", Group: "Connection",
			Help: "The database connected to for listing databases and creating restore targets."},
		{Name: fieldConnectTimeout, Label: "Connect timeout (seconds)", Type: spec.Int, Default: "10", Group: "Connection"},
		{Name: fieldSSLMode, Label: "SSL mode", Type: spec.Select, Default: "prefer", Options: modes, Group: "TLS"},
		{Name: fieldSSLRootCert, Label: "CA certificate", Type: spec.File, Group: "TLS",
			Help: "PEM certificate(s) of the authority that signed the server's certificate (verify-ca, verify-full)."},
		{Name: fieldSSLCert, Label: "Client certificate", Type: spec.File, Group: "TLS"},
		{Name: fieldSSLKey, Label: "Client key", Type: spec.File, Sensitive: true, Group: "TLS"},
		{Name: fieldIncludeTables, Label: "Only these tables", Type: spec.Multiline, Group: "Dump",
			Help: "One pg_dump table pattern per line (public.orders, sales.*); empty means every table."},
		{Name: fieldExcludeTables, Label: "Exclude tables", Type: spec.Multiline, Group: "Dump",
			Help: "One pg_dump table pattern per line; the tables are left out entirely."},
		{Name: fieldDumpOptions, Label: "Extra pg_dump options", Type: spec.String, Group: "Dump",
			Help: "Space-separated options from an allow-list, in --name or --name=value form: " + strings.Join(allowedOptionNames(), " ")},
		{Name: fieldIncludeGlobals, Label: "Back up roles and tablespaces", Type: spec.Bool, Default: "false", Group: "Dump",
			Help: "Lists the server's globals (pg_dumpall --globals-only) as one more entry, \"" + globalsName + "\", which backups may select. They are restored only when that entry is restored with the option " + optRestoreGlobals + "=true."},
	}}
}

// engine implements database.Database, database.Restorer and
// spec.ConfigValidator for PostgreSQL. It holds no state: configuration
// travels with every call.
type engine struct{}

// ValidateConfig checks what the schema cannot: ranges, values the tools would
// misread, and the extra pg_dump options against the allow-list.
func (e *engine) ValidateConfig(_ context.Context, cfg spec.Config) error {
	var errs spec.ValidationError
	if port, err := cfg.Int(fieldPort); err == nil && (port < 1 || port > 65535) {
		errs.Add(fieldPort, "must be between 1 and 65535")
	}
	if t, err := cfg.Int(fieldConnectTimeout); err == nil && t < 0 {
		errs.Add(fieldConnectTimeout, "must not be negative")
	}
	for _, f := range []string{fieldHost, fieldUser, fieldDatabase} {
		if strings.ContainsAny(cfg.String(f), "\x00\n\r") {
			errs.Add(f, "must be one line")
		}
	}
	// A libpq password file holds one entry per line and NUL ends a C string.
	if strings.ContainsAny(cfg.String(fieldPassword), "\x00\n\r") {
		errs.Add(fieldPassword, "must not contain line breaks or NUL characters")
	}
	if cfg.String(fieldSSLKey) != "" && cfg.String(fieldSSLCert) == "" {
		errs.Add(fieldSSLCert, "is required with a client key")
	}
	for _, f := range []string{fieldIncludeTables, fieldExcludeTables} {
		if _, err := patterns(cfg.String(f)); err != nil {
			errs.Add(f, err.Error())
		}
	}
	if _, err := parseDumpOptions(cfg.String(fieldDumpOptions)); err != nil {
		errs.Add(fieldDumpOptions, err.Error())
	}
	return errs.Err()
}

// patterns splits a multiline field into its non-empty, trimmed lines.
func patterns(v string) ([]string, error) {
	var out []string
	for _, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.ContainsRune(line, 0) {
			return nil, fmt.Errorf("pattern %q contains a NUL character", line)
		}
		out = append(out, line)
	}
	return out, nil
}
