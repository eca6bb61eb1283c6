package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/storagetest"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// server is a real SFTP server for the tests, from DBKEEP_TEST_SFTP_URL
// (sftp://USER:PASS@HOST:PORT; make test-services runs rclone serve sftp).
type server struct {
	host, port, user, pass string
	// hostKey is the fingerprint the server presents, read with a bare
	// handshake: the plugin's own trust-on-first-use is under test.
	hostKey string
	admin   *sftp.Client
}

func sftpServer(t *testing.T) server {
	t.Helper()
	raw := testserver.Resolve(t, testserver.Server{Name: "SFTP", Env: "DBKEEP_TEST_SFTP_URL"})
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Port() == "" {
		t.Fatalf("DBKEEP_TEST_SFTP_URL %q: want sftp://USER:PASS@HOST:PORT", raw)
	}
	pass, _ := u.User.Password()
	srv := server{host: u.Hostname(), port: u.Port(), user: u.User.Username(), pass: pass}
	sc, err := ssh.Dial("tcp", u.Host, &ssh.ClientConfig{
		User: srv.user, Auth: []ssh.AuthMethod{ssh.Password(pass)}, Timeout: 10 * time.Second,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			srv.hostKey = ssh.FingerprintSHA256(key)
			return nil
		},
	})
	if err != nil {
		t.Fatalf("connect to the test SFTP server: %v", err)
	}
	srv.admin, err = sftp.NewClient(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.admin.Close(); sc.Close() })
	return srv
}

// folder makes a folder of the test's own and removes it, with whatever is
// left in it, at the end; it returns its absolute path.
func (srv server) folder(t *testing.T) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	dir := "/dbkeep-test-" + hex.EncodeToString(b[:])
	if err := srv.admin.MkdirAll(dir + "/backups"); err != nil {
		t.Fatal(err)
	}
	testserver.Remove(t, dir, func() error { return srv.admin.RemoveAll(dir) })
	return dir + "/backups"
}

// files lists every path under dir, folders with a trailing slash.
func (srv server) files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	w := srv.admin.Walk(dir)
	for w.Step() {
		if w.Err() != nil {
			t.Fatal(w.Err())
		}
		if w.Path() == dir {
			continue
		}
		rel := strings.TrimPrefix(w.Path(), dir+"/")
		if w.Stat().IsDir() {
			rel += "/"
		}
		out = append(out, rel)
	}
	return out
}

func (srv server) config(dir string) spec.Config {
	return spec.Config{
		"host": srv.host, "port": srv.port, "user": srv.user, "password": srv.pass,
		"host-key": srv.hostKey, "path": dir,
	}
}

func TestConformance(t *testing.T) {
	srv := sftpServer(t)
	valid := srv.config(srv.folder(t))
	with := func(kv ...string) spec.Config {
		c := spec.Config{}
		for k, v := range valid {
			c[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(c, kv[i])
			} else {
				c[kv[i]] = kv[i+1]
			}
		}
		return c
	}
	storagetest.Run(t, storagetest.Options{
		Plugin: plugin(),
		Config: valid,
		InvalidConfigs: []storagetest.InvalidConfig{
			{Name: "missing-host", Config: with("host", ""), Fields: []string{"host"}},
			{Name: "host-is-a-url", Config: with("host", "sftp://example.com/x"), Fields: []string{"host"}},
			{Name: "port-out-of-range", Config: with("port", "70000"), Fields: []string{"port"}},
			{Name: "missing-user", Config: with("user", ""), Fields: []string{"user"}},
			{Name: "no-way-to-log-in", Config: with("password", ""), Fields: []string{"password"}},
			{Name: "no-host-key", Config: with("host-key", ""), Fields: []string{"host-key"}},
			{Name: "host-key-garbage", Config: with("host-key", "SHA256:nope"), Fields: []string{"host-key"}},
			{Name: "host-key-md5", Config: with("host-key", "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"), Fields: []string{"host-key"}},
			{Name: "pinned-and-tofu", Config: with("trust-on-first-use", "true"), Fields: []string{"trust-on-first-use"}},
			{Name: "private-key-garbage", Config: with("private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), Fields: []string{"private-key"}},
			{Name: "passphrase-without-key", Config: with("passphrase", "x"), Fields: []string{"passphrase"}},
			{Name: "path-escapes", Config: with("path", "/srv/../../etc"), Fields: []string{"path"}},
			{Name: "unknown-field", Config: with("bucket", "b"), Fields: []string{"bucket"}},
		},
	})
}

// start serves the plugin through the real boundary.
func start(t *testing.T) host.StorageClient {
	t.Helper()
	return sdktest.Start(t, plugin()).Storage()
}

func wantIs(t *testing.T, what string, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: got %v, want an error matching %q", what, err, sentinel)
	}
}

func wantText(t *testing.T, what string, err error, words ...string) {
	t.Helper()
	for _, w := range words {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %v does not say %q", what, err, w)
		}
	}
}

