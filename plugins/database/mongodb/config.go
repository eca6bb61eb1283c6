package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Configuration fields.
const (
	fieldURI            = "uri"
	fieldHost           = "host"
	fieldPort           = "port"
	fieldUser           = "user"
	fieldPassword       = "password"
	fieldAuthSource     = "auth-source"
	fieldReplicaSet     = "replica-set"
	fieldTLS            = "tls"
	fieldTLSCA          = "tls-ca"
	fieldTLSInsecure    = "tls-insecure"
	fieldConnectTimeout = "connect-timeout"
	fieldDumpTool       = "dump-tool"
)

// Dump tools: the plugin's own dump over the driver, or MongoDB's tools.
const (
	toolNative    = "native"
	toolMongodump = "mongodump"
)

func schema() spec.Schema {
	return spec.Schema{Fields: []spec.Field{
		{Name: fieldURI, Label: "Connection string", Type: spec.String, Sensitive: true, Group: "Connection",
			Help: "A mongodb:// or mongodb+srv:// URI. When set, leave host, user, auth source and replica set empty: the URI says them. The password field may still supply the URI user's password."},
		{Name: fieldHost, Label: "Host", Type: spec.String, Group: "Connection",
			Help: "Host name or IP address; several members of a replica set as host1,host2:27018. Required unless a connection string is set."},
		{Name: fieldPort, Label: "Port", Type: spec.Int, Default: "27017", Group: "Connection",
			Help: "Port of every host that names none (not used with a connection string)."},
		{Name: fieldUser, Label: "User", Type: spec.String, Group: "Connection",
			Help: "Dumping needs the backup role (or read on the databases plus listDatabases); restoring needs readWrite and dbAdmin on the target, or the restore role."},
		{Name: fieldPassword, Label: "Password", Type: spec.Secret, Group: "Connection"},
		{Name: fieldAuthSource, Label: "Authentication database", Type: spec.String, Group: "Connection",
			Help: "Where the user is defined; empty means admin."},
		{Name: fieldReplicaSet, Label: "Replica set", Type: spec.String, Group: "Connection",
			Help: "Name of the replica set, to connect to it as a whole rather than to one member."},
		{Name: fieldConnectTimeout, Label: "Connect timeout (seconds)", Type: spec.Int, Default: "10", Group: "Connection"},
		{Name: fieldTLS, Label: "TLS", Type: spec.Bool, Default: "false", Group: "TLS",
			Help: "Encrypt the connection and verify the server's certificate."},
		{Name: fieldTLSCA, Label: "CA certificate (PEM)", Type: spec.File, Group: "TLS",
			Help: "The authority that signed the server's certificate, when the system's roots do not."},
		{Name: fieldTLSInsecure, Label: "Skip certificate verification", Type: spec.Bool, Default: "false", Group: "TLS",
			Help: "Encrypt without checking the server's certificate or name. Anyone on the path can then read the dump: use only for testing."},
		{Name: fieldDumpTool, Label: "Dump with", Type: spec.Select, Default: toolNative, Group: "Dump",
			Options: []spec.Option{
				{Value: toolNative, Label: "The plugin's native dump (BSON stream over the driver)"},
				{Value: toolMongodump, Label: "mongodump / mongorestore (archive format; the tools must be installed beside the plugin)"},
			}},
	}}
}

// settings is a validated configuration.
type settings struct {
	uri                        string
	hosts                      []string // host:port, when no URI
	user, password, authSource string
	replicaSet                 string
	tls, tlsInsecure           bool
	ca                         string
	timeout                    time.Duration
	tool                       string
}

// ValidateConfig checks what the schema cannot. It never touches the network.
func (e *engine) ValidateConfig(_ context.Context, cfg spec.Config) error {
	_, err := parseConfig(cfg)
	return err
}

