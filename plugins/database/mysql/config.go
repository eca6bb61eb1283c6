package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Configuration fields.
const (
	fieldHost           = "host"
	fieldPort           = "port"
	fieldUser           = "user"
	fieldPassword       = "password"
	fieldSSLMode        = "ssl-mode"
	fieldSSLCA          = "ssl-ca"
	fieldSSLCert        = "ssl-cert"
	fieldSSLKey         = "ssl-key"
	fieldConnectTimeout = "connect-timeout"
	fieldIncludeTables  = "include-tables"
	fieldExcludeTables  = "exclude-tables"
)

// SSL modes, named as MySQL's --ssl-mode names them.
const (
	sslDisabled       = "disabled"
	sslPreferred      = "preferred"
	sslRequired       = "required"
	sslVerifyCA       = "verify-ca"
	sslVerifyIdentity = "verify-identity"
)

func schema() spec.Schema {
	return spec.Schema{Fields: []spec.Field{
		{Name: fieldHost, Label: "Host", Type: spec.String, Required: true, Group: "Connection",
			Help: "Host name or IP address of the MySQL or MariaDB server."},
		{Name: fieldPort, Label: "Port", Type: spec.Int, Default: "3306", Group: "Connection"},
		{Name: fieldUser, Label: "User", Type: spec.String, Required: true, Group: "Connection",
			Help: "Dumping needs SELECT, SHOW VIEW, TRIGGER and EVENT on the databases (and SELECT on mysql.proc for routines on MariaDB before 11.3); restoring needs CREATE and the object privileges, and SET USER (MariaDB) or SET_USER_ID (MySQL) when the dump's objects have another definer."},
		{Name: fieldPassword, Label: "Password", Type: spec.Secret, Group: "Connection",
			Help: "Given to the client tools in a private 0600 option file, never on their command line."},
		{Name: fieldConnectTimeout, Label: "Connect timeout (seconds)", Type: spec.Int, Default: "10", Group: "Connection"},
		{Name: fieldSSLMode, Label: "TLS", Type: spec.Select, Default: sslPreferred, Group: "TLS",
			Options: []spec.Option{
				{Value: sslDisabled, Label: "Disabled"},
				{Value: sslPreferred, Label: "Preferred (encrypt when the server offers it, no verification)"},
				{Value: sslRequired, Label: "Required (encrypt, no verification)"},
				{Value: sslVerifyCA, Label: "Verify CA (certificate signed by the CA)"},
				{Value: sslVerifyIdentity, Label: "Verify identity (CA and host name)"},
			}},
		{Name: fieldSSLCA, Label: "CA certificate (PEM)", Type: spec.File, Group: "TLS",
			Help: "Required for the verify modes unless the system's roots sign the server's certificate."},
		{Name: fieldSSLCert, Label: "Client certificate (PEM)", Type: spec.File, Group: "TLS"},
		{Name: fieldSSLKey, Label: "Client key (PEM)", Type: spec.File, Sensitive: true, Group: "TLS"},
		{Name: fieldIncludeTables, Label: "Only these tables", Type: spec.Multiline, Group: "Tables",
			Help: "One table or view name per line; when set, each database is dumped with only those of them that it has (its routines and events are kept)."},
		{Name: fieldExcludeTables, Label: "Skip these tables", Type: spec.Multiline, Group: "Tables",
			Help: "One table or view name per line, skipped in every database that has it. A view that reads a skipped table cannot be restored: skip it too."},
	}}
}

// conn is a validated configuration.
type conn struct {
	host, user, password string
	port                 int
	timeout              time.Duration
	sslMode              string
	ca, cert, key        string // PEM contents
	include, exclude     []string
}

func (c conn) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

