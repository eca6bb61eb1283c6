package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"time"

	smb2 "github.com/cloudsoda/go-smb2"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// handshakeTimeout bounds connecting, logging in and mounting: a server
// that accepts TCP and says nothing must not hold a backup.
const handshakeTimeout = 30 * time.Second

// NTSTATUS codes the plugin gives a meaning ([MS-ERREF] 2.3.1).
const (
	statusNoSuchUser            = 0xC0000064
	statusLogonFailure          = 0xC000006D
	statusAccountRestriction    = 0xC000006E
	statusPasswordExpired       = 0xC0000071
	statusAccountDisabled       = 0xC0000072
	statusAccountLockedOut      = 0xC0000234
	statusDiskFull              = 0xC000007F
	statusQuotaExceeded         = 0xC0000044
	statusBadNetworkName        = 0xC00000CC
	statusObjectNameInvalid     = 0xC0000033
	statusFileIsADirectory      = 0xC00000BA
	statusNotADirectory         = 0xC0000103
	statusNetworkSessionExpired = 0xC000035C
	statusUserSessionDeleted    = 0xC0000203
	statusInsufficientResources = 0xC000009A
	statusSharingViolation      = 0xC0000043
)

// session is one call's connection: a logged-in SMB session with the share
// mounted. A call opens one and closes it; a plugin keeps nothing between
// calls.
type session struct {
	s     settings
	raw   net.Conn
	sess  *smb2.Session
	share *smb2.Share
	// stop unregisters the closing of the connection when ctx ends.
	stop func() bool
}

