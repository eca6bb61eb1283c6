package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/databasetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// sshServer is the test SSH server: DBKEEP_TEST_SSH_URL is
// ssh://USER@HOST:PORT/?state=DIR, where DIR holds what test-services made:
// password, id_ed25519 (the user's key) and host_ed25519_key.pub.
type sshServer struct {
	host, port, user      string
	password, key, hostFP string
	uid, gid              int
}

func resolveSSH(t testing.TB) sshServer {
	t.Helper()
	raw := testserver.Resolve(t, testserver.Server{Name: "OpenSSH server", Env: "DBKEEP_TEST_SSH_URL"})
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "ssh" || u.Query().Get("state") == "" {
		t.Fatalf("DBKEEP_TEST_SSH_URL %q: want ssh://user@host:port/?state=DIR", raw)
	}
	state := u.Query().Get("state")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(state, name))
		if err != nil {
			skipOrFail(t, fmt.Sprintf("SSH test server state: %v (make test-services makes it, as root)", err))
		}
		return string(b)
	}
	s := sshServer{host: u.Hostname(), port: u.Port(), user: u.User.Username(),
		password: strings.TrimSpace(read("password")), key: read("id_ed25519")}
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(read("host_ed25519_key.pub")))
	if err != nil {
		t.Fatal(err)
	}
	s.hostFP = ssh.FingerprintSHA256(pub)
	acct, err := user.Lookup(s.user)
	if err != nil {
		t.Fatalf("the SSH test account: %v", err)
	}
	s.uid, _ = strconv.Atoi(acct.Uid)
	s.gid, _ = strconv.Atoi(acct.Gid)
	return s
}

// config is a key-login remote configuration for the file at p.
func (s sshServer) config(p string) spec.Config {
	return spec.Config{fieldPath: p, fieldSSHHost: s.host, fieldSSHPort: s.port, fieldSSHUser: s.user,
		fieldSSHKey: s.key, fieldSSHHostKey: s.hostFP}
}

// sharedDir makes a folder the SSH account owns (the test runs as root and
// plays the remote host's filesystem), removed when the test ends.
func (s sshServer) sharedDir(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dbkeep-ssh-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// MkdirTemp makes it 0700 for root: let the account through to what
	// it will own inside. Only this folder: never its parent (/tmp).
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if name != "" {
		dir = filepath.Join(dir, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s.chown(t, dir)
	return dir
}

func (s sshServer) chown(t testing.TB, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.Chown(p, s.uid, s.gid); err != nil {
			skipOrFail(t, fmt.Sprintf("give %s to the SSH test account (the remote tests run as root): %v", p, err))
		}
	}
}

// seedShared seeds a database at p and gives it to the SSH account.
func (s sshServer) seedShared(t testing.TB, p string) {
	t.Helper()
	seed(t, p)
	for _, f := range []string{p, p + "-wal", p + "-shm"} {
		if _, err := os.Stat(f); err == nil {
			s.chown(t, f)
		}
	}
}

// skipOrFail skips the test, or fails it under CI, where nothing may skip.
func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if testserver.CI() {
		t.Fatal("CI=true: " + msg)
	}
	t.Skip(msg)
}

