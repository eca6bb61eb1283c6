package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// testServer is the real MariaDB (or MySQL) server the tests use, from
// DBKEEP_TEST_MYSQL_DSN ("mysql://root@127.0.0.1:3306/", user[:password]).
func testServer(t testing.TB) spec.Config {
	t.Helper()
	dsn := testserver.Resolve(t, testserver.Server{Name: "MariaDB", Env: "DBKEEP_TEST_MYSQL_DSN"})
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "mysql" || u.Host == "" {
		t.Fatalf("DBKEEP_TEST_MYSQL_DSN=%q: want mysql://user[:password]@host:port/", dsn)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, "3306"
	}
	pw, _ := u.User.Password()
	return spec.Config{fieldHost: host, fieldPort: port, fieldUser: u.User.Username(), fieldPassword: pw}
}

// admin opens a connection for seeding and checking, outside the plugin.
func admin(t testing.TB, cfg spec.Config, db string) *sql.DB {
	t.Helper()
	c, err := parseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.Passwd, mc.DBName = "tcp", c.addr(), c.user, c.password, db
	mc.Timeout = 10 * time.Second
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		t.Fatal(err)
	}
	sdb := sql.OpenDB(conn)
	sdb.SetMaxOpenConns(1) // session variables must stay on one connection
	t.Cleanup(func() { sdb.Close() })
	if err := sdb.Ping(); err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	return sdb
}

// uniqueName returns a database name no other test uses.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// createDB creates an empty database and drops it when the test ends.
func createDB(t testing.TB, cfg spec.Config, name string) {
	t.Helper()
	db := admin(t, cfg, "")
	mustExec(t, db, "CREATE DATABASE "+quoteIdent(name)+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	dropLater(t, cfg, name)
}

// dropLater drops the database when the test ends, whether it exists or not.
func dropLater(t testing.TB, cfg spec.Config, name string) {
	t.Helper()
	t.Cleanup(func() {
		db := admin(t, cfg, "")
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + quoteIdent(name)); err != nil {
			t.Errorf("drop %q: %v", name, err)
		}
	})
}

func mustExec(t testing.TB, db *sql.DB, queries ...string) {
	t.Helper()
	for _, q := range queries {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", short(q), err)
		}
	}
}

func short(q string) string {
	if len(q) > 120 {
		return q[:120] + "..."
	}
	return q
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func withField(cfg spec.Config, kv ...string) spec.Config {
	out := spec.Config{}
	for k, v := range cfg {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}