// otherKey is the fingerprint of a key the server does not have.
func otherKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(sp)
}

func TestHostKeyMismatchIsRefused(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	cfg := srv.config(srv.folder(t))
	pinned := otherKey(t)
	cfg["host-key"] = "256 " + pinned + " root@elsewhere (ED25519)" // as ssh-keygen -lf prints it
	st := start(t)
	_, err := st.Test(t.Context(), cfg)
	wantIs(t, "test with another host key pinned", err, spec.ErrUnauthenticated)
	wantText(t, "test with another host key pinned", err, pinned, srv.hostKey, "intercepting")
	// Nothing may be sent to a server that failed to prove itself.
	_, err = st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "x", SizeHint: 1}, strings.NewReader("x"))
	wantIs(t, "upload with another host key pinned", err, spec.ErrUnauthenticated)
	if files := srv.files(t, cfg["path"]); len(files) > 0 {
		t.Errorf("files written despite the mismatch: %q", files)
	}
}

func TestTrustOnFirstUseReportsTheKey(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	cfg := srv.config(srv.folder(t))
	delete(cfg, "host-key")
	cfg["trust-on-first-use"] = "true"
	st := start(t)
	detail, err := st.Test(t.Context(), cfg)
	if err != nil {
		t.Fatalf("test trusting on first use: %v", err)
	}
	if !strings.Contains(detail, srv.hostKey) || !strings.Contains(detail, "pin") {
		t.Errorf("test detail %q does not report host key %s to pin", detail, srv.hostKey)
	}
	// The key is in errors too, so a user who cannot log in yet can pin it.
	cfg["password"] = "wrong"
	_, err = st.Test(t.Context(), cfg)
	wantIs(t, "test with a wrong password", err, spec.ErrUnauthenticated)
	wantText(t, "test with a wrong password", err, srv.hostKey)

	// The reported key, pinned, is accepted.
	cfg = srv.config(cfg["path"])
	cfg["host-key"] = strings.Fields(detail[strings.Index(detail, "SHA256:"):])[0]
	if detail, err := st.Test(t.Context(), cfg); err != nil || !strings.Contains(detail, "verified") {
		t.Errorf("test with the reported key pinned: %q, %v", detail, err)
	}
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	cfg := srv.config(srv.folder(t))
	cfg["password"] = "not-the-password"
	_, err := start(t).Test(t.Context(), cfg)
	wantIs(t, "test with a wrong password", err, spec.ErrUnauthenticated)
	wantText(t, "test with a wrong password", err, `as "`+srv.user+`"`, "refused the password")
}

func TestMissingFolder(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	dir := srv.folder(t) + "/not/there"
	st := start(t)
	_, err := st.Test(t.Context(), srv.config(dir))
	wantIs(t, "test on a missing folder", err, spec.ErrNotFound)
	wantText(t, "test on a missing folder", err, dir, "does not exist")
	_, err = st.Upload(t.Context(), srv.config(dir), storage.UploadRequest{Name: "a", SizeHint: 1}, strings.NewReader("a"))
	wantIs(t, "upload to a missing folder", err, spec.ErrNotFound)
	if _, err := srv.admin.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the missing folder was created: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	cfg := srv.config("/")
	cfg["port"] = port
	_, err = start(t).Test(t.Context(), cfg)
	wantIs(t, "test on a closed port", err, spec.ErrUnavailable)
	wantText(t, "test on a closed port", err, "127.0.0.1:"+port)
}

// failAfter yields n bytes of zeros, then fails.
type failAfter struct {
	n   int64
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	p = p[:min(int64(len(p)), f.n)]
	clear(p)
	f.n -= int64(len(p))
	return len(p), nil
}

