package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/studio-b12/gowebdav"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/storagetest"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// server is a real WebDAV server for the tests, from DBKEEP_TEST_WEBDAV_URL
// (http://USER:PASS@HOST:PORT/PATH; make test-services runs rclone serve
// webdav).
type server struct {
	url        string // without credentials
	user, pass string
	hostPort   string
	admin      *gowebdav.Client
}

func davServer(t *testing.T) server {
	t.Helper()
	raw := testserver.Resolve(t, testserver.Server{Name: "WebDAV", Env: "DBKEEP_TEST_WEBDAV_URL"})
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Host == "" {
		t.Fatalf("DBKEEP_TEST_WEBDAV_URL %q: want http://USER:PASS@HOST:PORT[/PATH]", raw)
	}
	pass, _ := u.User.Password()
	srv := server{user: u.User.Username(), pass: pass, hostPort: u.Host}
	u.User = nil
	srv.url = u.String()
	srv.admin = gowebdav.NewClient(srv.url, srv.user, srv.pass)
	if err := srv.admin.Connect(); err != nil {
		t.Fatalf("connect to the test WebDAV server: %v", err)
	}
	return srv
}

// folder makes a folder of the test's own and removes it, with whatever is
// left in it, at the end; it returns its path below the URL.
func (srv server) folder(t *testing.T) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	dir := "dbkeep-test-" + hex.EncodeToString(b[:])
	if err := srv.admin.MkdirAll(dir+"/backups", 0o755); err != nil {
		t.Fatal(err)
	}
	testserver.Remove(t, dir, func() error { return srv.removeFolder(dir) })
	return dir + "/backups"
}

// removeFolder removes a test's folder through the protocol or, when the
// server refuses, from the disk of the server make test-services runs.
// rclone's server answers 405 for minutes when an aborted PUT wrote its
// file after the plugin's DELETE: the file is on disk but not in the
// server's cached listing, so its folder is "not empty" to it. The plugin
// cannot see that file either; the daily sweep removes it once the listing
// shows it.
func (srv server) removeFolder(dir string) error {
	err := srv.admin.RemoveAll(dir)
	if err == nil || os.Getenv("DBKEEP_TEST_SERVICES") == "" {
		return err
	}
	disk := filepath.Join(os.Getenv("DBKEEP_TEST_SERVICES"), "webdav", dir)
	if _, serr := os.Stat(disk); serr != nil {
		return err // another server than the one make test-services runs
	}
	return os.RemoveAll(disk)
}

// files lists every file under dir, by path relative to it.
func (srv server) files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	var walk func(rel string)
	walk = func(rel string) {
		entries, err := srv.admin.ReadDir(dir + "/" + rel)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			p := rel + e.Name()
			if e.IsDir() {
				walk(p + "/")
			} else {
				out = append(out, p)
			}
		}
	}
	walk("")
	slices.Sort(out)
	return out
}

