package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// scramPassword is the superuser's password on the password-checking
// server; ':' and '\' need escaping in a libpq password file.
const scramPassword = `pa:ss\wörd 🔑`

// resolveScramServer returns the DSN (without password) of a server that
// checks passwords (scram-sha-256), which the shared test server, trusting
// loopback, does not. Where the PostgreSQL server binaries are installed it
// starts a private one for the test; otherwise the usual resolution applies
// (DBKEEP_TEST_POSTGRES_SCRAM_DSN, whose user's password must be
// scramPassword, then a container).
func resolveScramServer(t *testing.T) string {
	t.Helper()
	const env = "DBKEEP_TEST_POSTGRES_SCRAM_DSN"
	if os.Getenv(env) == "" {
		if bin := serverBinaries(); bin != "" {
			return startPrivateServer(t, bin, nil).dsn
		}
	}
	return testserver.Resolve(t, testserver.Server{Name: "PostgreSQL with password authentication", Env: env, Container: scramContainer})
}

// binDirEnv names a directory holding initdb and postgres, for machines
// where they are not under /usr/lib/postgresql.
const binDirEnv = "DBKEEP_TEST_POSTGRES_BINDIR"

// serverBinaries is the directory of initdb and postgres: $binDirEnv, else
// the newest /usr/lib/postgresql/*/bin holding both, else "".
func serverBinaries() string {
	if d := os.Getenv(binDirEnv); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return a > b
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d
		}
	}
	return ""
}

// serverTLS is what a private server needs to accept only TLS connections
// with a client certificate: PEM files' contents.
type serverTLS struct {
	cert, key, clientCA string
}

// startPrivateServer runs initdb and postgres in a temporary directory, on a
// free loopback port, with scram-sha-256 authentication, until t ends. As
// root it runs them as the postgres user, since PostgreSQL refuses root.
// With tls, TCP connections must use TLS and present a client certificate
// signed by tls.clientCA, besides the password.
func startPrivateServer(t *testing.T, bin string, tls *serverTLS) privateServer {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "dbkeep-pg-") // short: it holds the socket
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, a private PostgreSQL needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
		cmd.Dir = dir
		return cmd
	}
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(scramPassword+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if out, err := run("initdb", "--pgdata="+data, "--username=postgres", "--pwfile="+pwfile,
		"--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := closedPort(t)
	args := []string{"-D", data, "-p", port, "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"}
	if tls != nil {
		files := map[string]string{"server.crt": tls.cert, "server.key": tls.key, "client-ca.crt": tls.clientCA,
			"pg_hba.conf": "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-full\n"}
		for name, content := range files {
			path := filepath.Join(data, name)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if cred != nil {
				if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
					t.Fatal(err)
				}
			}
		}
		args = append(args, "-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key", "-c", "ssl_ca_file=client-ca.crt")
	}
	srv := run("postgres", args...)
	logf, err := os.Create(filepath.Join(t.TempDir(), "postgres.log"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGINT) // fast shutdown
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second): // a stuck shutdown must not hang the test binary
			syscall.Kill(-srv.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	addr := net.JoinHostPort("127.0.0.1", port)
	socket := (&url.URL{Scheme: "postgres", User: url.UserPassword("postgres", scramPassword), Path: "/postgres",
		RawQuery: url.Values{"host": {dir}, "port": {port}}.Encode()}).String()
	// Listening is not ready: until recovery ends the server answers
	// "the database system is starting up". Wait for a real session.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, socket)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("private postgres on %s did not accept a session: %v\n%s", addr, err, log)
		}
	}
	return privateServer{
		dsn:    "postgres://postgres@" + addr + "/postgres?sslmode=disable",
		socket: socket,
	}
}

// privateServer is how to reach a server startPrivateServer started.
type privateServer struct {
	// dsn is its TCP address, without the password.
	dsn string
	// socket is the superuser's DSN over the Unix socket, password included,
	// for the test's own connections (no client certificate needed).
	socket string
}

// scramContainer starts postgres:15 with a password: the image then checks
// passwords (scram-sha-256) on TCP connections.
func scramContainer(ctx context.Context, t testing.TB) (string, error) {
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        "postgres:15",
			Env:          map[string]string{"POSTGRES_PASSWORD": scramPassword},
			ExposedPorts: []string{"5432/tcp"},
			WaitingFor:   wait.ForLog("database system is ready to accept connections").WithOccurrence(2).WithStartupTimeout(2 * time.Minute),
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

// withPassword puts password into a DSN, for the test's own connections.
func withPassword(t testing.TB, dsn, password string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}