// connect dials, negotiates (refusing dialects older than the configured
// minimum), logs in, mounts the share, checks encryption when it is
// required, and checks that the folder exists. Cancelling ctx closes the
// connection, which ends any transfer in flight, even one blocked on a
// stalled server.
func connect(ctx context.Context, cfg spec.Config) (*session, error) {
	s, err := parse(cfg)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: handshakeTimeout}
	raw, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to %s: %w", s.addr, ctx.Err())
		}
		return nil, fmt.Errorf("connect to %s: the server cannot be reached: %v: %w", s.addr, err, spec.ErrUnavailable)
	}
	conn := &session{s: s, raw: raw, stop: context.AfterFunc(ctx, func() { raw.Close() })}
	raw.SetDeadline(time.Now().Add(handshakeTimeout))
	w := watch(raw)
	dialer := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: s.user, Password: s.password, Domain: s.domain}}
	conn.sess, err = dialer.DialConn(ctx, w, s.addr)
	if err != nil {
		conn.Close()
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("connect to %s: %w", s.addr, ctx.Err())
		case isLoginRefusal(err):
			who := s.user
			if s.domain != "" {
				who = s.domain + `\` + s.user
			}
			return nil, fmt.Errorf("log in to %s as %q: the server refused the user name or password (%v): %w", s.addr, who, err, spec.ErrUnauthenticated)
		case w.negotiated() == 0:
			return nil, fmt.Errorf("connect to %s: SMB negotiation failed (is it an SMB 2/3 server?): %v: %w", s.addr, err, spec.ErrUnavailable)
		}
		return nil, fmt.Errorf("connect to %s: SMB session setup failed: %v: %w", s.addr, err, spec.ErrUnavailable)
	}
	if got := w.negotiated(); got < s.minDialect {
		conn.Close()
		return nil, fmt.Errorf("connect to %s: the server speaks SMB %s at most, and the configuration requires SMB %s or later: "+
			"update the server, or lower the oldest SMB version allowed if this network is trusted", s.addr, dialectName(got), dialectName(s.minDialect))
	}
	share, err := conn.sess.Mount(s.share)
	if err != nil {
		conn.Close()
		return nil, conn.shareError(ctx, err)
	}
	conn.share = share.WithContext(ctx)
	raw.SetDeadline(time.Time{})
	if s.encrypt {
		w.arm()
	}
	// A request inside the share: the folder's existence, and the first
	// request whose encryption is checked.
	fi, err := conn.share.Stat(s.base)
	if err == nil && !fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		conn.Close()
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("folder %s does not exist or is not a folder (dbkeep does not create it): %w", s.where(), spec.ErrNotFound)
		}
		return nil, conn.fail(ctx, "open", "", err)
	}
	if s.encrypt {
		if enc, plain := w.sent(); plain > 0 || enc == 0 {
			conn.Close()
			return nil, fmt.Errorf("share %s: the server does not encrypt this share's traffic, and the configuration requires it: "+
				"turn on encryption for the share (Samba: smb encrypt = required; Windows: Encrypt data access), or turn off Require encryption: %w",
				s.where(), spec.ErrPermission)
		}
	}
	return conn, nil
}

func dialectName(d uint16) string {
	switch d {
	case 0x0202:
		return "2.0.2"
	case 0x0210:
		return "2.1"
	case 0x0300:
		return "3.0"
	case 0x0302:
		return "3.0.2"
	case 0x0311:
		return "3.1.1"
	}
	return fmt.Sprintf("dialect %#04x", d)
}

// ntStatus is the NTSTATUS code inside err, or 0.
func ntStatus(err error) uint32 {
	var re *smb2.ResponseError
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

// isLoginRefusal reports a session setup the server refused for the
// credentials. The library reports some refusals only in its message.
func isLoginRefusal(err error) bool {
	switch ntStatus(err) {
	case statusNoSuchUser, statusLogonFailure, statusAccountRestriction, statusPasswordExpired,
		statusAccountDisabled, statusAccountLockedOut:
		return true
	}
	if errors.Is(err, fs.ErrPermission) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"LOGON_FAILURE", "NO_SUCH_USER", "ACCOUNT_", "PASSWORD_EXPIRED", "ACCESS_DENIED"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func (conn *session) shareError(ctx context.Context, err error) error {
	where := fmt.Sprintf(`share \\%s\%s`, conn.s.addr, conn.s.share)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("mount %s: %w", where, ctx.Err())
	case ntStatus(err) == statusBadNetworkName || strings.Contains(err.Error(), "BAD_NETWORK_NAME"):
		return fmt.Errorf("%s does not exist (dbkeep does not create shares; check the name): %w", where, spec.ErrNotFound)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: access denied to user %q: %w", where, conn.s.user, spec.ErrPermission)
	}
	return conn.fail(ctx, "mount", "", err)
}

// Close ends the session: the share and the login politely, when the
// connection still answers within a few seconds, then the connection.
func (conn *session) Close() error {
	conn.stop()
	if conn.sess != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stop := context.AfterFunc(ctx, func() { conn.raw.Close() })
		defer stop()
		if conn.share != nil {
			conn.share.WithContext(ctx).Umount()
		}
		conn.sess.WithContext(ctx).Logoff()
	}
	return conn.raw.Close()
}

// fail gives err, met doing op on object name, its meaning for the core.
func (conn *session) fail(ctx context.Context, op, name string, err error) error {
	if err == nil {
		return nil
	}
	where := conn.s.where()
	if name != "" {
		where = fmt.Sprintf("%s in %s", name, where)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// The connection was closed because the caller gave up.
		return fmt.Errorf("%s %s: %w (%v)", op, where, ctxErr, err)
	}
	switch ntStatus(err) {
	case statusDiskFull, statusQuotaExceeded:
		return fmt.Errorf("%s %s: the server's disk or the user's quota is full: %w", op, where, spec.ErrNoSpace)
	case statusFileIsADirectory, statusNotADirectory:
		return fmt.Errorf("%s %s: no such object: %w", op, where, spec.ErrNotFound)
	case statusObjectNameInvalid:
		return fmt.Errorf("%s %s: the server refuses this name (SMB forbids \\ / : * ? \" < > | in names): %w", op, where, spec.ErrInvalidArgument)
	case statusNetworkSessionExpired, statusUserSessionDeleted, statusInsufficientResources:
		return fmt.Errorf("%s %s: the server ended the session: %v: %w", op, where, err, spec.ErrUnavailable)
	}
	var te *smb2.TransportError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: no such object: %w", op, where, spec.ErrNotFound)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s %s: access denied to user %q: %w", op, where, conn.s.user, spec.ErrPermission)
	case errors.As(err, &te), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), isNetError(err):
		return fmt.Errorf("%s %s: the connection was lost: %v: %w", op, where, err, spec.ErrUnavailable)
	}
	return fmt.Errorf("%s %s: %w", op, where, err)
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// regular stats p and refuses what is not a file: a folder is not an
// object.
func (conn *session) regular(p string) (fs.FileInfo, error) {
	fi, err := conn.share.Stat(p)
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	return fi, err
}
