package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// session is one call's way to the server: the connection settings and the
// private files the PostgreSQL tools read them from. The files live in a 0700
// directory of their own, are 0600, and are removed by Close.
type session struct {
	host, user, password, maintenance, sslmode string
	port, timeout                              int64

	dir      string
	passfile string
	// paths of the TLS files, "" when not configured
	rootCert, cert, key string
}

// privilegedFields are the fields RestoreRequest.Privileged may override.
var privilegedFields = []string{fieldUser, fieldPassword, fieldSSLCert, fieldSSLKey}

// withPrivileged returns cfg with the credential fields of priv in place of
// its own. A privileged user without a password does not inherit the
// configured one, which belongs to another role.
func withPrivileged(cfg, priv spec.Config) spec.Config {
	if len(priv) == 0 {
		return cfg
	}
	out := make(spec.Config, len(cfg))
	for k, v := range cfg {
		out[k] = v
	}
	if priv[fieldUser] != "" {
		out[fieldPassword] = ""
	}
	for _, f := range privilegedFields {
		if v, ok := priv[f]; ok && v != "" {
			out[f] = v
		}
	}
	return out
}

// newSession writes the password file and TLS files of cfg. The caller must
// call Close.
func newSession(cfg spec.Config) (_ *session, err error) {
	port, err := cfg.Int(fieldPort)
	if err != nil {
		return nil, err
	}
	timeout, err := cfg.Int(fieldConnectTimeout)
	if err != nil {
		return nil, err
	}
	s := &session{
		host: cfg.String(fieldHost), port: port, user: cfg.String(fieldUser),
		password: cfg.String(fieldPassword), maintenance: cfg.String(fieldDatabase),
		sslmode: cfg.String(fieldSSLMode), timeout: timeout,
	}
	if s.maintenance == "" {
		s.maintenance = "postgres"
	}
	if s.sslmode == "" {
		s.sslmode = "prefer"
	}
	s.dir, err = os.MkdirTemp("", "dbkeep-postgres-*")
	if err != nil {
		return nil, fmt.Errorf("private directory for the PostgreSQL tools: %w", err)
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	// The file always exists, so that libpq never falls back to ~/.pgpass of
	// whoever runs the plugin.
	s.passfile, err = s.write("pgpass", passfileLine(s.password))
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		field string
		path  *string
	}{{fieldSSLRootCert, &s.rootCert}, {fieldSSLCert, &s.cert}, {fieldSSLKey, &s.key}} {
		if v := cfg.String(f.field); v != "" {
			if *f.path, err = s.write(f.field, v); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *session) write(name, content string) (string, error) {
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return "", fmt.Errorf("write %s for the PostgreSQL tools: %w", name, err)
	}
	return path, nil
}

// Close removes the session's private files.
func (s *session) Close() {
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// passfileLine is a libpq password file entry matching every host, port,
// database and user: the file serves this one call only.
func passfileLine(password string) string {
	if password == "" {
		return ""
	}
	r := strings.NewReplacer(`\`, `\\`, `:`, `\:`)
	return "*:*:*:*:" + r.Replace(password) + "\n"
}

// conninfo is a libpq keyword/value connection string for dbname, without the
// password. Every value is quoted, so a database name such as
// `-x; $(rm -rf /) "y"` or `a=b` reaches the server as that name and nothing
// else: passed as one --dbname=… argument, it is never a shell word, never an
// option, and never reparsed as a connection string.
func (s *session) conninfo(dbname string) string {
	kv := [][2]string{
		{"host", s.host}, {"port", strconv.FormatInt(s.port, 10)}, {"user", s.user},
		{"dbname", dbname}, {"sslmode", s.sslmode}, {"application_name", "dbkeep"},
	}
	if s.timeout > 0 {
		kv = append(kv, [2]string{"connect_timeout", strconv.FormatInt(s.timeout, 10)})
	}
	for _, f := range [][2]string{{"sslrootcert", s.rootCert}, {"sslcert", s.cert}, {"sslkey", s.key}} {
		if f[1] != "" {
			kv = append(kv, f)
		}
	}
	parts := make([]string, len(kv))
	q := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	for i, p := range kv {
		parts[i] = p[0] + "='" + q.Replace(p[1]) + "'"
	}
	return strings.Join(parts, " ")
}

// connect opens a pgx connection to dbname, classifying failures.
func (s *session) connect(ctx context.Context, dbname string) (*pgx.Conn, error) {
	cc, err := pgx.ParseConfig(s.conninfo(dbname))
	if err != nil {
		return nil, fmt.Errorf("connection settings: %w", err)
	}
	// Set after parsing: pgx would otherwise fill an empty password from
	// PGPASSWORD or ~/.pgpass of the plugin's environment.
	cc.Password = s.password
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, classify(ctx, fmt.Sprintf("connect to %s as %q, database %q", s.address(), s.user, dbname), err)
	}
	return conn, nil
}

func (s *session) address() string {
	if strings.HasPrefix(s.host, "/") {
		return fmt.Sprintf("socket %s (port %d)", s.host, s.port)
	}
	return fmt.Sprintf("%s:%d", s.host, s.port)
}

// env is the environment of a tool: the plugin's own minus every PG*
// variable, which would otherwise change what the tool connects to or how,
// plus the password file.
func (s *session) env() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			out = append(out, kv)
		}
	}
	return append(out, "PGPASSFILE="+s.passfile)
}
