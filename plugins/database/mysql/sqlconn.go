package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// open connects to the server as c says, with the database selected when db
// is not empty, and checks the connection at once so that errors surface here
// mapped to the SDK's sentinels. The caller closes the *sql.DB.
func open(ctx context.Context, c conn, db string) (*sql.DB, error) {
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.Passwd, mc.DBName = "tcp", c.addr(), c.user, c.password, db
	mc.Timeout = c.timeout
	mc.Logger = quietLogger{} // the driver's own log would go to the plugin's stderr, unattributed
	tc, fallback, err := tlsConfig(c)
	if err != nil {
		return nil, err
	}
	mc.TLS, mc.AllowFallbackToPlaintext = tc, fallback
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("mysql configuration: %w", err)
	}
	sdb := sql.OpenDB(connector)
	sdb.SetMaxOpenConns(2)
	pctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := sdb.PingContext(pctx); err != nil {
		sdb.Close()
		return nil, classify(c, err)
	}
	return sdb, nil
}

// tlsConfig turns the TLS fields into the driver's configuration; fallback
// says whether a server without TLS is accepted.
func tlsConfig(c conn) (*tls.Config, bool, error) {
	if c.sslMode == sslDisabled {
		return nil, false, nil
	}
	tc := &tls.Config{ServerName: c.host, MinVersion: tls.VersionTLS12}
	if c.cert != "" {
		pair, err := tls.X509KeyPair([]byte(c.cert), []byte(c.key))
		if err != nil {
			return nil, false, &spec.ValidationError{Fields: []spec.FieldError{{Field: fieldSSLCert, Message: "not a PEM certificate and key pair: " + err.Error()}}}
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	var roots *x509.CertPool
	if c.ca != "" {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM([]byte(c.ca)) {
			return nil, false, &spec.ValidationError{Fields: []spec.FieldError{{Field: fieldSSLCA, Message: "holds no PEM certificate"}}}
		}
		tc.RootCAs = roots
	}
	switch c.sslMode {
	case sslPreferred, sslRequired:
		tc.InsecureSkipVerify = true // these modes encrypt without authenticating, as MySQL defines them
		return tc, c.sslMode == sslPreferred, nil
	case sslVerifyCA:
		// The chain must lead to the CA, whatever name the certificate bears.
		tc.InsecureSkipVerify = true
		tc.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyChain(raw, roots)
		}
		return tc, false, nil
	default: // verify-identity
		return tc, false, nil
	}
}

func verifyChain(raw [][]byte, roots *x509.CertPool) error {
	if len(raw) == 0 {
		return errors.New("the server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, b := range raw {
		cert, err := x509.ParseCertificate(b)
		if err != nil {
			return err
		}
		certs[i] = cert
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
	for _, cert := range certs[1:] {
		opts.Intermediates.AddCert(cert)
	}
	_, err := certs[0].Verify(opts)
	return err
}

type quietLogger struct{}

func (quietLogger) Print(...any) {}

// Server error numbers that decide a sentinel.
const (
	erDBAccessDenied     = 1044
	erAccessDenied       = 1045
	erBadDB              = 1049
	erTableAccessDenied  = 1142
	erSpecificAccess     = 1227
	erProcAccessDenied   = 1370
	crConnectionError    = 2002
	crConnHostError      = 2003
	crUnknownHost        = 2005
	crServerGone         = 2006
	crServerLost         = 2013
	crServerLostExtended = 2055
)

// sentinelFor maps a server or client error number to the SDK's sentinel.
func sentinelFor(code int) error {
	switch code {
	case erAccessDenied:
		return spec.ErrUnauthenticated
	case erDBAccessDenied, erTableAccessDenied, erSpecificAccess, erProcAccessDenied:
		return spec.ErrPermission
	case erBadDB:
		return spec.ErrNotFound
	case crConnectionError, crConnHostError, crUnknownHost, crServerGone, crServerLost, crServerLostExtended:
		return spec.ErrUnavailable
	}
	return nil
}

// classify wraps a driver error with the sentinel it means, in words a person
// understands.
func classify(c conn, err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		if s := sentinelFor(int(me.Number)); s != nil {
			return fmt.Errorf("server %s: %s: %w", c.addr(), me.Message, s)
		}
		return fmt.Errorf("server %s: %w", c.addr(), err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, mysql.ErrInvalidConn) {
		return fmt.Errorf("cannot reach the server at %s within %v: %v: %w", c.addr(), c.timeout, err, spec.ErrUnavailable)
	}
	return fmt.Errorf("server %s: %w", c.addr(), err)
}

// toolError matches the "ERROR 1045 (28000)" or "mysqldump: Got error: 1049:"
// forms the client tools print, to map their failures like the driver's.
var toolError = regexp.MustCompile(`(?:ERROR |[Ee]rror:? )(\d{4})\b`)

// classifyTool wraps a failed tool run with the sentinel its stderr names.
func classifyTool(tool string, err error, stderr string) error {
	msg := strings.TrimSpace(stderr)
	if m := toolError.FindStringSubmatch(msg); m != nil {
		var code int
		fmt.Sscan(m[1], &code)
		if s := sentinelFor(code); s != nil {
			return fmt.Errorf("%s: %v: %s: %w", tool, err, lastLine(msg), s)
		}
	}
	if l := strings.ToLower(msg); strings.Contains(l, "insufficient privileges") || strings.Contains(l, "access denied") {
		return fmt.Errorf("%s: %v: %s: %w", tool, err, lastLine(msg), spec.ErrPermission)
	}
	if msg != "" {
		return fmt.Errorf("%s: %v: %s", tool, err, lastLine(msg))
	}
	return fmt.Errorf("%s: %w", tool, err)
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
