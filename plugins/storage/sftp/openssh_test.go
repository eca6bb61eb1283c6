package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/storagetest"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// openSSH is the loopback OpenSSH server make test-services runs (for the
// SQLite plugin's remote mode too): DBKEEP_TEST_SSH_URL is
// ssh://USER@HOST:PORT/?state=DIR, where DIR holds the user's key
// (id_ed25519, authorized on the server) and the host's public key. Its
// sftp subsystem is OpenSSH's own, so key logins and host keys are tested
// against the server most people run. Nothing of its state is changed:
// the passphrase case encrypts a copy of the authorized key in memory.
type openSSH struct {
	host, port, user string
	key              []byte // the authorized private key, unencrypted PEM
	hostKey          string // the server's SHA256 fingerprint
	admin            *sftp.Client
}

func openSSHServer(t *testing.T) openSSH {
	t.Helper()
	raw := testserver.Resolve(t, testserver.Server{Name: "OpenSSH server", Env: "DBKEEP_TEST_SSH_URL"})
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "ssh" || u.User == nil || u.Query().Get("state") == "" {
		t.Fatalf("DBKEEP_TEST_SSH_URL %q: want ssh://USER@HOST:PORT/?state=DIR", raw)
	}
	state := u.Query().Get("state")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(state, name))
		if err != nil {
			t.Fatalf("OpenSSH test server state: %v (make test-services makes it)", err)
		}
		return b
	}
	srv := openSSH{host: u.Hostname(), port: u.Port(), user: u.User.Username(), key: read("id_ed25519")}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(read("host_ed25519_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	srv.hostKey = ssh.FingerprintSHA256(pub)
	signer, err := ssh.ParsePrivateKey(srv.key)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ssh.Dial("tcp", u.Host, &ssh.ClientConfig{
		User: srv.user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(pub), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("connect to the OpenSSH test server: %v", err)
	}
	srv.admin, err = sftp.NewClient(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.admin.Close(); sc.Close() })
	return srv
}

// folder makes a folder of the test's own, owned by the SSH account (the
// test plays the server's administrator, as root, like make test-services),
// removed with its contents at the end; it returns its path.
func (srv openSSH) folder(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dbkeep-sftp-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	acct, err := user.Lookup(srv.user)
	if err != nil {
		t.Fatalf("the SSH test account: %v", err)
	}
	uid, _ := strconv.Atoi(acct.Uid)
	gid, _ := strconv.Atoi(acct.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatalf("give %s to the SSH test account (the test runs as root, as make test-services does): %v", dir, err)
	}
	return dir
}

func (srv openSSH) config(dir string) spec.Config {
	return spec.Config{
		"host": srv.host, "port": srv.port, "user": srv.user,
		"private-key": string(srv.key), "host-key": srv.hostKey, "path": dir,
	}
}

// withPassphrase is the authorized key encrypted with passphrase, in
// OpenSSH's format, as ssh-keygen -p would write it.
func (srv openSSH) withPassphrase(t *testing.T, passphrase string) string {
	t.Helper()
	raw, err := ssh.ParseRawPrivateKey(srv.key)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(raw, "dbkeep-test-user", []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

// TestOpenSSHKeyLogin: against OpenSSH, a private key logs in with and
// without a passphrase, through the plugin boundary, and a whole round trip
// works (OpenSSH's posix-rename and statvfs extensions included).
func TestOpenSSHKeyLogin(t *testing.T) {
	t.Parallel()
	srv := openSSHServer(t)
	for _, c := range []struct {
		label      string
		passphrase string
	}{
		{"key", ""},
		{"key-with-passphrase", "correct horse battery staple"},
	} {
		t.Run(c.label, func(t *testing.T) {
			t.Parallel()
			cfg := srv.config(srv.folder(t))
			if c.passphrase != "" {
				cfg["private-key"] = srv.withPassphrase(t, c.passphrase)
				cfg["passphrase"] = c.passphrase
			}
			st := start(t)
			detail, err := st.Test(t.Context(), cfg)
			if err != nil {
				t.Fatalf("test with a key login: %v", err)
			}
			if !strings.Contains(detail, "verified") || !strings.Contains(detail, "free of") {
				t.Errorf("test detail %q: want the host key verified and the free space (statvfs)", detail)
			}
			data := make([]byte, 3<<20+17)
			rand.Read(data)
			for range 2 { // the second time over the first: an atomic replace
				info, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: -1}, bytes.NewReader(data))
				if err != nil || info.Size != int64(len(data)) {
					t.Fatalf("upload with a key login: %+v, %v", info, err)
				}
			}
			rc, err := st.Download(t.Context(), cfg, storage.DownloadRequest{Name: "set/db.sql"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("download with a key login: %d of %d bytes, %v", len(got), len(data), err)
			}
			if err := st.Delete(t.Context(), cfg, "set/db.sql"); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("wrong-passphrase", func(t *testing.T) {
		t.Parallel()
		cfg := srv.config(srv.folder(t))
		cfg["private-key"] = srv.withPassphrase(t, "right")
		cfg["passphrase"] = "wrong"
		_, err := start(t).Test(t.Context(), cfg)
		if fields := spec.FieldErrors(err); len(fields) != 1 || fields[0].Field != "passphrase" {
			t.Errorf("test with a wrong passphrase: %v; want an error on the passphrase field", err)
		}
	})
}

// TestOpenSSHRefusesAnUnknownKey: a key the server does not know is
// refused in words that name the user and the key.
func TestOpenSSHRefusesAnUnknownKey(t *testing.T) {
	t.Parallel()
	srv := openSSHServer(t)
	cfg := srv.config(srv.folder(t))
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "stranger")
	if err != nil {
		t.Fatal(err)
	}
	cfg["private-key"] = string(pem.EncodeToMemory(block))
	_, err = start(t).Test(t.Context(), cfg)
	wantIs(t, "test with a key the server does not know", err, spec.ErrUnauthenticated)
	wantText(t, "test with a key the server does not know", err, `as "`+srv.user+`"`, "refused the private key")
}

// TestOpenSSHHostKeyMismatch: OpenSSH presenting a key other than the one
// pinned is refused before anything is sent, naming both keys.
func TestOpenSSHHostKeyMismatch(t *testing.T) {
	t.Parallel()
	srv := openSSHServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	pinned := otherKey(t)
	cfg["host-key"] = pinned
	st := start(t)
	_, err := st.Test(t.Context(), cfg)
	wantIs(t, "test with another host key pinned", err, spec.ErrUnauthenticated)
	wantText(t, "test with another host key pinned", err, pinned, srv.hostKey, "intercepting")
	_, err = st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "x", SizeHint: 1}, strings.NewReader("x"))
	wantIs(t, "upload with another host key pinned", err, spec.ErrUnauthenticated)
	if entries, err := srv.admin.ReadDir(dir); err != nil || len(entries) > 0 {
		t.Errorf("files written despite the mismatch: %v, %v", entries, err)
	}
}

// TestOpenSSHConformance runs the whole storage contract against OpenSSH's
// own sftp server, logging in with a key: the server most users run, with
// its posix-rename and statvfs extensions. (The key is the unencrypted one:
// every call parses its configuration, and an encrypted key's bcrypt costs
// a noticeable part of a second each time; TestOpenSSHKeyLogin covers it.)
func TestOpenSSHConformance(t *testing.T) {
	t.Parallel()
	srv := openSSHServer(t)
	storagetest.Run(t, storagetest.Options{Plugin: plugin(), Config: srv.config(srv.folder(t))})
}
