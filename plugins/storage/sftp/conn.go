package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// handshakeTimeout bounds connecting and logging in: a server that accepts
// TCP and says nothing must not hold a backup.
const handshakeTimeout = 30 * time.Second

// session is one call's connection: SSH, the SFTP subsystem over it, and the
// host key the server presented. A call opens one and closes it; a plugin
// keeps nothing between calls.
type session struct {
	s   settings
	ssh *ssh.Client
	c   *sftp.Client
	// hostKey is the fingerprint the server presented, and its type.
	hostKey, keyType string
	// stop unregisters the closing of the connection when ctx ends.
	stop func() bool
}

// connect dials, checks the host key, logs in, opens SFTP, and checks that
// the folder exists. Cancelling ctx closes the connection, which ends any
// transfer in flight, even one blocked on a stalled server.
func connect(ctx context.Context, cfg spec.Config) (*session, error) {
	s, err := parse(cfg)
	if err != nil {
		return nil, err
	}
	sess := &session{s: s}
	d := net.Dialer{Timeout: handshakeTimeout}
	raw, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to %s: %w", s.addr, ctx.Err())
		}
		return nil, fmt.Errorf("connect to %s: the server cannot be reached: %v: %w", s.addr, err, spec.ErrUnavailable)
	}
	sess.stop = context.AfterFunc(ctx, func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(handshakeTimeout))
	var mismatch error
	conf := &ssh.ClientConfig{
		User: s.user,
		Auth: s.auth,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			sess.hostKey, sess.keyType = ssh.FingerprintSHA256(key), key.Type()
			if s.tofu || sess.hostKey == s.hostKey {
				return nil
			}
			mismatch = fmt.Errorf("connect to %s: the server presented host key %s (%s), but the configuration pins %s: "+
				"if the server's key was changed on purpose, pin the new one; otherwise someone may be intercepting the connection: %w",
				s.addr, sess.hostKey, sess.keyType, s.hostKey, spec.ErrUnauthenticated)
			return mismatch
		},
		Timeout: handshakeTimeout,
	}
	sc, chans, reqs, err := ssh.NewClientConn(raw, s.addr, conf)
	if err != nil {
		sess.stop()
		raw.Close()
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("connect to %s: %w", s.addr, ctx.Err())
		case mismatch != nil:
			return nil, mismatch
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, sess.note(fmt.Errorf("log in to %s as %q: the server refused the %s given: %w", s.addr, s.user, s.authWords(cfg), spec.ErrUnauthenticated))
		}
		return nil, sess.note(fmt.Errorf("connect to %s: SSH handshake failed (is it an SSH server?): %v: %w", s.addr, err, spec.ErrUnavailable))
	}
	raw.SetDeadline(time.Time{})
	sess.ssh = ssh.NewClient(sc, chans, reqs)
	// Concurrent writes keep several packets in flight: over a link with any
	// latency, one at a time would crawl.
	sess.c, err = sftp.NewClient(sess.ssh, sftp.UseConcurrentWrites(true))
	if err != nil {
		sess.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to %s: %w", s.addr, ctx.Err())
		}
		return nil, sess.note(fmt.Errorf("connect to %s: the server offers no SFTP (is the sftp subsystem enabled for %q?): %v: %w", s.addr, s.user, err, spec.ErrUnavailable))
	}
	if s.base != "." {
		fi, err := sess.c.Stat(s.base)
		if err == nil && !fi.IsDir() {
			err = syscall.ENOTDIR
		}
		if err != nil {
			sess.Close()
			return nil, sess.note(sess.folderError(ctx, err))
		}
	}
	return sess, nil
}

// authWords names what was offered to log in, for an error message.
func (s settings) authWords(cfg spec.Config) string {
	switch {
	case cfg.String("password") != "" && cfg.String("private-key") != "":
		return "private key and password"
	case cfg.String("private-key") != "":
		return "private key"
	}
	return "password"
}

// note adds, when the host key is trusted on first use, the key the server
// presented: the user can pin it from any error, not only from Test.
func (sess *session) note(err error) error {
	if !sess.s.tofu || sess.hostKey == "" {
		return err
	}
	return fmt.Errorf("%w (the server's host key, trusted on first use, is %s %s: pin it)", err, sess.keyType, sess.hostKey)
}

func (sess *session) folderError(ctx context.Context, err error) error {
	where := fmt.Sprintf("folder %q on %s", sess.s.base, sess.s.addr)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%s does not exist or is not a folder (dbkeep does not create it): %w", where, spec.ErrNotFound)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: access denied to user %q: %w", where, sess.s.user, spec.ErrPermission)
	}
	return sess.fail(ctx, "open", "", err)
}

// Close ends the session.
func (sess *session) Close() error {
	sess.stop()
	if sess.c != nil {
		sess.c.Close()
	}
	if sess.ssh != nil {
		return sess.ssh.Close()
	}
	return nil
}

// fail gives err, met doing op on object name, its meaning for the core.
func (sess *session) fail(ctx context.Context, op, name string, err error) error {
	if err == nil {
		return nil
	}
	where := fmt.Sprintf("folder %q on %s", sess.s.base, sess.s.addr)
	if name != "" {
		where = fmt.Sprintf("%s in %s", name, where)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// The connection was closed because the caller gave up.
		return fmt.Errorf("%s %s: %w (%v)", op, where, ctxErr, err)
	}
	var status *sftp.StatusError
	if errors.As(err, &status) {
		// SFTP v5+ codes (OpenSSH speaks v3 and reports a plain failure).
		const noSpace, quotaExceeded = 14, 15
		switch status.Code {
		case noSpace, quotaExceeded:
			return fmt.Errorf("%s %s: the server's disk or quota is full: %w", op, where, spec.ErrNoSpace)
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%s %s: no such object: %w", op, where, spec.ErrNotFound)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s %s: access denied to user %q: %w", op, where, sess.s.user, spec.ErrPermission)
	case errors.Is(err, sftp.ErrSSHFxConnectionLost), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), isNetError(err):
		return fmt.Errorf("%s %s: the connection was lost: %v: %w", op, where, err, spec.ErrUnavailable)
	}
	return fmt.Errorf("%s %s: %w", op, where, err)
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// regular stats p, following links, and refuses what is not a file: a
// folder is not an object.
func (sess *session) regular(p string) (os.FileInfo, error) {
	fi, err := sess.c.Stat(p)
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	return fi, err
}
