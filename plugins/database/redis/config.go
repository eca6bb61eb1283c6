package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Configuration field names.
const (
	fieldHost           = "host"
	fieldPort           = "port"
	fieldUsername       = "username"
	fieldPassword       = "password"
	fieldConnectTimeout = "connect-timeout"
	fieldTLS            = "tls"
	fieldTLSCA          = "tls-ca"
	fieldTLSServerName  = "tls-server-name"
	fieldTLSInsecure    = "tls-insecure"
)

// instanceName is the one database the plugin lists: an RDB snapshot always
// holds the whole instance.
const instanceName = "instance"

const (
	defaultPort           = 6379
	defaultConnectTimeout = 10 * time.Second
)

func schema() spec.Schema {
	return spec.Schema{Fields: []spec.Field{
		{Name: fieldHost, Label: "Host", Type: spec.String, Required: true, Group: "Connection",
			Help: "Host name or IP address of a standalone Redis or Valkey server (a primary or a replica)."},
		{Name: fieldPort, Label: "Port", Type: spec.Int, Default: strconv.Itoa(defaultPort), Group: "Connection"},
		{Name: fieldUsername, Label: "User (ACL)", Type: spec.String, Group: "Connection",
			Help: "ACL user; empty means the default user. Backups need the commands SYNC (or PSYNC) and REPLCONF and INFO; " +
				"restores need DUMP's counterpart RESTORE, SCAN, DBSIZE, SELECT and, with flush, FLUSHALL/FLUSHDB."},
		{Name: fieldPassword, Label: "Password", Type: spec.Secret, Group: "Connection",
			Help: "Handed to redis-cli through its REDISCLI_AUTH environment variable, never its command line."},
		{Name: fieldConnectTimeout, Label: "Connect timeout (seconds)", Type: spec.Int, Default: "10", Group: "Connection"},
		{Name: fieldTLS, Label: "TLS", Type: spec.Bool, Default: "false", Group: "TLS",
			Help: "Connect with TLS (the server's tls-port)."},
		{Name: fieldTLSCA, Label: "CA certificate", Type: spec.File, Group: "TLS",
			Help: "PEM certificate(s) of the authority that signed the server's certificate; empty means the system's."},
		{Name: fieldTLSServerName, Label: "Server name", Type: spec.String, Group: "TLS",
			Help: "Name expected in the server's certificate; empty means the host."},
		{Name: fieldTLSInsecure, Label: "Skip certificate verification", Type: spec.Bool, Default: "false", Group: "TLS",
			Help: "Accept any server certificate. Encrypts but does not authenticate the server: for tests only."},
	}}
}

// engine implements database.Database, database.Restorer and
// spec.ConfigValidator for Redis and Valkey. It holds no state: configuration
// travels with every call.
type engine struct{}

// ValidateConfig checks what the schema cannot.
func (e *engine) ValidateConfig(_ context.Context, cfg spec.Config) error {
	_, err := parseConfig(cfg)
	return err
}

// conn is a validated configuration.
type conn struct {
	host, port     string
	username       string
	password       string
	connectTimeout time.Duration
	tls            bool
	tlsCA          string
	tlsServerName  string
	tlsInsecure    bool
}

func (c conn) addr() string { return net.JoinHostPort(c.host, c.port) }

// parseConfig validates cfg, naming every bad field at once.
func parseConfig(cfg spec.Config) (conn, error) {
	var errs spec.ValidationError
	c := conn{
		host:          strings.TrimSpace(cfg.String(fieldHost)),
		port:          strconv.Itoa(defaultPort),
		username:      cfg.String(fieldUsername),
		password:      cfg.String(fieldPassword),
		tlsCA:         cfg.String(fieldTLSCA),
		tlsServerName: cfg.String(fieldTLSServerName),
	}
	switch {
	case c.host == "":
		errs.Add(fieldHost, "is required")
	case strings.HasPrefix(c.host, "-"):
		// redis-cli would read it as an option.
		errs.Add(fieldHost, "must not start with '-'")
	case strings.ContainsAny(c.host, " \t\r\n\x00/"):
		errs.Add(fieldHost, "must be a host name or IP address")
	}
	if port, err := cfg.Int(fieldPort); err != nil {
		errs.Add(fieldPort, "must be a whole number")
	} else if port != 0 {
		if port < 1 || port > 65535 {
			errs.Add(fieldPort, "must be between 1 and 65535")
		}
		c.port = strconv.FormatInt(port, 10)
	}
	c.connectTimeout = defaultConnectTimeout
	if t, err := cfg.Int(fieldConnectTimeout); err != nil {
		errs.Add(fieldConnectTimeout, "must be a whole number of seconds")
	} else if t < 0 {
		errs.Add(fieldConnectTimeout, "must not be negative")
	} else if t > 0 {
		c.connectTimeout = time.Duration(t) * time.Second
	}
	if strings.ContainsAny(c.username, " \t\r\n\x00") || strings.HasPrefix(c.username, "-") {
		errs.Add(fieldUsername, "must be one word not starting with '-'")
	}
	if strings.ContainsAny(c.password, "\x00") {
		errs.Add(fieldPassword, "must not contain NUL characters")
	}
	var err error
	if c.tls, err = cfg.Bool(fieldTLS); err != nil {
		errs.Add(fieldTLS, "must be true or false")
	}
	if c.tlsInsecure, err = cfg.Bool(fieldTLSInsecure); err != nil {
		errs.Add(fieldTLSInsecure, "must be true or false")
	}
	if c.tlsCA != "" {
		if !x509.NewCertPool().AppendCertsFromPEM([]byte(c.tlsCA)) {
			errs.Add(fieldTLSCA, "holds no PEM certificate")
		}
	}
	if (c.tlsCA != "" || c.tlsServerName != "" || c.tlsInsecure) && !c.tls {
		errs.Add(fieldTLS, "must be on when TLS options are set")
	}
	if strings.HasPrefix(c.tlsServerName, "-") || strings.ContainsAny(c.tlsServerName, " \t\r\n\x00") {
		errs.Add(fieldTLSServerName, "must be a host name")
	}
	return c, errs.Err()
}

// tlsConfig is the client TLS configuration, nil without TLS.
func (c conn) tlsConfig() *tls.Config {
	if !c.tls {
		return nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.host, InsecureSkipVerify: c.tlsInsecure}
	if c.tlsServerName != "" {
		cfg.ServerName = c.tlsServerName
	}
	if c.tlsCA != "" {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM([]byte(c.tlsCA))
		cfg.RootCAs = pool
	}
	return cfg
}

// errConfig wraps a configuration problem found after validation.
func errConfig(field, msg string) error {
	return fmt.Errorf("%s: %s: %w", field, msg, spec.ErrInvalidArgument)
}
