package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// toolVersion runs `<tool> --version` and returns the version ("15.20") and
// its major (15).
func toolVersion(ctx context.Context, tool string) (string, int, error) {
	path, err := exec.LookPath(tool)
	if err != nil {
		return "", 0, fmt.Errorf("%s is not installed (install the PostgreSQL client tools): %w", tool, err)
	}
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "", 0, fmt.Errorf("%s --version: %w", tool, err)
	}
	return parseToolVersion(string(out))
}

var toolVersionRE = regexp.MustCompile(`\(PostgreSQL\) ([0-9]+)((?:\.[0-9]+)*)`)

// parseToolVersion reads "pg_dump (PostgreSQL) 15.20 (Debian ...)".
func parseToolVersion(out string) (string, int, error) {
	m := toolVersionRE.FindStringSubmatch(out)
	if m == nil {
		return "", 0, fmt.Errorf("unrecognised tool version %q", strings.TrimSpace(out))
	}
	major, err := strconv.Atoi(m[1])
	if err != nil {
		return "", 0, err
	}
	return m[1] + m[2], major, nil
}

// versionMajor is the major of a PostgreSQL version string: its leading
// digits ("15.20" → 15, "17beta1" → 17; "9.6.24" → 9 is enough here, as the
// plugin compares against 10 and later).
func versionMajor(v string) (int, bool) {
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(v[:end])
	return n, err == nil && n > 0
}

// command builds a tool invocation: an argument list (never a shell), the
// session's environment, its own process group killed on cancellation.
func command(ctx context.Context, s *session, tool string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = s.env()
	cmd.Dir = s.dir
	database.KillGroupOnCancel(cmd)
	return cmd
}

// stderrLog forwards a tool's stderr, line by line, to a Reporter with the
// password masked, and keeps the last lines for the error message.
type stderrLog struct {
	rep      spec.Reporter
	password string
	tool     string

	mu   sync.Mutex
	tail []string
	done chan struct{}
}

const tailLines = 5

func forwardStderr(r io.Reader, rep spec.Reporter, tool, password string) *stderrLog {
	l := &stderrLog{rep: rep, password: password, tool: tool, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := l.redact(sc.Text())
			if strings.TrimSpace(line) == "" {
				continue
			}
			level := spec.LevelInfo
			if strings.Contains(line, "error:") || strings.Contains(line, "FATAL") {
				level = spec.LevelError
			} else if strings.Contains(line, "warning:") || strings.Contains(line, "WARNING") {
				level = spec.LevelWarn
			}
			rep.Log(level, line)
			l.mu.Lock()
			l.tail = append(l.tail, line)
			if len(l.tail) > tailLines {
				l.tail = l.tail[1:]
			}
			l.mu.Unlock()
		}
		io.Copy(io.Discard, r) // a line too long for the scanner must not block the tool
	}()
	return l
}

// redact masks the password: libpq does not print it, but a server's error
// message may quote what it was sent.
func (l *stderrLog) redact(s string) string {
	if l.password == "" {
		return s
	}
	return strings.ReplaceAll(s, l.password, spec.Mask)
}

// wait waits for stderr to end and returns its last lines.
func (l *stderrLog) wait() string {
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.tail, "; ")
}

// toolError describes a failed tool run by its exit status and last stderr.
func toolError(tool string, err error, tail string) error {
	if tail == "" {
		return fmt.Errorf("%s failed: %w", tool, err)
	}
	return fmt.Errorf("%s failed (%v): %s", tool, err, tail)
}

// classifyTool adds the spec sentinel a tool's last words mean to err: the
// tools connect on their own, so a database dropped or a privilege revoked
// after the pre-flight shows up only here.
func classifyTool(err error, tail string) error {
	switch {
	case strings.Contains(tail, "permission denied"):
		return fmt.Errorf("%w: %w", err, spec.ErrPermission)
	case strings.Contains(tail, "password authentication failed"), strings.Contains(tail, "no password supplied"):
		return fmt.Errorf("%w: %w", err, spec.ErrUnauthenticated)
	case strings.Contains(tail, "database") && strings.Contains(tail, "does not exist"):
		return fmt.Errorf("%w: %w", err, spec.ErrNotFound)
	case strings.Contains(tail, "Connection refused"), strings.Contains(tail, "timeout expired"):
		return fmt.Errorf("%w: %w", err, spec.ErrUnavailable)
	}
	return err
}
