package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// The mongodump mode: MongoDB's own tools, when installed beside the plugin.
// Checked only where those tools exist (not on the project's machines).
const (
	formatArchive    = "mongodump-archive"
	extensionArchive = "archive"
	metaToolVersion  = "mongodump_version"
)

// toolFiles is a private directory holding the tools' --config file (the
// connection string and password: never argv) and the CA certificate.
type toolFiles struct {
	dir, config string
	secrets     []string // values to mask in tool output
}

func newToolFiles(s settings) (*toolFiles, error) {
	dir, err := os.MkdirTemp("", "dbkeep-mongodb-")
	if err != nil {
		return nil, err
	}
	tf := &toolFiles{dir: dir, config: filepath.Join(dir, "config.yaml")}
	uri := s.uri
	if uri == "" {
		u := url.URL{Scheme: "mongodb", Host: strings.Join(s.hosts, ","), Path: "/"}
		if s.user != "" {
			u.User = url.User(s.user)
		}
		q := url.Values{}
		if s.authSource != "" {
			q.Set("authSource", s.authSource)
		}
		if s.replicaSet != "" {
			q.Set("replicaSet", s.replicaSet)
		}
		if s.tls {
			q.Set("tls", "true")
		}
		u.RawQuery = q.Encode()
		uri = u.String()
	}
	extra := url.Values{}
	if s.ca != "" {
		ca := filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(ca, []byte(s.ca), 0o600); err != nil {
			tf.Close()
			return nil, err
		}
		extra.Set("tlsCAFile", ca)
	}
	if s.tlsInsecure {
		extra.Set("tlsInsecure", "true")
	}
	if len(extra) > 0 {
		sep := "?"
		if strings.Contains(uri, "?") {
			sep = "&"
		}
		uri += sep + extra.Encode()
	}
	// JSON strings are valid YAML double-quoted scalars.
	q := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	body := "uri: " + q(uri) + "\n"
	if s.password != "" {
		body += "password: " + q(s.password) + "\n"
		tf.secrets = append(tf.secrets, s.password)
	}
	if u, err := url.Parse(uri); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			tf.secrets = append(tf.secrets, pw)
		}
	}
	if err := os.WriteFile(tf.config, []byte(body), 0o600); err != nil {
		tf.Close()
		return nil, err
	}
	return tf, nil
}

func (tf *toolFiles) Close() { os.RemoveAll(tf.dir) }

// toolCommand builds a tool's command, in its own process group that is
// killed when ctx ends.
func toolCommand(ctx context.Context, name string, args ...string) (*exec.Cmd, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("dump-tool is %q but %s is not installed beside the plugin (install the MongoDB Database Tools, or use the native dump): %w", toolMongodump, name, spec.ErrUnsupported)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	database.KillGroupOnCancel(cmd)
	return cmd, nil
}

// mongodump streams `mongodump --archive` of one database into w.
func mongodump(ctx context.Context, s settings, srv database.ServerInfo, name string, w database.DumpWriter) error {
	tf, err := newToolFiles(s)
	if err != nil {
		return err
	}
	defer tf.Close()
	cmd, err := toolCommand(ctx, "mongodump", "--config="+tf.config, "--archive", "--db="+name)
	if err != nil {
		return err
	}
	meta := map[string]string{}
	if v, err := exec.CommandContext(ctx, cmd.Path, "--version").Output(); err == nil {
		meta[metaToolVersion] = strings.TrimSpace(strings.SplitN(string(v), "\n", 2)[0])
	}
	if err := w.Begin(database.DumpHeader{Database: name, Format: formatArchive, Extension: extensionArchive, Server: srv, Metadata: meta}); err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	done := forwardStderr(cmd, w, "mongodump", tf.secrets)
	if err := cmd.Start(); err != nil {
		done()
		return fmt.Errorf("start mongodump: %w", err)
	}
	_, copyErr := io.Copy(&progressWriter{w: w, rep: w, stage: "dump"}, stdout)
	if copyErr != nil && cmd.Process != nil {
		cmd.Cancel()
	}
	waitErr := cmd.Wait()
	tail := done()
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("dump cancelled: %w", ctx.Err())
	case copyErr != nil:
		return fmt.Errorf("dump: %w", copyErr)
	case waitErr != nil:
		return fmt.Errorf("mongodump failed: %v: %s", waitErr, tail)
	}
	return nil
}

// mongorestore applies an archive from in to database target, renaming the
// source's namespaces.
func mongorestore(ctx context.Context, s settings, source, target string, drop bool, in io.Reader, rep spec.Reporter) error {
	tf, err := newToolFiles(s)
	if err != nil {
		return err
	}
	defer tf.Close()
	args := []string{"--config=" + tf.config, "--archive", "--nsInclude=" + source + ".*",
		"--nsFrom=" + source + ".*", "--nsTo=" + target + ".*"}
	if drop {
		args = append(args, "--drop")
	}
	cmd, err := toolCommand(ctx, "mongorestore", args...)
	if err != nil {
		return err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	done := forwardStderr(cmd, rep, "mongorestore", tf.secrets)
	if err := cmd.Start(); err != nil {
		done()
		return fmt.Errorf("start mongorestore: %w", err)
	}
	_, copyErr := io.Copy(stdin, in)
	stdin.Close()
	if copyErr != nil {
		cmd.Cancel()
	}
	waitErr := cmd.Wait()
	tail := done()
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("restore cancelled: %w", ctx.Err())
	case copyErr != nil && !errors.Is(copyErr, os.ErrClosed):
		return fmt.Errorf("restore: %w", copyErr)
	case waitErr != nil:
		return fmt.Errorf("mongorestore failed: %v: %s", waitErr, tail)
	}
	return nil
}

// forwardStderr sends the tool's stderr to rep line by line, secrets masked,
// and returns a function that waits for the end and gives the last lines.
func forwardStderr(cmd *exec.Cmd, rep spec.Reporter, tool string, secrets []string) func() string {
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	var mu sync.Mutex
	var last []string
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			for _, s := range secrets {
				line = strings.ReplaceAll(line, s, spec.Mask)
			}
			rep.Log(spec.LevelInfo, tool+": "+line)
			mu.Lock()
			last = append(last, line)
			if len(last) > 5 {
				last = last[1:]
			}
			mu.Unlock()
		}
		io.Copy(io.Discard, pr)
	}()
	return func() string {
		pw.Close()
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(last, " | ")
	}
}
