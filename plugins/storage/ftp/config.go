package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"path"
	"strconv"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// settings is a configuration read and checked.
type settings struct {
	host     string
	addr     string // host:port
	user     string
	password string
	tlsMode  string      // tlsNone, tlsExplicit or tlsImplicit
	tls      *tls.Config // nil without TLS
	// base is the folder objects live in, cleaned: "" is the login folder,
	// otherwise absolute ("/backups") or relative to it ("backups").
	base string
}

// ValidateConfig checks what the schema cannot: a usable TLS setup, a folder
// that cannot escape upwards.
func (*ftpstore) ValidateConfig(_ context.Context, cfg spec.Config) error {
	_, err := parse(cfg)
	return err
}

// parse reads cfg into settings, or returns a *spec.ValidationError naming
// every bad field.
func parse(cfg spec.Config) (settings, error) {
	var errs spec.ValidationError
	s := settings{user: cfg.String("user"), password: cfg.String("password")}
	s.host = strings.TrimSpace(cfg.String("host"))
	switch {
	case s.host == "":
		errs.Add("host", "is required")
	case strings.ContainsAny(s.host, "/@ ") || strings.Contains(s.host, "://"):
		errs.Add("host", "must be a host name or IP address only; put the user, port and folder in their own fields")
	}
	if s.user == "" {
		errs.Add("user", "is required")
	}
	if strings.ContainsAny(s.user+s.password, "\r\n") {
		errs.Add("user", "the user and password cannot hold line breaks")
	}
	s.tlsMode = cfg.String("tls")
	switch s.tlsMode {
	case "":
		s.tlsMode = tlsExplicit
	case tlsNone, tlsExplicit, tlsImplicit:
	default:
		errs.Add("tls", `must be "explicit", "implicit" or "none"`)
	}
	port, err := cfg.Int("port")
	switch {
	case err != nil:
		errs.Add("port", "must be a whole number")
	case port == 0 && s.tlsMode == tlsImplicit:
		port = 990
	case port == 0:
		port = 21
	case port < 1 || port > 65535:
		errs.Add("port", "must be between 1 and 65535")
	}
	s.addr = net.JoinHostPort(s.host, strconv.FormatInt(port, 10))

	verify := true
	if cfg.String("tls-verify") != "" {
		if verify, err = cfg.Bool("tls-verify"); err != nil {
			errs.Add("tls-verify", "must be true or false")
		}
	}
	var roots *x509.CertPool
	if ca := strings.TrimSpace(cfg.String("ca-certificate")); ca != "" {
		roots = x509.NewCertPool()
		switch {
		case !roots.AppendCertsFromPEM([]byte(ca)):
			errs.Add("ca-certificate", "holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
		case s.tlsMode == tlsNone:
			errs.Add("ca-certificate", "is only used with TLS")
		case !verify:
			errs.Add("ca-certificate", "is only used when the certificate is verified")
		}
	}
	if s.tlsMode != tlsNone {
		s.tls = &tls.Config{
			ServerName:         s.host,
			RootCAs:            roots,
			InsecureSkipVerify: !verify, //nolint:gosec // the user turned verification off, warned by the field's help
			MinVersion:         tls.VersionTLS12,
			// Data connections resume the control connection's session:
			// servers such as vsftpd require it.
			ClientSessionCache: tls.NewLRUClientSessionCache(4),
		}
	}

	if p := strings.TrimSpace(cfg.String("path")); p != "" {
		abs := strings.HasPrefix(p, "/")
		rel := strings.Trim(p, "/")
		switch clean, err := storage.CleanName(rel); {
		case rel == "":
			s.base = "/"
		case err != nil || strings.ContainsAny(rel, "\r\n"):
			errs.Add("path", "must be a folder path without \"..\", backslashes, line breaks or NUL")
		case abs:
			s.base = "/" + clean
		default:
			s.base = clean
		}
	}
	return s, errs.Err()
}

// where names the folder for messages.
func (s settings) where() string {
	if s.base == "" {
		return "the login folder on " + s.addr
	}
	return strconv.Quote(s.base) + " on " + s.addr
}

// dirOf is the folder of a clean object name, "" for the configured folder.
func dirOf(name string) string {
	if d := path.Dir(name); d != "." {
		return d
	}
	return ""
}
