package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// command builds a tool invocation: an argument list (never a shell), an
// environment without inherited Redis credentials plus env, and its own
// process group killed on cancellation.
func command(ctx context.Context, tool string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tool, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REDISCLI_AUTH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	database.KillGroupOnCancel(cmd)
	return cmd
}

// toolLog forwards a tool's output, line by line, to a Reporter with the
// password masked, and keeps the last lines for the error message.
type toolLog struct {
	password string
	mu       sync.Mutex
	tail     []string
	done     chan struct{}
}

const tailLines = 5

func forwardLines(r io.Reader, rep spec.Reporter, password string) *toolLog {
	l := &toolLog{password: password, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(l.redact(sc.Text()))
			if line == "" {
				continue
			}
			level := spec.LevelInfo
			lower := strings.ToLower(line)
			if strings.Contains(lower, "error") || strings.Contains(lower, "fatal") || strings.Contains(lower, "can't") {
				level = spec.LevelError
			} else if strings.Contains(lower, "warning") {
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

func (l *toolLog) redact(s string) string {
	if l.password == "" {
		return s
	}
	return strings.ReplaceAll(s, l.password, spec.Mask)
}

// lastLines waits for the output to end and returns its last lines.
func (l *toolLog) lastLines() string {
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.tail, "; ")
}
