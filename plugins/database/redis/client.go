package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// engineName is the ServerInfo.Engine of Redis and of Valkey alike: their
// snapshots and DUMP payloads are one format, so a dump of one restores into
// the other (within the version limits checked by PrepareRestore).
const engineName = "redis"

// open connects to the configured server, for logical database db, and checks
// the credentials with a PING.
func open(ctx context.Context, c conn, db int) (*redis.Client, error) {
	client := redis.NewClient(&redis.Options{
		Addr:         c.addr(),
		Username:     c.username,
		Password:     c.password,
		DB:           db,
		DialTimeout:  c.connectTimeout,
		TLSConfig:    c.tlsConfig(),
		MaxRetries:   -1, // a refused password or a closed port is the answer, not a reason to retry
		Protocol:     2,  // RESP2: every supported server speaks it
		PoolSize:     2,
		ReadTimeout:  -1, // large DUMP replies take what they take; ctx bounds the call
		WriteTimeout: -1,
		// CLIENT SETINFO is unknown before Redis 7.2.
		DisableIdentity: true,
	})
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, classify(fmt.Sprintf("connect to %s", c.addr()), err)
	}
	return client, nil
}

// classify wraps a client error with the spec sentinel it means.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%s: timed out: %w (%w)", what, spec.ErrUnavailable, err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "WRONGPASS"), strings.HasPrefix(msg, "NOAUTH"),
		strings.Contains(msg, "invalid password"), strings.Contains(msg, "invalid username-password pair"),
		strings.Contains(msg, "AUTH <password> called without any password configured"):
		return fmt.Errorf("%s: the server refused the user name or password (%s): %w", what, msg, spec.ErrUnauthenticated)
	case strings.HasPrefix(msg, "NOPERM"):
		return fmt.Errorf("%s: the user lacks a permission (%s): %w", what, msg, spec.ErrPermission)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) ||
		strings.Contains(msg, "connection refused") || strings.Contains(msg, "EOF") {
		return fmt.Errorf("%s: %w (%w)", what, spec.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// info is one section of INFO, as key → value.
type info map[string]string

// readInfo runs INFO section and parses its "key:value" lines.
func readInfo(ctx context.Context, client *redis.Client, section string) (info, error) {
	raw, err := client.Info(ctx, section).Result()
	if err != nil {
		return nil, classify("INFO "+section, err)
	}
	return parseInfo(raw), nil
}

func parseInfo(raw string) info {
	out := info{}
	sc := bufio.NewScanner(strings.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

// serverInfo reads what Test reports from INFO server. Valkey reports a
// Redis-compatible redis_version (7.2.4) beside its own valkey_version, and
// names itself in server_name.
func serverInfo(in info) database.ServerInfo {
	flavour, version := "Redis", in["redis_version"]
	if in["server_name"] == "valkey" || in["valkey_version"] != "" {
		flavour = "Valkey"
		if v := in["valkey_version"]; v != "" {
			version = v
		}
	}
	edition := flavour
	if mode := in["redis_mode"]; mode != "" {
		edition += " (" + mode + ")"
	}
	return database.ServerInfo{Engine: engineName, Version: version, Edition: edition}
}

// keyspace is the key count of each non-empty logical database, from INFO
// keyspace ("db0:keys=3,expires=0,avg_ttl=0").
func keyspace(in info) map[int]int64 {
	out := map[int]int64{}
	for k, v := range in {
		n, ok := strings.CutPrefix(k, "db")
		if !ok {
			continue
		}
		db, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		for _, field := range strings.Split(v, ",") {
			if cnt, ok := strings.CutPrefix(field, "keys="); ok {
				if keys, err := strconv.ParseInt(cnt, 10, 64); err == nil && keys > 0 {
					out[db] = keys
				}
			}
		}
	}
	return out
}

// Test reports the server and checks the credentials.
func (e *engine) Test(ctx context.Context, cfg spec.Config) (database.ServerInfo, error) {
	c, err := parseConfig(cfg)
	if err != nil {
		return database.ServerInfo{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.connectTimeout+5*time.Second)
	defer cancel()
	client, err := open(ctx, c, 0)
	if err != nil {
		return database.ServerInfo{}, err
	}
	defer client.Close()
	in, err := readInfo(ctx, client, "server")
	if err != nil {
		return database.ServerInfo{}, err
	}
	return serverInfo(in), nil
}

// ListDatabases lists the one database, the instance, with the memory the
// server uses for it (used_memory: an RDB is usually several times smaller).
func (e *engine) ListDatabases(ctx context.Context, cfg spec.Config) ([]database.DatabaseInfo, error) {
	c, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	client, err := open(ctx, c, 0)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	in, err := readInfo(ctx, client, "memory")
	if err != nil {
		return nil, err
	}
	size := int64(-1)
	if n, err := strconv.ParseInt(in["used_memory"], 10, 64); err == nil {
		size = n
	}
	return []database.DatabaseInfo{{Name: instanceName, SizeBytes: size}}, nil
}
