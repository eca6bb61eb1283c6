package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/studio-b12/gowebdav"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// session is one call's client. A call opens one and closes it; a plugin
// keeps nothing between calls.
type session struct {
	s  settings
	c  *gowebdav.Client
	tr *http.Transport
}

// connect makes a client whose every request carries ctx, and checks that
// the folder exists (which also checks the credentials).
func connect(ctx context.Context, cfg spec.Config) (*session, error) {
	s, err := parse(cfg)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = s.tls
	tr.ResponseHeaderTimeout = 5 * time.Minute // a server that never answers must not hold a backup
	sess := &session{s: s, tr: tr}
	sess.c = gowebdav.NewAuthClient(s.root, gowebdav.NewPreemptiveAuth(basicAuth{s.user, s.password}))
	sess.c.SetTransport(ctxTransport{ctx: ctx, rt: tr})
	fi, err := sess.c.Stat("")
	if err == nil && !fi.IsDir() {
		err = &os.PathError{Op: "Stat", Path: "", Err: gowebdav.StatusError{Status: http.StatusNotFound}}
	}
	if err != nil {
		sess.Close()
		if status(err) == http.StatusNotFound {
			return nil, fmt.Errorf("folder %s does not exist or is not a folder (dbkeep does not create it): %w", s.shown, spec.ErrNotFound)
		}
		return nil, sess.fail(ctx, "open", "", err)
	}
	return sess, nil
}

// Close lets the call's connections go.
func (sess *session) Close() error {
	sess.tr.CloseIdleConnections()
	return nil
}

// ctxTransport gives every request the call's context: the client has no
// context of its own, and cancelling a call must abort its requests.
type ctxTransport struct {
	ctx context.Context
	rt  http.RoundTripper
}

func (t ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.rt.RoundTrip(req.WithContext(t.ctx))
}

// basicAuth sends the credentials with every request, so that a request
// body is never kept for a second attempt after a challenge.
type basicAuth struct{ user, password string }

func (a basicAuth) Authorize(_ *http.Client, rq *http.Request, _ string) error {
	if a.user != "" {
		rq.SetBasicAuth(a.user, a.password)
	}
	return nil
}

func (a basicAuth) Verify(_ *http.Client, rs *http.Response, p string) (bool, error) {
	if rs.StatusCode == http.StatusUnauthorized {
		return false, gowebdav.NewPathError("Authorize", p, rs.StatusCode)
	}
	return false, nil
}

func (a basicAuth) Close() error                  { return nil }
func (a basicAuth) Clone() gowebdav.Authenticator { return a }
func (a basicAuth) String() string                { return "Basic" }

// status is the HTTP status of a client error, 0 for a transport error.
func status(err error) int {
	var pe *os.PathError
	if errors.As(err, &pe) {
		var se gowebdav.StatusError
		if errors.As(pe.Err, &se) {
			return se.Status
		}
	}
	return 0
}

// fail gives err, met doing op on object name, its meaning for the core.
func (sess *session) fail(ctx context.Context, op, name string, err error) error {
	if err == nil {
		return nil
	}
	where := "folder " + sess.s.shown
	if name != "" {
		where = name + " in " + where
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// The request was aborted because the caller gave up.
		return fmt.Errorf("%s %s: %w (%v)", op, where, ctxErr, err)
	}
	return explain(op, where, sess.s.user, err)
}

// explain maps an HTTP status or a transport error to the spec's sentinels.
func explain(op, where, user string, err error) error {
	code := status(err)
	switch {
	case code == http.StatusUnauthorized:
		return fmt.Errorf("%s %s: the server refused the user %q and password (401): %w", op, where, user, spec.ErrUnauthenticated)
	case code == http.StatusForbidden:
		return fmt.Errorf("%s %s: access denied to user %q (403): %w", op, where, user, spec.ErrPermission)
	case code == http.StatusNotFound || code == http.StatusConflict:
		return fmt.Errorf("%s %s: no such object (%d): %w", op, where, code, spec.ErrNotFound)
	case code == http.StatusInsufficientStorage || code == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("%s %s: the server's disk or quota is full (%d): %w", op, where, code, spec.ErrNoSpace)
	case code == http.StatusServiceUnavailable || code == http.StatusBadGateway || code == http.StatusGatewayTimeout:
		return fmt.Errorf("%s %s: the server is unavailable (%d): %w", op, where, code, spec.ErrUnavailable)
	case code != 0:
		return fmt.Errorf("%s %s: the server answered %d %s", op, where, code, http.StatusText(code))
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var ne net.Error
	switch {
	case errors.As(err, &unknownCA):
		return fmt.Errorf("%s %s: the server's TLS certificate is not signed by a trusted authority (%v): give its CA certificate, or turn off verification: %w", op, where, err, spec.ErrUnauthenticated)
	case errors.As(err, &hostname):
		return fmt.Errorf("%s %s: the server's TLS certificate is not for this host name (%v): %w", op, where, err, spec.ErrUnauthenticated)
	case errors.As(err, &ne), errors.Is(err, net.ErrClosed), strings.Contains(err.Error(), "connection reset"),
		strings.Contains(err.Error(), "EOF"), strings.Contains(err.Error(), "broken pipe"):
		return fmt.Errorf("%s %s: the server cannot be reached or the connection was lost: %v: %w", op, where, err, spec.ErrUnavailable)
	}
	return fmt.Errorf("%s %s: %w", op, where, err)
}

// notFound is the client's error for a missing object.
func notFound(name string) error {
	return &os.PathError{Op: "Stat", Path: name, Err: gowebdav.StatusError{Status: http.StatusNotFound}}
}