func TestRemoteConformance(t *testing.T) {
	srv := resolveSSH(t)
	dir := srv.sharedDir(t, "")
	src := filepath.Join(dir, "shop.db")
	srv.seedShared(t, src)
	var n atomic.Int64
	cfg := srv.config(src)
	databasetest.Run(t, databasetest.Options{
		Plugin:   plugin(),
		Config:   cfg,
		Database: "shop",
		RestoreTarget: func(t testing.TB) string {
			p := filepath.Join(dir, fmt.Sprintf("restored-%d.db", n.Add(1)))
			t.Cleanup(func() { removeWithSidecars(p) })
			return p
		},
		Compare: func(t testing.TB, source, target string) {
			t.Helper()
			compareFiles(t, src, target)
		},
		InvalidConfigs: []databasetest.InvalidConfig{
			{Name: "no login", Config: spec.Config{fieldPath: src, fieldSSHHost: srv.host, fieldSSHUser: "u", fieldSSHHostKey: srv.hostFP}, Fields: []string{fieldSSHPassword}},
			{Name: "no host key", Config: spec.Config{fieldPath: src, fieldSSHHost: srv.host, fieldSSHUser: "u", fieldSSHPassword: "p"}, Fields: []string{fieldSSHHostKey}},
			{Name: "bad key", Config: spec.Config{fieldPath: src, fieldSSHHost: srv.host, fieldSSHUser: "u", fieldSSHKey: "nope", fieldSSHHostKey: srv.hostFP}, Fields: []string{fieldSSHKey}},
			{Name: "host with user", Config: spec.Config{fieldPath: src, fieldSSHHost: "u@h", fieldSSHUser: "u", fieldSSHPassword: "p", fieldSSHHostKey: srv.hostFP}, Fields: []string{fieldSSHHost}},
			{Name: "relative path", Config: spec.Config{fieldPath: "shop.db", fieldSSHHost: srv.host, fieldSSHUser: "u", fieldSSHPassword: "p", fieldSSHHostKey: srv.hostFP}, Fields: []string{fieldPath}},
			{Name: "sqlite3 option", Config: spec.Config{fieldPath: src, fieldSSHHost: srv.host, fieldSSHUser: "u", fieldSSHPassword: "p", fieldSSHHostKey: srv.hostFP, fieldSQLite3: "-cmd"}, Fields: []string{fieldSQLite3}},
		},
		SeededRows:  seededRows,
		Unreachable: srv.config(filepath.Join(dir, "absent", "nothing.db")),
	})
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "dbkeep") {
			t.Errorf("temporary file left beside the source: %s", e.Name())
		}
	}
}

// memDump is a DumpWriter into memory, for small databases.
type memDump struct {
	header database.DumpHeader
	buf    bytes.Buffer
}

func (d *memDump) Begin(h database.DumpHeader) error { d.header = h; return nil }
func (d *memDump) Write(p []byte) (int, error)       { return d.buf.Write(p) }
func (d *memDump) Log(spec.Level, string)            {}
func (d *memDump) Progress(spec.Progress)            {}

// smallDB makes a small database at p owned by the SSH account.
func smallDB(t testing.TB, srv sshServer, p string) {
	t.Helper()
	db, err := open(p, "rwc", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE t(x TEXT, b BLOB)", "INSERT INTO t VALUES ('ünï 🚀', x'00ff'), ('it''s', NULL)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	srv.chown(t, p)
}

// roundTrip dumps cfg's file and restores it to target, then compares.
func roundTrip(t *testing.T, cfg spec.Config, target string) {
	t.Helper()
	ctx := context.Background()
	e := &engine{}
	var d memDump
	name := dbName(cfg.String(fieldPath))
	if err := e.Dump(ctx, cfg, database.DumpRequest{Database: name}, &d); err != nil {
		t.Fatalf("Dump: %v", err)
	}
	plan, err := e.PrepareRestore(ctx, cfg, database.RestoreRequest{Source: d.header, TargetDatabase: target})
	if err != nil || len(plan.Problems) > 0 {
		t.Fatalf("PrepareRestore: %+v, %v", plan, err)
	}
	res, err := e.Restore(ctx, cfg, database.RestoreRequest{Source: d.header, TargetDatabase: target}, bytes.NewReader(d.buf.Bytes()), spec.Discard)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	compareFiles(t, cfg.String(fieldPath), res.TargetDatabase)
}

func TestRemotePasswordLogin(t *testing.T) {
	srv := resolveSSH(t)
	dir := srv.sharedDir(t, "")
	p := filepath.Join(dir, "pw.db")
	smallDB(t, srv, p)
	cfg := spec.Config{fieldPath: p, fieldSSHHost: srv.host, fieldSSHPort: srv.port, fieldSSHUser: srv.user,
		fieldSSHPassword: srv.password, fieldSSHHostKey: srv.hostFP}
	info, err := (&engine{}).Test(context.Background(), cfg)
	if err != nil || info.Version == "" || !strings.Contains(info.Edition, srv.hostFP) {
		t.Fatalf("Test with a password: %+v, %v", info, err)
	}
	roundTrip(t, cfg, "pw-copy")

	cfg[fieldSSHPassword] = "wrong"
	if _, err := (&engine{}).Test(context.Background(), cfg); !errors.Is(err, spec.ErrUnauthenticated) {
		t.Errorf("Test with a wrong password = %v, want ErrUnauthenticated", err)
	}
}

// TestRemoteAwkwardPaths round-trips a database whose folder and file names
// hold spaces, quotes, a command substitution and a leading dash: each must
// reach the remote shell as one literal word.
func TestRemoteAwkwardPaths(t *testing.T) {
	srv := resolveSSH(t)
	// The SSH account's home, where a command would run, is /tmp.
	pwned := "/tmp/dbkeep-pwned"
	os.Remove(pwned)
	dir := srv.sharedDir(t, `-odd dir 'q' "d" $(touch dbkeep-pwned) `+"`touch dbkeep-pwned`")
	p := filepath.Join(dir, `-my db's $(id) ü.sqlite`)
	smallDB(t, srv, p)
	cfg := srv.config(p)
	if dbs, err := (&engine{}).ListDatabases(context.Background(), cfg); err != nil || len(dbs) != 1 || dbs[0].SizeBytes <= 0 {
		t.Fatalf("ListDatabases: %+v, %v", dbs, err)
	}
	roundTrip(t, cfg, `-copy 'of' $(id)`)
	roundTrip(t, cfg, "") // in place: the previous file is kept as .bak-*
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("a path was run as a command on the remote host")
	}
	baks, _ := filepath.Glob(filepath.Join(dir, "*.bak-*"))
	if len(baks) != 1 {
		t.Errorf("backups of the replaced file: %v, want one", baks)
	}
}