// parseConfig reads cfg, which the SDK has validated against the schema and
// filled with defaults, and checks what the schema cannot express.
func parseConfig(cfg spec.Config) (conn, error) {
	var errs spec.ValidationError
	c := conn{
		host: strings.TrimSpace(cfg.String(fieldHost)), user: cfg.String(fieldUser), password: cfg.String(fieldPassword),
		sslMode: cfg.String(fieldSSLMode), ca: cfg.String(fieldSSLCA), cert: cfg.String(fieldSSLCert), key: cfg.String(fieldSSLKey),
		include: lines(cfg.String(fieldIncludeTables)), exclude: lines(cfg.String(fieldExcludeTables)),
	}
	if c.sslMode == "" {
		c.sslMode = sslPreferred
	}
	port, err := cfg.Int(fieldPort)
	switch {
	case err != nil:
		errs.Fields = append(errs.Fields, spec.FieldErrors(err)...)
	case cfg.String(fieldPort) == "":
		c.port = 3306
	case port < 1 || port > 65535:
		errs.Add(fieldPort, "must be between 1 and 65535")
	default:
		c.port = int(port)
	}
	secs, err := cfg.Int(fieldConnectTimeout)
	switch {
	case err != nil:
		errs.Fields = append(errs.Fields, spec.FieldErrors(err)...)
	case cfg.String(fieldConnectTimeout) == "":
		c.timeout = 10 * time.Second
	case secs < 1 || secs > 3600:
		errs.Add(fieldConnectTimeout, "must be between 1 and 3600 seconds")
	default:
		c.timeout = time.Duration(secs) * time.Second
	}
	if c.host == "" {
		errs.Add(fieldHost, "is required")
	} else if strings.ContainsAny(c.host, " \t\r\n/") || strings.HasPrefix(c.host, "-") {
		errs.Add(fieldHost, "must be a host name or an IP address")
	}
	if c.user == "" {
		errs.Add(fieldUser, "is required")
	}
	// The option file holds one value per line: a line break would let a
	// value smuggle in another option.
	for name, v := range map[string]string{fieldUser: c.user, fieldPassword: c.password} {
		if strings.ContainsAny(v, "\r\n\x00") {
			errs.Add(name, "must not contain line breaks or NUL characters")
		}
	}
	if (c.cert == "") != (c.key == "") {
		errs.Add(fieldSSLKey, "a client certificate and its key go together")
	}
	if c.sslMode == sslDisabled && (c.ca != "" || c.cert != "") {
		errs.Add(fieldSSLMode, "is disabled but TLS files are set")
	}
	for _, f := range []struct {
		field string
		names []string
	}{{fieldIncludeTables, c.include}, {fieldExcludeTables, c.exclude}} {
		for _, name := range f.names {
			if err := checkName("table", name); err != nil {
				errs.Add(f.field, err.Error())
			}
		}
	}
	return c, errs.Err()
}

// lines splits a multiline field into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// withPrivileged returns cfg with the credential fields of priv put in place:
// RestoreRequest.Privileged replaces who connects, not where to.
func withPrivileged(cfg, priv spec.Config) spec.Config {
	if len(priv) == 0 {
		return cfg
	}
	out := make(spec.Config, len(cfg))
	for k, v := range cfg {
		out[k] = v
	}
	for _, k := range []string{fieldUser, fieldPassword, fieldSSLCert, fieldSSLKey} {
		if v, ok := priv[k]; ok {
			out[k] = v
		}
	}
	return out
}

// engine implements database.Database and database.Restorer for MySQL and
// MariaDB. It holds no state: configuration travels with every call.
type engine struct{}

// ValidateConfig reports what the schema alone cannot check.
func (e *engine) ValidateConfig(_ context.Context, cfg spec.Config) error {
	_, err := parseConfig(schema().WithDefaults(cfg))
	return err
}

// checkName refuses names MySQL itself refuses, so that the user gets the
// reason before a tool does. Everything else, shell metacharacters and a
// leading "-" included, is passed to the tools as one argument and quoted
// as an identifier in SQL, so it needs no rejection.
func checkName(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty %s name: %w", kind, spec.ErrInvalidArgument)
	case len([]rune(name)) > 64:
		return fmt.Errorf("%s name %q is longer than 64 characters: %w", kind, name, spec.ErrInvalidArgument)
	case strings.ContainsAny(name, "\x00\r\n"):
		return fmt.Errorf("%s name %q contains NUL or a line break: %w", kind, name, spec.ErrInvalidArgument)
	case strings.HasSuffix(name, " "):
		return fmt.Errorf("%s name %q ends with a space: %w", kind, name, spec.ErrInvalidArgument)
	}
	return nil
}

// quoteIdent quotes name as a MySQL identifier.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