// parseConfig reads cfg (checked against the schema, defaults filled in) and
// reports every field that cannot work, naming it. Messages never repeat a
// password or a URI, which may hold one.
func parseConfig(cfg spec.Config) (settings, error) {
	var errs spec.ValidationError
	s := settings{
		uri: strings.TrimSpace(cfg.String(fieldURI)), user: cfg.String(fieldUser), password: cfg.String(fieldPassword),
		authSource: cfg.String(fieldAuthSource), replicaSet: cfg.String(fieldReplicaSet),
		ca: cfg.String(fieldTLSCA), tool: cfg.String(fieldDumpTool),
	}
	if s.tool == "" {
		s.tool = toolNative
	}
	var err error
	if s.tls, err = cfg.Bool(fieldTLS); err != nil {
		errs.Add(fieldTLS, "must be true or false")
	}
	if s.tlsInsecure, err = cfg.Bool(fieldTLSInsecure); err != nil {
		errs.Add(fieldTLSInsecure, "must be true or false")
	}
	// Empty fields mean their defaults, also for callers that did not fill
	// them in (the SDK does).
	port, err := cfg.Int(fieldPort)
	if cfg.String(fieldPort) == "" {
		port, err = 27017, nil
	}
	if err != nil || port < 1 || port > 65535 {
		errs.Add(fieldPort, "must be between 1 and 65535")
	}
	timeout, err := cfg.Int(fieldConnectTimeout)
	if cfg.String(fieldConnectTimeout) == "" {
		timeout, err = 10, nil
	}
	switch {
	case err != nil:
		errs.Add(fieldConnectTimeout, "must be a whole number of seconds")
	case timeout < 1 || timeout > 600:
		errs.Add(fieldConnectTimeout, "must be between 1 and 600 seconds")
	}
	s.timeout = time.Duration(timeout) * time.Second

	host := strings.TrimSpace(cfg.String(fieldHost))
	uriTLS := false
	switch {
	case s.uri == "" && host == "":
		errs.Add(fieldHost, "is required unless a connection string (uri) is set")
		errs.Add(fieldURI, "is required unless a host is set")
	case s.uri != "":
		for _, f := range []string{fieldHost, fieldUser, fieldAuthSource, fieldReplicaSet} {
			if cfg.String(f) != "" {
				errs.Add(f, "must be empty when a connection string (uri) is set: the URI says it")
			}
		}
		cs, err := connstring.ParseAndValidate(s.uri)
		if err != nil {
			errs.Add(fieldURI, "is not a valid MongoDB connection string: "+scrub(err.Error(), s.uri))
			break
		}
		uriTLS = cs.SSL
		if s.password != "" {
			if cs.Username == "" {
				errs.Add(fieldPassword, "is set but the connection string names no user")
			} else if cs.PasswordSet {
				errs.Add(fieldPassword, "is set but the connection string has a password too: keep one")
			}
		}
	default:
		for _, h := range strings.Split(host, ",") {
			h = strings.TrimSpace(h)
			name, p, err := net.SplitHostPort(h)
			if err != nil {
				name, p = h, strconv.FormatInt(port, 10)
			}
			if name == "" || strings.ContainsAny(name, "/?@#, \t\r\n\x00") {
				errs.Add(fieldHost, fmt.Sprintf("%q is not a host name or address", h))
				continue
			}
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				errs.Add(fieldHost, fmt.Sprintf("%q has a port that is not between 1 and 65535", h))
				continue
			}
			s.hosts = append(s.hosts, net.JoinHostPort(name, p))
		}
		if s.password != "" && s.user == "" {
			errs.Add(fieldUser, "is required with a password")
		}
	}
	for _, f := range []string{fieldUser, fieldAuthSource, fieldReplicaSet} {
		if strings.ContainsAny(cfg.String(f), "\x00\r\n") {
			errs.Add(f, "must be one line")
		}
	}
	if strings.ContainsAny(s.replicaSet, " /\\$.\"") {
		errs.Add(fieldReplicaSet, "is not a replica set name")
	}
	if strings.ContainsAny(s.authSource, " /\\$.\"") {
		errs.Add(fieldAuthSource, "is not a database name")
	}
	if !s.tls && !uriTLS {
		if s.tlsInsecure {
			errs.Add(fieldTLSInsecure, "only applies with TLS: switch tls on")
		}
		if s.ca != "" {
			errs.Add(fieldTLSCA, "only applies with TLS: switch tls on")
		}
	}
	if s.ca != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(s.ca)) {
		errs.Add(fieldTLSCA, "holds no PEM certificate")
	}
	if s.tool != toolNative && s.tool != toolMongodump {
		errs.Add(fieldDumpTool, fmt.Sprintf("must be %q or %q", toolNative, toolMongodump))
	}
	if err := errs.Err(); err != nil {
		return settings{}, err
	}
	return s, nil
}

// scrub removes the URI's password from a driver message, in case it quotes it.
func scrub(msg, uri string) string {
	if u, err := url.Parse(uri); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, spec.Mask)
		}
	}
	return strings.ReplaceAll(msg, uri, "the URI")
}

// clientOptions are the driver's options for s: the URI's, with the fields
// laid over them.
func (s settings) clientOptions() (*options.ClientOptions, error) {
	opts := options.Client().SetAppName("dbkeep").
		SetServerSelectionTimeout(s.timeout).SetConnectTimeout(s.timeout)
	if s.uri != "" {
		opts.ApplyURI(s.uri)
		if s.password != "" && opts.Auth != nil {
			opts.Auth.Password, opts.Auth.PasswordSet = s.password, true
		}
	} else {
		opts.SetHosts(s.hosts)
		if s.user != "" {
			opts.SetAuth(options.Credential{Username: s.user, Password: s.password, PasswordSet: s.password != "", AuthSource: s.authSource})
		}
		if s.replicaSet != "" {
			opts.SetReplicaSet(s.replicaSet)
		}
	}
	if s.tls || s.tlsInsecure || s.ca != "" {
		tc := opts.TLSConfig
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if s.ca != "" {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM([]byte(s.ca))
			tc.RootCAs = pool
		}
		tc.InsecureSkipVerify = s.tlsInsecure
		opts.SetTLSConfig(tc)
	}
	if err := opts.Validate(); err != nil {
		return nil, &spec.ValidationError{Fields: []spec.FieldError{{Field: fieldURI, Message: scrub(err.Error(), s.uri)}}}
	}
	return opts, nil
}