// TestFailedUploadsLeaveNoFile: List hides temporary files, so the server's
// folder itself is checked: a failing source and a cancelled caller leave
// no file, temporary or final.
func TestFailedUploadsLeaveNoFile(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	broken := errors.New("the dump broke")
	_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/failed.sql", SizeHint: -1}, &failAfter{n: 3 << 20, err: broken})
	wantIs(t, "upload from a failing source", err, broken)

	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	// The source stalls, as a dump tool between tables: only the
	// cancellation ends the upload. Like the core's sources, it gives up
	// when the context does (the SDK's client waits on its source).
	context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	go func() {
		pw.Write(make([]byte, 2<<20))
		cancel()
	}()
	_, err = st.Upload(ctx, cfg, storage.UploadRequest{Name: "set/cancelled.sql", SizeHint: -1}, pr)
	wantIs(t, "cancelled upload", err, context.Canceled)

	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []string
		for _, f := range srv.files(t, dir) {
			if !strings.HasSuffix(f, "/") {
				left = append(left, f)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("files left by failed uploads: %q", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFailedOverwriteKeepsThePreviousObject(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: 3}, strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: -1}, &failAfter{n: 2 << 20, err: errors.New("broke")}); err == nil {
		t.Fatal("upload from a failing source succeeded")
	}
	f, err := srv.admin.Open(path.Join(dir, "db.sql"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || string(b) != "old" {
		t.Errorf("after a failed overwrite the object holds %q, %v; want the previous object", b, err)
	}
}

func TestTemporaryFilesAreNeverObjects(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	// What a crash mid-upload leaves behind.
	if err := srv.admin.MkdirAll(dir + "/set"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{storage.TempPrefix + "crashed", "set/" + storage.TempPrefix + "crashed"} {
		f, err := srv.admin.Create(path.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("half"))
		f.Close()
	}
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	var listed []string
	if err := st.List(t.Context(), cfg, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"set/db.sql"}, listed); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	_, err := st.Stat(t.Context(), cfg, "set/"+storage.TempPrefix+"crashed")
	wantIs(t, "stat of a temporary file", err, spec.ErrInvalidArgument)
}

// TestDeleteRemovesEmptyFolders: pruning a set leaves no empty folder, and
// never the configured folder itself.
func TestDeleteRemovesEmptyFolders(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	for _, name := range []string{"job/set1/a.sql", "job/set2/a.sql"} {
		if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: name, SizeHint: 1}, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Delete(t.Context(), cfg, "job/set1/a.sql"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"job/", "job/set2/", "job/set2/a.sql"}, srv.files(t, dir)); diff != "" {
		t.Errorf("after deleting a set (-want +got):\n%s", diff)
	}
	if err := st.Delete(t.Context(), cfg, "job/set2/a.sql"); err != nil {
		t.Fatal(err)
	}
	if got := srv.files(t, dir); len(got) > 0 {
		t.Errorf("after deleting everything: %q", got)
	}
	if _, err := srv.admin.Stat(dir); err != nil {
		t.Errorf("the configured folder itself went: %v", err)
	}
}

// TestPrivateKeyChecks: keys are checked when the configuration is, without
// a server: an encrypted key needs the right passphrase.
func TestPrivateKeyChecks(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ssh.MarshalPrivateKey(priv, "dbkeep")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "dbkeep", []byte("open sesame"))
	if err != nil {
		t.Fatal(err)
	}
	base := spec.Config{"host": "h", "user": "u", "trust-on-first-use": "true"}
	for _, c := range []struct {
		label, key, pass string
		field            string // "" when valid
	}{
		{"plain", string(pem.EncodeToMemory(plain)), "", ""},
		{"encrypted", string(pem.EncodeToMemory(enc)), "open sesame", ""},
		{"encrypted-without-passphrase", string(pem.EncodeToMemory(enc)), "", "passphrase"},
		{"encrypted-wrong-passphrase", string(pem.EncodeToMemory(enc)), "wrong", "passphrase"},
		{"plain-with-passphrase", string(pem.EncodeToMemory(plain)), "x", "passphrase"},
		{"truncated", string(pem.EncodeToMemory(plain))[:100], "", "private-key"},
	} {
		cfg := spec.Config{"private-key": c.key, "passphrase": c.pass}
		for k, v := range base {
			cfg[k] = v
		}
		_, err := parse(cfg)
		var got []string
		for _, fe := range spec.FieldErrors(err) {
			got = append(got, fe.Field)
		}
		var want []string
		if c.field != "" {
			want = []string{c.field}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: field errors (-want +got):\n%s\n%v", c.label, diff, err)
		}
	}
}

// TestHostKeyForms: the forms a user may paste all pin the same key.
func TestHostKeyForms(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := ssh.NewPublicKey(pub)
	fp := ssh.FingerprintSHA256(sp)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
	for _, raw := range []string{
		fp,
		"256 " + fp + " root@server (ED25519)",
		line + " root@server",
		"server.example.com,10.0.0.1 " + line,
	} {
		got, msg := parseFingerprint(raw)
		if msg != "" || got != fp {
			t.Errorf("%q: %q, %q; want %s", raw, got, msg, fp)
		}
	}
}
