package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/dbkeep/dbkeep/sdk/databasetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// resolveServer returns the DSN of a real PostgreSQL server, a superuser's.
func resolveServer(t testing.TB) string {
	t.Helper()
	return testserver.Resolve(t, testserver.Server{
		Name: "PostgreSQL", Env: "DBKEEP_TEST_POSTGRES_DSN", Container: postgresContainer,
	})
}

// postgresContainer starts postgres:15 for machines with Docker.
func postgresContainer(ctx context.Context, t testing.TB) (string, error) {
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        "postgres:15",
			Env:          map[string]string{"POSTGRES_HOST_AUTH_METHOD": "trust"},
			ExposedPorts: []string{"5432/tcp"},
			// The entrypoint starts the server twice: once to initialise.
			WaitingFor: wait.ForLog("database system is ready to accept connections").WithOccurrence(2).WithStartupTimeout(2 * time.Minute),
		},
		Started: true,
	})
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { testcontainers.TerminateContainer(c) })
	host, err := c.Host(ctx)
	if err != nil {
		return "", err
	}
	port, err := c.MappedPort(ctx, "5432/tcp")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", net.JoinHostPort(host, port.Port())), nil
}

// configFrom turns a DSN into the plugin's configuration.
func configFrom(t testing.TB, dsn string) spec.Config {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DBKEEP_TEST_POSTGRES_DSN: %v", err)
	}
	cfg := spec.Config{fieldHost: u.Hostname(), fieldPort: "5432", fieldUser: u.User.Username(), fieldSSLMode: "prefer"}
	if p := u.Port(); p != "" {
		cfg[fieldPort] = p
	}
	if pw, ok := u.User.Password(); ok {
		cfg[fieldPassword] = pw
	}
	if db := u.Path; len(db) > 1 {
		cfg[fieldDatabase] = db[1:]
	}
	if m := u.Query().Get("sslmode"); m != "" {
		cfg[fieldSSLMode] = m
	}
	return cfg
}

// admin connects to database db of the test server as the DSN's user.
func admin(t testing.TB, dsn, db string) *pgx.Conn {
	t.Helper()
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if db != "" {
		cc.Database = db
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		t.Fatalf("connect to the test server (database %q): %v", cc.Database, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustExec(t testing.TB, conn *pgx.Conn, q string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// uniqueName is a database name no other test run uses.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("dbkeep_pgtest_%s_%s", prefix, hex.EncodeToString(b))
}

// dropLater drops database name when t ends, whoever created it.
func dropLater(t testing.TB, dsn, name string) {
	t.Cleanup(func() {
		cc, err := pgx.ParseConfig(dsn)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, cc)
		if err != nil {
			t.Errorf("drop %q: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %q: %v", name, err)
		}
	})
}

// createDB creates an empty database, dropped when t ends.
func createDB(t testing.TB, dsn, name string) {
	t.Helper()
	mustExec(t, admin(t, dsn, ""), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	dropLater(t, dsn, name)
}

// closedPort is a loopback port nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return strconv.Itoa(port)
}

func TestConformance(t *testing.T) {
	dsn := resolveServer(t)
	cfg := configFrom(t, dsn)
	small, large := uniqueName("awkward"), uniqueName("large")
	createDB(t, dsn, small)
	seedAwkward(t, admin(t, dsn, small), false)
	createDB(t, dsn, large)
	seedAwkward(t, admin(t, dsn, large), true)

	unreachable := configFrom(t, dsn)
	unreachable[fieldHost], unreachable[fieldPort] = "127.0.0.1", closedPort(t)
	var n atomic.Int64
	databasetest.Run(t, databasetest.Options{
		Plugin:   plugin(),
		Config:   cfg,
		Database: small,
		Large:    large,
		RestoreTarget: func(t testing.TB) string {
			name := fmt.Sprintf("%s_restored_%d", small, n.Add(1))
			dropLater(t, dsn, name)
			return name
		},
		Compare: func(t testing.TB, source, target string) {
			t.Helper()
			compareDatabases(t, dsn, cfg, source, target)
		},
		InvalidConfigs: []databasetest.InvalidConfig{
			{Name: "missing host", Config: spec.Config{fieldUser: "postgres"}, Fields: []string{fieldHost}},
			{Name: "unknown sslmode", Config: with(cfg, fieldSSLMode, "sometimes"), Fields: []string{fieldSSLMode}},
			{Name: "port out of range", Config: with(cfg, fieldPort, "70000"), Fields: []string{fieldPort}},
			{Name: "pg_dump option off the list", Config: with(cfg, fieldDumpOptions, "--no-comments --file=/etc/passwd"), Fields: []string{fieldDumpOptions}},
			{Name: "pg_dump format", Config: with(cfg, fieldDumpOptions, "--format=plain"), Fields: []string{fieldDumpOptions}},
			{Name: "password with a line break", Config: with(cfg, fieldPassword, "a\nb"), Fields: []string{fieldPassword}},
			{Name: "key without certificate", Config: with(cfg, fieldSSLKey, "KEY"), Fields: []string{fieldSSLCert}},
			{Name: "unknown field", Config: with(cfg, "dsn", "x"), Fields: []string{"dsn"}},
		},
		SeededRows:  seededRows,
		Unreachable: unreachable,
		Timeout:     3 * time.Minute,
	})
}

// with returns a copy of cfg with field set to value.
func with(cfg spec.Config, field, value string) spec.Config {
	out := spec.Config{}
	for k, v := range cfg {
		out[k] = v
	}
	out[field] = value
	return out
}
