package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jlaffaye/ftp"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/storagetest"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// server is a real FTP server for the tests: DBKEEP_TEST_FTP_URL
// (ftp://USER:PASS@HOST:PORT, plain; make test-services runs rclone serve
// ftp) or DBKEEP_TEST_FTPS_URL (ftps://USER:PASS@HOST:PORT?ca=FILE, explicit
// TLS, or implicit with &tls=implicit, trusting the certificate in FILE;
// make test-services runs internal/testservers/ftps).
type server struct {
	host, port, user, pass string
	tlsMode                string
	ca                     string // PEM, with TLS
	admin                  *ftp.ServerConn
}

func plainServer(t *testing.T) server {
	t.Helper()
	return ftpServer(t, "FTP", "DBKEEP_TEST_FTP_URL")
}

func ftpsServer(t *testing.T) server {
	t.Helper()
	return ftpServer(t, "FTPS", "DBKEEP_TEST_FTPS_URL")
}

func ftpServer(t *testing.T, label, env string) server {
	t.Helper()
	raw := testserver.Resolve(t, testserver.Server{Name: label, Env: env})
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Port() == "" {
		t.Fatalf("%s %q: want ftp://USER:PASS@HOST:PORT or ftps://USER:PASS@HOST:PORT?ca=FILE", env, raw)
	}
	pass, _ := u.User.Password()
	srv := server{host: u.Hostname(), port: u.Port(), user: u.User.Username(), pass: pass, tlsMode: tlsNone}
	opts := []ftp.DialOption{ftp.DialWithTimeout(10 * time.Second)}
	if u.Scheme == "ftps" {
		srv.tlsMode = tlsExplicit
		if u.Query().Get("tls") == tlsImplicit {
			srv.tlsMode = tlsImplicit
		}
		ca, err := os.ReadFile(u.Query().Get("ca"))
		if err != nil {
			t.Fatalf("%s: the certificate to trust (?ca=FILE): %v", env, err)
		}
		srv.ca = string(ca)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		conf := &tls.Config{RootCAs: pool, ServerName: srv.host}
		if srv.tlsMode == tlsImplicit {
			opts = append(opts, ftp.DialWithTLS(conf))
		} else {
			opts = append(opts, ftp.DialWithExplicitTLS(conf))
		}
	}
	srv.admin, err = ftp.Dial(u.Host, opts...)
	if err == nil {
		err = srv.admin.Login(srv.user, pass)
	}
	if err != nil {
		t.Fatalf("connect to the test %s server: %v", label, err)
	}
	t.Cleanup(func() { srv.admin.Quit() })
	return srv
}

// folder makes a folder of the test's own and removes it, with whatever is
// left in it, at the end; it returns its absolute path.
func (srv server) folder(t *testing.T) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	dir := "/dbkeep-test-" + hex.EncodeToString(b[:])
	for _, d := range []string{dir, dir + "/backups"} {
		if err := srv.admin.MakeDir(d); err != nil {
			t.Fatal(err)
		}
	}
	testserver.Remove(t, dir, func() error { return srv.admin.RemoveDirRecur(dir) })
	return dir + "/backups"
}

// files lists every path under dir, folders with a trailing slash.
func (srv server) files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	w := srv.admin.Walk(dir)
	for w.Next() {
		if w.Err() != nil {
			t.Fatal(w.Err())
		}
		if w.Path() == dir {
			continue
		}
		rel := strings.TrimPrefix(w.Path(), dir+"/")
		if w.Stat().Type == ftp.EntryTypeFolder {
			rel += "/"
		}
		out = append(out, rel)
	}
	slices.Sort(out)
	return out
}

func (srv server) config(dir string) spec.Config {
	cfg := spec.Config{
		"host": srv.host, "port": srv.port, "user": srv.user, "password": srv.pass,
		"tls": srv.tlsMode, "path": dir,
	}
	if srv.ca != "" {
		cfg["ca-certificate"] = srv.ca
	}
	return cfg
}