func TestRemoteHostKey(t *testing.T) {
	srv := resolveSSH(t)
	dir := srv.sharedDir(t, "")
	p := filepath.Join(dir, "k.db")
	smallDB(t, srv, p)
	cfg := srv.config(p)
	cfg[fieldSSHHostKey] = "SHA256:" + strings.Repeat("A", 43)
	if _, err := (&engine{}).Test(context.Background(), cfg); !errors.Is(err, spec.ErrUnauthenticated) || !strings.Contains(err.Error(), srv.hostFP) {
		t.Errorf("Test with another host key pinned = %v, want a refusal naming the presented key", err)
	}
	closed := srv.config(p)
	closed[fieldSSHPort] = "1"
	if _, err := (&engine{}).Test(context.Background(), closed); !errors.Is(err, spec.ErrUnavailable) {
		t.Errorf("Test of a closed SSH port = %v, want ErrUnavailable", err)
	}
	cfg[fieldSSHHostKey], cfg[fieldSSHTOFU] = "", "true"
	info, err := (&engine{}).Test(context.Background(), cfg)
	if err != nil || !strings.Contains(info.Edition, srv.hostFP) || !strings.Contains(info.Edition, "trusted on first use") {
		t.Errorf("Test trusting on first use = %+v, %v; want the fingerprint reported", info, err)
	}
}

// TestRemoteTruncatedDumpLeavesTarget restores a cut dump over an existing
// file: refused, the target unchanged, no temporary file left.
func TestRemoteTruncatedDumpLeavesTarget(t *testing.T) {
	srv := resolveSSH(t)
	dir := srv.sharedDir(t, "")
	p := filepath.Join(dir, "big.db")
	srv.seedShared(t, p)
	cfg := srv.config(p)
	var d memDump
	if err := (&engine{}).Dump(context.Background(), cfg, database.DumpRequest{Database: "big"}, &d); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target.db")
	smallDB(t, srv, target)
	before, _ := os.ReadFile(target)
	cut := bytes.NewReader(d.buf.Bytes()[:d.buf.Len()/2])
	if _, err := (&engine{}).Restore(context.Background(), cfg, database.RestoreRequest{Source: d.header, TargetDatabase: target}, cut, spec.Discard); err == nil {
		t.Fatal("a cut dump was restored")
	}
	if after, _ := os.ReadFile(target); !bytes.Equal(before, after) {
		t.Error("the target changed")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "dbkeep") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
