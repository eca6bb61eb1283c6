package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// tool is a client program found on PATH.
type tool struct {
	path    string
	version string // its --version line, recorded in the dump's metadata
	mariadb bool   // MariaDB's build: its TLS options differ from MySQL's
}

// Tool names, in order of preference per server flavour. MariaDB's dump tool
// understands MariaDB-only objects (sequences, system-versioned tables) and
// MySQL 8's mysqldump fails against MariaDB (column statistics), so a MariaDB
// server gets MariaDB's tools; mysqldump is the fallback because older
// MariaDB packages install only that name.
var (
	dumpTools   = map[string][]string{engineMariaDB: {"mariadb-dump", "mysqldump"}, engineMySQL: {"mysqldump"}}
	clientTools = map[string][]string{engineMariaDB: {"mariadb", "mysql"}, engineMySQL: {"mysql"}}
)

// findTool returns the first of names on PATH, with its version.
func findTool(ctx context.Context, names []string) (tool, error) {
	for _, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		out, err := exec.CommandContext(ctx, p, "--version").Output()
		if err != nil {
			return tool{}, fmt.Errorf("%s --version: %w", p, err)
		}
		v := strings.TrimSpace(string(out))
		return tool{path: p, version: v, mariadb: strings.Contains(v, "MariaDB")}, nil
	}
	return tool{}, fmt.Errorf("none of %s is installed on the plugin's host (install the MariaDB or MySQL client): %w",
		strings.Join(names, ", "), spec.ErrUnsupported)
}

// optionFile is a private directory holding the client option file and the
// TLS files it points at; remove deletes them all.
type optionFile struct {
	dir  string
	path string
}

// writeOptionFile writes c's connection settings, the password included, to
// a 0600 file in a fresh 0700 directory: the tools read it through
// --defaults-extra-file, so no secret is ever on a command line or in the
// environment of a process others can inspect.
func writeOptionFile(c conn, t tool) (*optionFile, error) {
	dir, err := os.MkdirTemp("", "dbkeep-mysql-*")
	if err != nil {
		return nil, fmt.Errorf("option file: %w", err)
	}
	o := &optionFile{dir: dir, path: filepath.Join(dir, "client.cnf")}
	var b strings.Builder
	b.WriteString("[client]\n")
	set := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, optionValue(v)) }
	set("host", c.host)
	set("port", fmt.Sprint(c.port))
	set("user", c.user)
	set("password", c.password) // even empty: the tools must never prompt
	set("protocol", "TCP")      // "localhost" would otherwise mean the Unix socket
	files := map[string]string{"ssl-ca": c.ca, "ssl-cert": c.cert, "ssl-key": c.key}
	for _, k := range []string{"ssl-ca", "ssl-cert", "ssl-key"} {
		if files[k] == "" {
			continue
		}
		p := filepath.Join(dir, k+".pem")
		if err := os.WriteFile(p, []byte(files[k]), 0o600); err != nil {
			o.remove()
			return nil, fmt.Errorf("option file: %w", err)
		}
		set(k, p)
	}
	if t.mariadb {
		switch c.sslMode {
		case sslDisabled:
			b.WriteString("skip-ssl\n")
		case sslRequired:
			b.WriteString("ssl\n")
		case sslVerifyCA, sslVerifyIdentity:
			// MariaDB's tools have no CA-only mode: they check the name too.
			b.WriteString("ssl\nssl-verify-server-cert\n")
		}
	} else {
		set("ssl-mode", strings.ToUpper(strings.ReplaceAll(c.sslMode, "-", "_")))
	}
	// Only the client knows connect-timeout (the dump tools refuse it); the
	// dump's own connection follows the plugin's, which checked the server.
	fmt.Fprintf(&b, "[mysql]\nconnect-timeout=%d\n", int(c.timeout.Seconds()))
	if err := os.WriteFile(o.path, []byte(b.String()), 0o600); err != nil {
		o.remove()
		return nil, fmt.Errorf("option file: %w", err)
	}
	return o, nil
}

func (o *optionFile) remove() { os.RemoveAll(o.dir) }

// arg is the first argument of every tool run: the option file must come
// first, the tools ignore --defaults-extra-file anywhere else.
func (o *optionFile) arg() string { return "--defaults-extra-file=" + o.path }

// optionValue quotes v for an option file, which unquotes one pair of quotes
// and reads \\ and \" inside.
func optionValue(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// process is a running tool whose stderr goes to a Reporter.
type process struct {
	cmd  *exec.Cmd
	name string
	tail func() string
}

// start runs t with args in its own process group, killed with everything it
// started when ctx ends, and forwards each stderr line to rep with secret
// masked. The caller sets up stdin and stdout through prepare, which is
// called before the tool starts.
func start(ctx context.Context, t tool, args []string, rep spec.Reporter, secret string, prepare func(*exec.Cmd) error) (*process, error) {
	cmd := exec.CommandContext(ctx, t.path, args...)
	database.KillGroupOnCancel(cmd)
	cmd.Env = toolEnv()
	name := filepath.Base(t.path)
	if err := prepare(cmd); err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", t.path, err)
	}
	return &process{cmd: cmd, name: name, tail: forwardStderr(stderr, name, rep, secret)}, nil
}

// wait waits for the tool and returns an error mapped to the SDK's sentinels
// when it failed. The caller has finished reading its stdout.
func (p *process) wait(ctx context.Context) error {
	msg := p.tail() // all of stderr first: Wait closes the pipe
	err := p.cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s stopped: %w", p.name, ctx.Err())
	case err != nil:
		return classifyTool(p.name, err, msg)
	}
	return nil
}

// toolEnv is the plugin's environment without the variables through which
// the tools would take a password or options from elsewhere.
func toolEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "MYSQL_PWD", "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT", "MARIADB_HOST", "MYSQL_HISTFILE":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// forwardStderr logs each line of r to rep as it arrives, with the secret
// masked, and returns a function that waits for the end of r and gives the
// last lines, for the error message.
func forwardStderr(r io.Reader, name string, rep spec.Reporter, secret string) func() string {
	var (
		mu    sync.Mutex
		last  []string
		done  = make(chan struct{})
		clean = strings.NewReplacer()
	)
	// Any password is masked, however short: a garbled log line is a
	// smaller harm than a leaked password.
	if secret != "" {
		clean = strings.NewReplacer(secret, spec.Mask)
	}
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := clean.Replace(sc.Text())
			if strings.TrimSpace(line) == "" {
				continue
			}
			level := spec.LevelInfo
			if strings.Contains(strings.ToLower(line), "error") {
				level = spec.LevelError
			} else if strings.Contains(strings.ToLower(line), "warning") {
				level = spec.LevelWarn
			}
			rep.Log(level, name+": "+line)
			mu.Lock()
			if last = append(last, line); len(last) > 5 {
				last = last[1:]
			}
			mu.Unlock()
		}
		if err := sc.Err(); err != nil && !errors.Is(err, os.ErrClosed) {
			rep.Log(spec.LevelWarn, name+": reading stderr: "+err.Error())
		}
		// A line too long for the scanner must not leave the tool blocked
		// on a full stderr pipe.
		io.Copy(io.Discard, r)
	}()
	return func() string {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(last, "\n")
	}
}
