package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// handshakeTimeout bounds connecting, TLS and logging in: a server that
// accepts TCP and says nothing must not hold a backup.
const handshakeTimeout = 30 * time.Second

// session is one call's control connection, logged in and inside the
// folder. A call opens one and closes it; a plugin keeps nothing between
// calls.
type session struct {
	s   settings
	c   *ftp.ServerConn
	ctx context.Context

	mu     sync.Mutex
	conns  []net.Conn // every connection dialled, control first
	closed bool
	// stop unregisters the closing of the connections when ctx ends.
	stop func() bool
}

// connect dials, secures, logs in and enters the folder. Cancelling ctx
// closes every connection of the session, which ends any transfer in flight,
// even one blocked on a stalled server.
func connect(ctx context.Context, cfg spec.Config) (*session, error) {
	s, err := parse(cfg)
	if err != nil {
		return nil, err
	}
	sess := &session{s: s, ctx: ctx}
	sess.stop = context.AfterFunc(ctx, sess.cut)
	opts := []ftp.DialOption{ftp.DialWithDialFunc(sess.dial), ftp.DialWithShutTimeout(handshakeTimeout)}
	if s.tlsMode == tlsExplicit {
		// The library upgrades the control connection after AUTH TLS; data
		// connections are secured by dial.
		opts = append(opts, ftp.DialWithExplicitTLS(s.tls))
	}
	sess.c, err = ftp.Dial(s.addr, opts...)
	if err != nil {
		sess.Close()
		return nil, sess.connectError(ctx, err)
	}
	if err := sess.c.Login(s.user, s.password); err != nil {
		sess.Close()
		if terr := certificateError(s.addr, err); terr != nil && ctx.Err() == nil {
			return nil, terr
		}
		var reply *textproto.Error
		if errors.As(err, &reply) && (reply.Code == ftp.StatusNotLoggedIn || reply.Code == ftp.StatusInvalidCredentials) {
			return nil, fmt.Errorf("log in to %s as %q: the server refused the password (%s): %w", s.addr, s.user, reply.Msg, spec.ErrUnauthenticated)
		}
		if ctx.Err() == nil && errors.As(err, &reply) && reply.Code/100 == 5 && s.tlsMode != tlsNone {
			// PBSZ/PROT P refused: the server cannot protect data connections.
			return nil, fmt.Errorf("log in to %s: %s (does the server support TLS on data connections?): %w", s.addr, reply.Msg, spec.ErrUnavailable)
		}
		return nil, sess.fail(ctx, "log in to", "", err)
	}
	if s.base != "" {
		if err := sess.c.ChangeDir(s.base); err != nil {
			sess.Close()
			return nil, sess.folderError(ctx, err)
		}
	}
	sess.deadline(time.Time{})
	return sess, nil
}

// dial opens the control connection (the first call) and every data
// connection, remembers each so that cut can close it, and secures the ones
// the library does not: all of them with implicit TLS, the data connections
// with explicit TLS.
func (sess *session) dial(network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: handshakeTimeout}
	raw, err := d.DialContext(sess.ctx, network, addr)
	if err != nil {
		return nil, err
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.closed {
		raw.Close()
		return nil, net.ErrClosed
	}
	control := len(sess.conns) == 0
	if control {
		// Until logged in (connect clears it): a server that accepts TCP
		// and never greets must not hold the call.
		raw.SetDeadline(time.Now().Add(handshakeTimeout))
	}
	conn := raw
	if sess.s.tlsMode == tlsImplicit || (sess.s.tlsMode == tlsExplicit && !control) {
		conn = tls.Client(raw, sess.s.tls)
	}
	sess.conns = append(sess.conns, conn)
	return conn, nil
}

// deadline sets the control connection's deadline.
func (sess *session) deadline(t time.Time) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if len(sess.conns) > 0 {
		sess.conns[0].SetDeadline(t)
	}
}

// cut closes every connection at once, without a word to the server.
func (sess *session) cut() {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	sess.closed = true
	for _, c := range sess.conns {
		c.Close()
	}
}

// Close says goodbye and closes the session.
func (sess *session) Close() error {
	sess.stop()
	if sess.c != nil && sess.ctx.Err() == nil {
		sess.deadline(time.Now().Add(5 * time.Second))
		sess.c.Quit()
	}
	sess.cut()
	return nil
}

// connectError explains a failure to reach or greet the server.
func (sess *session) connectError(ctx context.Context, err error) error {
	addr := sess.s.addr
	if ctx.Err() != nil {
		return fmt.Errorf("connect to %s: %w", addr, ctx.Err())
	}
	if terr := certificateError(addr, err); terr != nil {
		return terr
	}
	var reply *textproto.Error
	switch {
	case errors.As(err, &reply) && sess.s.tlsMode == tlsExplicit && reply.Code/100 == 5:
		return fmt.Errorf("connect to %s: the server refused explicit TLS (AUTH TLS: %d %s); choose implicit TLS if it speaks FTPS on this port, or none to send the password unencrypted: %w", addr, reply.Code, reply.Msg, spec.ErrUnavailable)
	case sess.s.tlsMode == tlsImplicit && isTLSRecordError(err):
		return fmt.Errorf("connect to %s: the server does not speak TLS on this port (%v); choose explicit TLS for a server on port 21: %w", addr, err, spec.ErrUnavailable)
	case errors.As(err, &reply):
		return fmt.Errorf("connect to %s: the server answered %d %s: %w", addr, reply.Code, reply.Msg, spec.ErrUnavailable)
	}
	return fmt.Errorf("connect to %s: the server cannot be reached: %v: %w", addr, err, spec.ErrUnavailable)
}