func with(valid spec.Config, kv ...string) spec.Config {
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

func TestConformance(t *testing.T) {
	srv := plainServer(t)
	valid := srv.config(srv.folder(t))
	storagetest.Run(t, storagetest.Options{
		Plugin: plugin(),
		Config: valid,
		InvalidConfigs: []storagetest.InvalidConfig{
			{Name: "missing-host", Config: with(valid, "host", ""), Fields: []string{"host"}},
			{Name: "host-is-a-url", Config: with(valid, "host", "ftp://example.com/x"), Fields: []string{"host"}},
			{Name: "port-out-of-range", Config: with(valid, "port", "70000"), Fields: []string{"port"}},
			{Name: "missing-user", Config: with(valid, "user", ""), Fields: []string{"user"}},
			{Name: "unknown-tls-mode", Config: with(valid, "tls", "sometimes"), Fields: []string{"tls"}},
			{Name: "ca-without-tls", Config: with(valid, "ca-certificate", selfSigned(t)), Fields: []string{"ca-certificate"}},
			{Name: "ca-garbage", Config: with(valid, "tls", tlsExplicit, "ca-certificate", "not a certificate"), Fields: []string{"ca-certificate"}},
			{Name: "path-escapes", Config: with(valid, "path", "/srv/../../etc"), Fields: []string{"path"}},
			{Name: "unknown-field", Config: with(valid, "bucket", "b"), Fields: []string{"bucket"}},
		},
	})
}

// TestConformanceTLS runs the kit over FTPS, control and data connections
// encrypted, the certificate verified against the test server's own.
func TestConformanceTLS(t *testing.T) {
	srv := ftpsServer(t)
	storagetest.Run(t, storagetest.Options{
		Plugin:    plugin(),
		Config:    srv.config(srv.folder(t)),
		LargeSize: 8 << 20,
	})
}

// selfSigned returns a fresh self-signed certificate in PEM.
func selfSigned(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dbkeep test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
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

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	cfg := srv.config(srv.folder(t))
	cfg["password"] = "not-the-password"
	_, err := start(t).Test(t.Context(), cfg)
	wantIs(t, "test with a wrong password", err, spec.ErrUnauthenticated)
	wantText(t, "test with a wrong password", err, `as "`+srv.user+`"`, "refused the password")
}

func TestMissingFolder(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	dir := srv.folder(t) + "/not/there"
	st := start(t)
	_, err := st.Test(t.Context(), srv.config(dir))
	wantIs(t, "test on a missing folder", err, spec.ErrNotFound)
	wantText(t, "test on a missing folder", err, dir, "does not exist")
	_, err = st.Upload(t.Context(), srv.config(dir), storage.UploadRequest{Name: "a", SizeHint: 1}, strings.NewReader("a"))
	wantIs(t, "upload to a missing folder", err, spec.ErrNotFound)
	if got := srv.files(t, path.Dir(path.Dir(dir))); slices.Contains(got, "not/") {
		t.Errorf("the missing folder was created: %q", got)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	cfg := srv.config("")
	cfg["port"] = port
	_, err = start(t).Test(t.Context(), cfg)
	wantIs(t, "test on a closed port", err, spec.ErrUnavailable)
	wantText(t, "test on a closed port", err, "127.0.0.1:"+port)
}

// TestUntrustedCertificate: a certificate that the configuration does not
// trust stops the connection before the password is sent.
func TestUntrustedCertificate(t *testing.T) {
	t.Parallel()
	srv := ftpsServer(t)
	cfg := srv.config(srv.folder(t))
	delete(cfg, "ca-certificate")
	_, err := start(t).Test(t.Context(), cfg)
	wantIs(t, "test with an untrusted certificate", err, spec.ErrUnauthenticated)
	wantText(t, "test with an untrusted certificate", err, "not signed by a trusted authority")

	// Verification off is the user's explicit choice, and Test says so.
	cfg["tls-verify"] = "false"
	detail, err := start(t).Test(t.Context(), cfg)
	if err != nil || !strings.Contains(detail, "NOT verified") {
		t.Errorf("test with verification off: %q, %v", detail, err)
	}
}

// TestTLSModeMismatch: asking for TLS from a server that has none, or
// implicit TLS from a plain port, names the fix.
func TestTLSModeMismatch(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	cfg := srv.config(srv.folder(t))
	st := start(t)
	cfg["tls"] = tlsExplicit
	_, err := st.Test(t.Context(), cfg)
	wantIs(t, "explicit TLS against a plain server", err, spec.ErrUnavailable)
	wantText(t, "explicit TLS against a plain server", err, "AUTH TLS")
	cfg["tls"] = tlsImplicit
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err = st.Test(ctx, cfg)
	wantIs(t, "implicit TLS against a plain server", err, spec.ErrUnavailable)
	wantText(t, "implicit TLS against a plain server", err, "does not speak TLS")
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

// regularFiles is files without folders.
func (srv server) regularFiles(t *testing.T, dir string) []string {
	var left []string
	for _, f := range srv.files(t, dir) {
		if !strings.HasSuffix(f, "/") {
			left = append(left, f)
		}
	}
	return left
}

// waitNoFiles waits until dir holds no file: the plugin removes a failed
// upload's temporary file after answering.
func (srv server) waitNoFiles(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := srv.regularFiles(t, dir)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("files left by failed uploads: %q", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFailedUploadsLeaveNoFile: List hides temporary files, so the server's
// folder itself is checked: a failing source and a cancelled caller leave
// no file, temporary or final.
func TestFailedUploadsLeaveNoFile(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	broken := errors.New("the dump broke")
	_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/failed.sql", SizeHint: -1}, &failAfter{n: 3 << 20, err: broken})
	wantIs(t, "upload from a failing source", err, broken)

	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	go func() {
		pw.Write(make([]byte, 2<<20))
		cancel()
	}()
	_, err = st.Upload(ctx, cfg, storage.UploadRequest{Name: "set/cancelled.sql", SizeHint: -1}, pr)
	wantIs(t, "cancelled upload", err, context.Canceled)
	srv.waitNoFiles(t, dir)
}

func TestFailedOverwriteKeepsThePreviousObject(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: 3}, strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: -1}, &failAfter{n: 2 << 20, err: errors.New("broke")}); err == nil {
		t.Fatal("upload from a failing source succeeded")
	}
	r, err := srv.admin.Retr(path.Join(dir, "db.sql"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(b) != "old" {
		t.Errorf("after a failed overwrite the object holds %q, %v; want the previous object", b, err)
	}
}

func TestTemporaryFilesAreNeverObjects(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	// What a crash mid-upload leaves behind.
	if err := srv.admin.MakeDir(dir + "/set"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{storage.TempPrefix + "crashed", "set/" + storage.TempPrefix + "crashed"} {
		if err := srv.admin.Stor(path.Join(dir, p), strings.NewReader("half")); err != nil {
			t.Fatal(err)
		}
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

// TestNamesStayInTheFolder: names that try to leave the folder are refused,
// and a name that only looks like an escape once decoded is stored as the
// literal name it is, inside the folder.
func TestNamesStayInTheFolder(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	for _, name := range []string{"../escaped", "/escaped", "a/../../escaped", `..\escaped`, "a\r\nDELE x"} {
		_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: name, SizeHint: 1}, strings.NewReader("x"))
		wantIs(t, "upload of "+name, err, spec.ErrInvalidArgument)
	}
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "%2e%2e/encoded", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"%2e%2e/", "%2e%2e/encoded"}, srv.files(t, dir)); diff != "" {
		t.Errorf("folder after the uploads (-want +got):\n%s", diff)
	}
	if got := srv.regularFiles(t, path.Dir(dir)); len(got) != 1 || got[0] != "backups/%2e%2e/encoded" {
		t.Errorf("outside the folder: %q", got)
	}
}

// TestDeleteRemovesEmptyFolders: pruning a set leaves no empty folder, and
// never the configured folder itself.
func TestDeleteRemovesEmptyFolders(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
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
}

// endless yields zeros until its context ends.
type endless struct{ ctx context.Context }

func (e endless) Read(p []byte) (int, error) {
	if err := e.ctx.Err(); err != nil {
		return 0, err
	}
	clear(p)
	return len(p), nil
}

// TestServerDroppedMidUpload: the server's connections all drop while an
// upload streams; the upload fails saying the connection was lost, and once
// the server is back nothing is under the final name (at most a temporary
// file, which List never shows).
func TestServerDroppedMidUpload(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	dir := srv.folder(t)
	proxy := newDropProxy(t, net.JoinHostPort(srv.host, srv.port))
	cfg := srv.config(dir)
	cfg["port"] = proxy.port()
	st := start(t)
	const name = "set/dropped.sql"
	done := make(chan error, 1)
	go func() {
		_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: name, SizeHint: -1}, endless{t.Context()})
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for proxy.dataBytes.Load() < 4<<20 {
		if time.Now().After(deadline) {
			t.Fatal("the upload did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	proxy.drop()
	var err error
	select {
	case err = <-done:
	case <-time.After(45 * time.Second):
		t.Fatal("the upload did not end after the server dropped")
	}
	wantIs(t, "upload when the server drops", err, spec.ErrUnavailable)
	wantText(t, "upload when the server drops", err, name, "connection was lost")

	proxy.restore()
	_, err = st.Stat(t.Context(), cfg, name)
	wantIs(t, "stat after the server is back", err, spec.ErrNotFound)
	for _, f := range srv.regularFiles(t, dir) {
		if !storage.IsTemp(f) {
			t.Errorf("after the drop the folder holds %q", f)
		}
	}
	var listed []string
	if err := st.List(t.Context(), cfg, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil || len(listed) > 0 {
		t.Errorf("list after the drop: %q, %v", listed, err)
	}
}

// TestReplyMeanings: FTP replies that no test server can be made to give
// (a full disk) get the same meanings as the ones it gives.
func TestReplyMeanings(t *testing.T) {
	for _, c := range []struct {
		code int
		msg  string
		want error
	}{
		{552, "Requested file action aborted. Exceeded storage allocation", spec.ErrNoSpace},
		{452, "Insufficient storage space in system", spec.ErrNoSpace},
		{550, "Permission denied", spec.ErrPermission},
		{550, "No such file or directory", spec.ErrNotFound},
		{553, "Could not create file.", spec.ErrPermission},
		{530, "Not logged in", spec.ErrUnauthenticated},
		{421, "Service not available, closing control connection", spec.ErrUnavailable},
		{450, "error during transfer: Read only file system", spec.ErrPermission},
		{451, "error during transfer: no space left on device", spec.ErrNoSpace},
	} {
		err := explain("upload", "x", "u", &textproto.Error{Code: c.code, Msg: c.msg})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%d %s: got %v, want %v with the server's words", c.code, c.msg, err, c.want)
		}
	}
}

// TestReadOnly: a server that lets the user read but not write fails Test
// and uploads with a permission error carrying the server's words.
func TestReadOnly(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	dir := srv.folder(t)
	raw := testserver.Resolve(t, testserver.Server{Name: "read-only FTP", Env: "DBKEEP_TEST_FTP_READONLY_URL"})
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Port() == "" {
		t.Fatalf("DBKEEP_TEST_FTP_READONLY_URL %q: want ftp://USER:PASS@HOST:PORT", raw)
	}
	pass, _ := u.User.Password()
	cfg := spec.Config{"host": u.Hostname(), "port": u.Port(), "user": u.User.Username(), "password": pass, "tls": tlsNone, "path": dir}
	st := start(t)
	_, err = st.Test(t.Context(), cfg)
	wantIs(t, "test on a read-only server", err, spec.ErrPermission)
	wantText(t, "test on a read-only server", err, "access denied", "Read only")
	_, err = st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: 1}, strings.NewReader("x"))
	wantIs(t, "upload to a read-only server", err, spec.ErrPermission)
}

// localCertificate makes a self-signed certificate for 127.0.0.1, returned
// as a server configuration and as the PEM a client trusts.
func localCertificate(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestConformanceImplicitTLS runs the kit with implicit TLS, control and
// data connections encrypted from the first byte. No test server here
// speaks it whole (rclone's implicit FTPS refuses PROT P), so the test
// fronts the plain FTP server with TLS of its own.
func TestConformanceImplicitTLS(t *testing.T) {
	srv := plainServer(t)
	conf, ca := localCertificate(t)
	proxy := newImplicitTLSProxy(t, net.JoinHostPort(srv.host, srv.port), conf)
	cfg := srv.config(srv.folder(t))
	cfg["tls"], cfg["port"], cfg["ca-certificate"] = tlsImplicit, proxy.port(), ca
	storagetest.Run(t, storagetest.Options{Plugin: plugin(), Config: cfg, LargeSize: 8 << 20})
}

// TestRelativeFolder: a folder given relative to the login folder (rclone's
// is the root) is the same folder as its absolute path.
func TestRelativeFolder(t *testing.T) {
	t.Parallel()
	srv := plainServer(t)
	dir := srv.folder(t)
	cfg := srv.config(strings.TrimPrefix(dir, "/"))
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: 2}, strings.NewReader("db")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"set/", "set/db.sql"}, srv.files(t, dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if info, err := st.Stat(t.Context(), cfg, "set/db.sql"); err != nil || info.Size != 2 {
		t.Errorf("stat: %+v, %v", info, err)
	}
	if err := st.Delete(t.Context(), cfg, "set/db.sql"); err != nil {
		t.Fatal(err)
	}
}