func (srv server) config(dir string) spec.Config {
	return spec.Config{"url": srv.url, "user": srv.user, "password": srv.pass, "path": dir}
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
	srv := davServer(t)
	valid := srv.config(srv.folder(t))
	storagetest.Run(t, storagetest.Options{
		Plugin: plugin(),
		Config: valid,
		InvalidConfigs: []storagetest.InvalidConfig{
			{Name: "missing-url", Config: with(valid, "url", ""), Fields: []string{"url"}},
			{Name: "url-not-http", Config: with(valid, "url", "ftp://example.com/"), Fields: []string{"url"}},
			{Name: "url-with-credentials", Config: with(valid, "url", "https://u:p@example.com/dav"), Fields: []string{"url"}},
			{Name: "password-without-user", Config: with(valid, "user", ""), Fields: []string{"user"}},
			{Name: "ca-garbage", Config: with(valid, "ca-certificate", "not a certificate"), Fields: []string{"ca-certificate"}},
			{Name: "tls-verify-not-bool", Config: with(valid, "tls-verify", "maybe"), Fields: []string{"tls-verify"}},
			{Name: "path-escapes", Config: with(valid, "path", "a/../../etc"), Fields: []string{"path"}},
			{Name: "unknown-field", Config: with(valid, "bucket", "b"), Fields: []string{"bucket"}},
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

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	srv := davServer(t)
	cfg := srv.config(srv.folder(t))
	cfg["password"] = "not-the-password"
	_, err := start(t).Test(t.Context(), cfg)
	wantIs(t, "test with a wrong password", err, spec.ErrUnauthenticated)
	wantText(t, "test with a wrong password", err, `"`+srv.user+`"`, "refused")
}

func TestMissingFolder(t *testing.T) {
	t.Parallel()
	srv := davServer(t)
	dir := srv.folder(t) + "/not/there"
	st := start(t)
	_, err := st.Test(t.Context(), srv.config(dir))
	wantIs(t, "test on a missing folder", err, spec.ErrNotFound)
	wantText(t, "test on a missing folder", err, dir, "does not exist")
	_, err = st.Upload(t.Context(), srv.config(dir), storage.UploadRequest{Name: "a", SizeHint: 1}, strings.NewReader("a"))
	wantIs(t, "upload to a missing folder", err, spec.ErrNotFound)
	if _, err := srv.admin.Stat(dir); !gowebdav.IsErrNotFound(err) {
		t.Errorf("the missing folder was created: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = start(t).Test(t.Context(), spec.Config{"url": "http://" + addr + "/dav"})
	wantIs(t, "test on a closed port", err, spec.ErrUnavailable)
	wantText(t, "test on a closed port", err, addr)
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

// waitNoFiles waits until dir holds no file: the plugin removes a failed
// upload's temporary file after answering.
func (srv server) waitNoFiles(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := srv.files(t, dir)
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
	srv := davServer(t)
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
	srv := davServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: 3}, strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: -1}, &failAfter{n: 2 << 20, err: errors.New("broke")}); err == nil {
		t.Fatal("upload from a failing source succeeded")
	}
	b, err := srv.admin.Read(dir + "/db.sql")
	if err != nil || string(b) != "old" {
		t.Errorf("after a failed overwrite the object holds %q, %v; want the previous object", b, err)
	}
}

func TestTemporaryFilesAreNeverObjects(t *testing.T) {
	t.Parallel()
	srv := davServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	// What a crash mid-upload leaves behind.
	for _, p := range []string{storage.TempPrefix + "crashed", "set/" + storage.TempPrefix + "crashed"} {
		if err := srv.admin.Write(dir+"/"+p, []byte("half"), 0o644); err != nil {
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
// and names that only look like an escape once decoded are stored as the
// literal names they are, inside the folder.
func TestNamesStayInTheFolder(t *testing.T) {
	t.Parallel()
	srv := davServer(t)
	parent := srv.folder(t)
	dir := parent + "/inner"
	if err := srv.admin.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := srv.config(dir)
	st := start(t)
	for _, name := range []string{"../escaped", "/escaped", "a/../../escaped", `..\escaped`} {
		_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: name, SizeHint: 1}, strings.NewReader("x"))
		wantIs(t, "upload of "+name, err, spec.ErrInvalidArgument)
	}
	for _, name := range []string{"%2e%2e/encoded", "%2E%2E%2Fslash", "a b?c#d"} {
		if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: name, SizeHint: 1}, strings.NewReader("x")); err != nil {
			t.Fatalf("upload %q: %v", name, err)
		}
		if _, err := st.Stat(t.Context(), cfg, name); err != nil {
			t.Errorf("stat %q: %v", name, err)
		}
	}
	want := []string{"inner/%2E%2E%2Fslash", "inner/%2e%2e/encoded", "inner/a b?c#d"}
	if diff := cmp.Diff(want, srv.files(t, parent)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
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
	srv := davServer(t)
	dir := srv.folder(t)
	proxy := newDropProxy(t, srv.hostPort)
	cfg := srv.config(dir)
	cfg["url"] = strings.Replace(srv.url, srv.hostPort, proxy.addr(), 1)
	st := start(t)
	const name = "set/dropped.sql"
	done := make(chan error, 1)
	go func() {
		_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: name, SizeHint: -1}, endless{t.Context()})
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for proxy.sent.Load() < 4<<20 {
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
	for _, f := range srv.files(t, dir) {
		if !storage.IsTemp(f) {
			t.Errorf("after the drop the folder holds %q", f)
		}
	}
	var listed []string
	if err := st.List(t.Context(), cfg, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil || len(listed) > 0 {
		t.Errorf("list after the drop: %q, %v", listed, err)
	}
}

// TestQuotaAnswers: RFC 4331 answers as servers give them (rclone, the test
// server, gives none).
func TestQuotaAnswers(t *testing.T) {
	for _, c := range []struct {
		body, want string
	}{
		{`<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/dav/</d:href><d:propstat><d:prop><d:quota-available-bytes>1073741824</d:quota-available-bytes><d:quota-used-bytes>1073741824</d:quota-used-bytes></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`,
			"1.0 GiB free of a 2.0 GiB quota"},
		{`<?xml version="1.0"?><multistatus xmlns="DAV:"><response><href>/</href><propstat><prop><quota-available-bytes>-3</quota-available-bytes><quota-used-bytes>5</quota-used-bytes></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>`,
			""},
		{`<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/</d:href><d:propstat><d:prop><d:quota-available-bytes/><d:quota-used-bytes/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat></d:response></d:multistatus>`,
			""},
		{`not xml`, ""},
	} {
		got, ok := parseQuota(strings.NewReader(c.body))
		if got != c.want || ok != (c.want != "") {
			t.Errorf("parseQuota(%.60q...) = %q, %v; want %q", c.body, got, ok, c.want)
		}
	}
}

// TestReadOnly: a server that lets the user read but not write fails Test
// and uploads with a permission error, whatever status it chose to say so.
func TestReadOnly(t *testing.T) {
	t.Parallel()
	srv := davServer(t)
	dir := srv.folder(t)
	raw := testserver.Resolve(t, testserver.Server{Name: "read-only WebDAV", Env: "DBKEEP_TEST_WEBDAV_READONLY_URL"})
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		t.Fatalf("DBKEEP_TEST_WEBDAV_READONLY_URL %q: want http://USER:PASS@HOST:PORT[/PATH]", raw)
	}
	pass, _ := u.User.Password()
	cfg := spec.Config{"url": (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String(), "user": u.User.Username(), "password": pass, "path": dir}
	st := start(t)
	_, err = st.Test(t.Context(), cfg)
	wantIs(t, "test on a read-only server", err, spec.ErrPermission)
	wantText(t, "test on a read-only server", err, "read-only")
	_, err = st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: 1}, strings.NewReader("x"))
	wantIs(t, "upload to a read-only server", err, spec.ErrPermission)
}
