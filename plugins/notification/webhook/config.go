package main

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// settings is a configuration, parsed. Send and ValidateConfig read it through
// the same parse, so what validation accepts is exactly what Send uses.
type settings struct {
	url     *url.URL
	secret  []byte
	headers http.Header
	timeout time.Duration
	// roots is nil for the system's roots.
	roots *x509.CertPool
}

// parseSettings returns the settings of cfg, or a *spec.ValidationError
// naming every bad field. It never touches the network.
func parseSettings(cfg spec.Config) (settings, error) {
	var s settings
	var errs spec.ValidationError

	u, msg := parseURL(cfg.String(fieldURL))
	if msg != "" {
		errs.Add(fieldURL, msg)
	}
	s.url = u

	s.secret = []byte(cfg.String(fieldSecret))

	h, problems := parseHeaders(cfg.String(fieldHeaders))
	for _, p := range problems {
		errs.Add(fieldHeaders, p)
	}
	s.headers = h

	n, err := cfg.Int(fieldTimeout)
	switch {
	case err != nil:
		errs.Add(fieldTimeout, "must be a whole number of seconds")
	case cfg.String(fieldTimeout) == "":
		s.timeout = defaultTimeout * time.Second
	case n < 1 || n > maxTimeout:
		errs.Add(fieldTimeout, "must be between 1 and 300 seconds")
	default:
		s.timeout = time.Duration(n) * time.Second
	}

	if pem := cfg.String(fieldCACert); pem != "" {
		s.roots = x509.NewCertPool()
		if !s.roots.AppendCertsFromPEM([]byte(pem)) {
			errs.Add(fieldCACert, "holds no PEM certificate")
		} else if u != nil && u.Scheme != "https" {
			errs.Add(fieldCACert, "is only used with an https:// URL")
		}
	}
	return s, errs.Err()
}

// parseURL returns the webhook's URL, or what is wrong with it. Messages do
// not echo the value: webhook URLs often carry a token in their path.
func parseURL(raw string) (*url.URL, string) {
	if raw == "" {
		return nil, "is required"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "is not a valid URL"
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, "must start with http:// or https://"
	case u.Hostname() == "":
		return nil, "has no host"
	case u.User != nil:
		return nil, "must not contain a user name or password: send credentials as a header (Authorization) instead"
	}
	return u, ""
}