// certificateError explains a certificate the configuration does not
// trust, or returns nil for any other error. With explicit TLS the
// handshake happens at the first command after AUTH TLS, so logging in
// meets these too.
func certificateError(addr string, err error) error {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownCA):
		return fmt.Errorf("connect to %s: the server's TLS certificate is not signed by a trusted authority (%v): give its CA certificate, or turn off verification: %w", addr, err, spec.ErrUnauthenticated)
	case errors.As(err, &hostname):
		return fmt.Errorf("connect to %s: the server's TLS certificate is not for this host name (%v): %w", addr, err, spec.ErrUnauthenticated)
	case errors.As(err, &invalid):
		return fmt.Errorf("connect to %s: the server's TLS certificate is not valid (%v): %w", addr, err, spec.ErrUnauthenticated)
	}
	return nil
}

func isTLSRecordError(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh) || strings.Contains(err.Error(), "tls:")
}

func (sess *session) folderError(ctx context.Context, err error) error {
	where := "folder " + sess.s.where()
	var reply *textproto.Error
	if ctx.Err() == nil && errors.As(err, &reply) && reply.Code == ftp.StatusFileUnavailable && !deniedWords(reply.Msg) {
		return fmt.Errorf("%s does not exist or is not a folder (dbkeep does not create it): %s: %w", where, reply.Msg, spec.ErrNotFound)
	}
	return sess.fail(ctx, "enter", "", err)
}

// fail gives err, met doing op on object name, its meaning for the core.
func (sess *session) fail(ctx context.Context, op, name string, err error) error {
	if err == nil {
		return nil
	}
	where := "folder " + sess.s.where()
	if name != "" {
		where = name + " in " + where
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// The connections were closed because the caller gave up.
		return fmt.Errorf("%s %s: %w (%v)", op, where, ctxErr, err)
	}
	return explain(op, where, sess.s.user, err)
}

// statusInsufficientStorage is RFC 959's 452, which the library does not name.
const statusInsufficientStorage = 452

// explain maps an FTP reply or a transport error to the spec's sentinels.
func explain(op, where, user string, err error) error {
	var reply *textproto.Error
	if errors.As(err, &reply) {
		switch {
		case reply.Code == statusInsufficientStorage || reply.Code == ftp.StatusExceededStorage || fullWords(reply.Msg):
			return fmt.Errorf("%s %s: the server's disk or quota is full (%d %s): %w", op, where, reply.Code, reply.Msg, spec.ErrNoSpace)
		case reply.Code == ftp.StatusNotLoggedIn:
			return fmt.Errorf("%s %s: the server says user %q is not logged in (%s): %w", op, where, user, reply.Msg, spec.ErrUnauthenticated)
		case reply.Code == ftp.StatusBadFileName || reply.Code/100 >= 4 && deniedWords(reply.Msg):
			return fmt.Errorf("%s %s: access denied to user %q (%d %s): %w", op, where, user, reply.Code, reply.Msg, spec.ErrPermission)
		case reply.Code == ftp.StatusFileUnavailable:
			return fmt.Errorf("%s %s: no such object (%s): %w", op, where, reply.Msg, spec.ErrNotFound)
		case reply.Code == ftp.StatusNotAvailable:
			return fmt.Errorf("%s %s: the server is going away (%s): %w", op, where, reply.Msg, spec.ErrUnavailable)
		}
		return fmt.Errorf("%s %s: the server answered %d %s", op, where, reply.Code, reply.Msg)
	}
	var ne net.Error
	switch {
	case errors.Is(err, ftp.ErrInvalidCommand):
		return fmt.Errorf("%s %s: the name holds a line break, which FTP cannot carry: %w", op, where, spec.ErrInvalidArgument)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.As(err, &ne),
		strings.Contains(err.Error(), "connection reset"), strings.Contains(err.Error(), "broken pipe"):
		return fmt.Errorf("%s %s: the connection was lost: %v: %w", op, where, err, spec.ErrUnavailable)
	}
	return fmt.Errorf("%s %s: %w", op, where, err)
}

// fullWords reports whether a server's reply text speaks of a full disk,
// which servers also report with 450, 451 or 550.
func fullWords(msg string) bool {
	m := strings.ToLower(msg)
	for _, w := range []string{"no space", "disk full", "quota", "storage allocation", "insufficient storage"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// deniedWords reports whether a server's reply text speaks of permission:
// FTP's 550 means both "no such file" and "not allowed".
func deniedWords(msg string) bool {
	m := strings.ToLower(msg)
	for _, w := range []string{"permission", "denied", "not allowed", "forbidden", "read-only", "read only"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}
