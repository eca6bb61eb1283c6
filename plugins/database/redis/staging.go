package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// staging is a throw-away redis-server that has loaded a dump. It listens
// only on a Unix socket in a private 0700 directory and saves nothing.
type staging struct {
	cmd     *exec.Cmd
	socket  string
	version string
	exited  chan error
	log     *toolLog
	cancel  context.CancelFunc
}

// localServer finds redis-server, its flavour ("redis", or "valkey" where
// valkey-server stands in for it) and its version ("7.0.15").
func localServer(ctx context.Context) (path, flavour, version string, err error) {
	path, err = exec.LookPath("redis-server")
	if err != nil {
		return "", "", "", fmt.Errorf("redis-server is not installed on the plugin's host, and restores load the dump into a temporary one (Debian: redis-server): %w", err)
	}
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "", "", "", fmt.Errorf("redis-server --version: %w", err)
	}
	m := serverVersionRE.FindStringSubmatch(string(out))
	if m == nil {
		return "", "", "", fmt.Errorf("unrecognised redis-server version %q", strings.TrimSpace(string(out)))
	}
	flavour = "redis"
	if strings.HasPrefix(string(out), "Valkey") {
		flavour = "valkey"
	}
	return path, flavour, m[1], nil
}

// serverVersionRE reads "Redis server v=7.0.15 sha=..." (Valkey prints
// "Valkey server v=8.0.1 ...").
var serverVersionRE = regexp.MustCompile(`server v=([0-9]+\.[0-9]+(?:\.[0-9]+)?)`)

// startStaging starts redis-server on dir/dump.rdb and waits until it has
// loaded it. A dump it cannot load (truncated, damaged, from a newer server,
// holding a module type) fails here, before any target is touched.
func startStaging(ctx context.Context, dir string, databases int, rep spec.Reporter) (*staging, error) {
	bin, _, version, err := localServer(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &staging{socket: filepath.Join(dir, "redis.sock"), version: version, exited: make(chan error, 1), cancel: cancel}
	s.cmd = command(ctx, bin, nil,
		"--port", "0", // no TCP at all
		"--unixsocket", s.socket, "--unixsocketperm", "700",
		"--dir", dir, "--dbfilename", "dump.rdb",
		"--save", "", "--appendonly", "no",
		"--databases", strconv.Itoa(max(databases, 16)),
		"--maxmemory", "0", "--daemonize", "no", "--supervised", "no",
		"--loglevel", "warning", "--logfile", "",
	)
	s.cmd.Dir = dir
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s.log = forwardLines(out, rep, "")
	go func() { s.log.lastLines(); s.exited <- s.cmd.Wait() }()

	client := s.client(0)
	defer client.Close()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-s.exited:
			s.exited <- err
			s.stop()
			return nil, fmt.Errorf("the temporary redis-server %s could not load the dump (%v): %s", version, err, s.log.lastLines())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-tick.C:
		}
		err := client.Ping(ctx).Err()
		if err == nil {
			return s, nil
		}
		// LOADING while it reads the file; a refused dial before it listens.
	}
}

// client connects to logical database db of the staging server.
func (s *staging) client(db int) *redis.Client {
	return redis.NewClient(&redis.Options{
		Network: "unix", Addr: s.socket, DB: db, Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, PoolSize: 2, ReadTimeout: -1, WriteTimeout: -1,
	})
}

// stop kills the server and waits for it.
func (s *staging) stop() {
	s.cancel()
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
	}
}

// majorAtLeast7 reports whether the staging server knows PEXPIRETIME.
func (s *staging) majorAtLeast7() bool {
	major, _ := majorMinor(s.version)
	return major >= 7
}
