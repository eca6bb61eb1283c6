package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/url"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// settings is a configuration read and checked.
type settings struct {
	// root is the folder's URL, its path unescaped (the client escapes each
	// element), ending in "/".
	root     string
	shown    string // the folder's URL for messages, without credentials
	user     string
	password string
	tls      *tls.Config
}

// ValidateConfig checks what the schema cannot: a usable URL and TLS setup,
// a folder that cannot escape upwards.
func (*davstore) ValidateConfig(_ context.Context, cfg spec.Config) error {
	_, err := parse(cfg)
	return err
}

// parse reads cfg into settings, or returns a *spec.ValidationError naming
// every bad field.
func parse(cfg spec.Config) (settings, error) {
	var errs spec.ValidationError
	s := settings{user: cfg.String("user"), password: cfg.String("password")}
	raw := strings.TrimSpace(cfg.String("url"))
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		errs.Add("url", "is required")
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		errs.Add("url", "must be an http:// or https:// address, such as https://cloud.example.com/remote.php/dav/files/me")
	case u.User != nil:
		errs.Add("url", "must not hold the user or password: use their own fields")
	case u.RawQuery != "" || u.Fragment != "":
		errs.Add("url", "must not have a query (?...) or fragment (#...)")
	}
	if s.password != "" && s.user == "" {
		errs.Add("user", "is required with a password")
	}
	verify := true
	if cfg.String("tls-verify") != "" {
		if verify, err = cfg.Bool("tls-verify"); err != nil {
			errs.Add("tls-verify", "must be true or false")
		}
	}
	s.tls = &tls.Config{InsecureSkipVerify: !verify, MinVersion: tls.VersionTLS12} //nolint:gosec // the user turned verification off, warned by the field's help
	if ca := strings.TrimSpace(cfg.String("ca-certificate")); ca != "" {
		s.tls.RootCAs = x509.NewCertPool()
		switch {
		case !s.tls.RootCAs.AppendCertsFromPEM([]byte(ca)):
			errs.Add("ca-certificate", "holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
		case u != nil && u.Scheme == "http":
			errs.Add("ca-certificate", "is only used with an https:// URL")
		case !verify:
			errs.Add("ca-certificate", "is only used when the certificate is verified")
		}
	}
	folder := ""
	if p := strings.Trim(strings.TrimSpace(cfg.String("path")), "/"); p != "" {
		clean, err := storage.CleanName(p)
		if err != nil {
			errs.Add("path", "must be a folder path without \"..\", backslashes or NUL")
		}
		folder = clean
	}
	if err := errs.Err(); err != nil {
		return s, err
	}
	base := strings.TrimSuffix(u.Path, "/")
	if folder != "" {
		base += "/" + folder
	}
	s.root = u.Scheme + "://" + u.Host + base + "/"
	s.shown = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: base + "/"}).String()
	return s, nil
}
