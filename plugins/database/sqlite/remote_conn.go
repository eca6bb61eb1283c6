package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// handshakeTimeout bounds connecting and logging in: a server that accepts
// TCP and says nothing must not hold a backup.
const handshakeTimeout = 30 * time.Second

// sshConn is one call's SSH connection; a call opens one and closes it.
type sshConn struct {
	r      remote
	client *ssh.Client
	// hostKey is the fingerprint the server presented, and its type.
	hostKey, keyType string
	stop             func() bool
}

// dialRemote connects, checks the host key and logs in. Cancelling ctx
// closes the connection.
func dialRemote(ctx context.Context, r remote) (*sshConn, error) {
	c := &sshConn{r: r}
	d := net.Dialer{Timeout: handshakeTimeout}
	raw, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to %s: %w", r.addr, ctx.Err())
		}
		return nil, fmt.Errorf("connect to %s: the SSH server cannot be reached: %v: %w", r.addr, err, spec.ErrUnavailable)
	}
	c.stop = context.AfterFunc(ctx, func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(handshakeTimeout))
	var mismatch error
	conf := &ssh.ClientConfig{
		User: r.user,
		Auth: r.auth,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			c.hostKey, c.keyType = ssh.FingerprintSHA256(key), key.Type()
			if r.tofu || c.hostKey == r.hostKey {
				return nil
			}
			mismatch = fmt.Errorf("connect to %s: the server presented host key %s (%s), but the configuration pins %s: "+
				"if the server's key was changed on purpose, pin the new one; otherwise someone may be intercepting the connection: %w",
				r.addr, c.hostKey, c.keyType, r.hostKey, spec.ErrUnauthenticated)
			return mismatch
		},
		Timeout: handshakeTimeout,
	}
	sc, chans, reqs, err := ssh.NewClientConn(raw, r.addr, conf)
	if err != nil {
		c.stop()
		raw.Close()
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("connect to %s: %w", r.addr, ctx.Err())
		case mismatch != nil:
			return nil, mismatch
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, fmt.Errorf("log in to %s as %s: the server refused the password or key: %w", r.addr, r.user, spec.ErrUnauthenticated)
		}
		return nil, fmt.Errorf("SSH handshake with %s: %v: %w", r.addr, err, spec.ErrUnavailable)
	}
	raw.SetDeadline(time.Time{})
	c.client = ssh.NewClient(sc, chans, reqs)
	return c, nil
}

func (c *sshConn) Close() {
	c.stop()
	c.client.Close()
}

// trustNote says how the host key was checked, for Test and the run's log.
func (c *sshConn) trustNote() string {
	if c.r.tofu {
		return fmt.Sprintf("host key %s %s trusted on first use, not verified: pin it as the SSH host key", c.keyType, c.hostKey)
	}
	return fmt.Sprintf("host key %s verified", c.hostKey)
}

// exitError is a remote command that ran and failed.
type exitError struct {
	status int
	stderr string
}

func (e *exitError) Error() string {
	if e.stderr == "" {
		return fmt.Sprintf("exit status %d", e.status)
	}
	return fmt.Sprintf("exit status %d: %s", e.status, e.stderr)
}

// maxCaptured bounds the output output() keeps: its commands print a few
// lines, and a misbehaving remote must not fill the plugin's memory.
const maxCaptured = 64 << 10

// output runs a short script and returns its stdout.
func (c *sshConn) output(ctx context.Context, script string) (string, error) {
	var stdout bytes.Buffer
	err := c.run(ctx, script, nil, &limited{w: &stdout, n: maxCaptured}, nil)
	return stdout.String(), err
}

// run runs script on the remote host with stdin from in (nil: none) and
// stdout to out; stderr lines go to rep (nil: kept for the error only).
// Cancelling ctx sends the remote command SIGTERM, so its clean-up traps run,
// and closes the session.
func (c *sshConn) run(ctx context.Context, script string, in io.Reader, out io.Writer, rep spec.Reporter) error {
	s, err := c.client.NewSession()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("SSH session on %s: %v: %w", c.r.addr, err, spec.ErrUnavailable)
	}
	defer s.Close()
	stop := context.AfterFunc(ctx, func() {
		s.Signal(ssh.SIGTERM)
		time.Sleep(100 * time.Millisecond) // let the signal arrive before the channel closes
		s.Close()
	})
	defer stop()
	var stderr tailWriter
	stderr.rep = rep
	s.Stdout, s.Stderr = out, &stderr
	// Stdin is copied by a goroutine of ours, not the SSH library's: the
	// library does not wait for its copier when the remote command ends
	// first, and the caller reads what in recorded once run returns.
	var copied chan struct{}
	if in != nil {
		w, err := s.StdinPipe()
		if err != nil {
			return fmt.Errorf("SSH session on %s: stdin: %v: %w", c.r.addr, err, spec.ErrUnavailable)
		}
		copied = make(chan struct{})
		if err := s.Start(script); err != nil {
			return fmt.Errorf("SSH session on %s: start: %v: %w", c.r.addr, err, spec.ErrUnavailable)
		}
		go func() {
			defer close(copied)
			io.Copy(w, in)
			w.Close()
		}()
		err = s.Wait()
		// A command that ended before reading everything leaves the copier
		// writing into the session: closing it makes that write fail.
		s.Close()
		<-copied
	} else {
		err = s.Run(script)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ee *ssh.ExitError
	switch {
	case errors.As(err, &ee):
		return &exitError{status: ee.ExitStatus(), stderr: stderr.String()}
	case err != nil:
		var miss *ssh.ExitMissingError
		if errors.As(err, &miss) {
			return fmt.Errorf("the remote command ended without an exit status (connection lost?): %w", spec.ErrUnavailable)
		}
		return err
	}
	return nil
}

// tailWriter keeps the last lines of a remote stderr and forwards each line.
type tailWriter struct {
	rep     spec.Reporter
	partial []byte
	lines   []string
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			if len(t.partial) > 4096 {
				t.line(string(t.partial))
				t.partial = t.partial[:0]
			}
			return len(p), nil
		}
		t.line(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
}

func (t *tailWriter) line(l string) {
	l = strings.TrimSpace(l)
	if l == "" {
		return
	}
	if t.rep != nil {
		t.rep.Log(spec.LevelWarn, "remote: "+l)
	}
	t.lines = append(t.lines, l)
	if len(t.lines) > 5 {
		t.lines = t.lines[1:]
	}
}

func (t *tailWriter) String() string {
	if len(t.partial) > 0 {
		t.line(string(t.partial))
		t.partial = nil
	}
	return strings.Join(t.lines, "; ")
}

// limited writes at most n bytes to w and drops the rest.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if len(p) > l.n {
		l.w.Write(p[:l.n])
		l.n = 0
		return len(p), nil
	}
	l.n -= len(p)
	return l.w.Write(p)
}
