package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	smb2 "github.com/cloudsoda/go-smb2"
	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/storagetest"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// server is a real SMB server for the tests, from DBKEEP_TEST_SMB_URL
// (smb://USER:PASS@HOST:PORT/SHARE; make test-services runs Samba with the
// share, and beside it SHARE-readonly and SHARE-encrypted on the same
// folder).
type server struct {
	host, port, user, pass, share string
	admin                         *smb2.Share
}

func smbServer(t *testing.T) server {
	t.Helper()
	raw := testserver.Resolve(t, testserver.Server{Name: "SMB", Env: "DBKEEP_TEST_SMB_URL"})
	u, err := url.Parse(raw)
	share := strings.Trim(u.Path, "/")
	if err != nil || u.Scheme != "smb" || u.User == nil || u.Port() == "" || share == "" || strings.Contains(share, "/") {
		t.Fatalf("DBKEEP_TEST_SMB_URL %q: want smb://USER:PASS@HOST:PORT/SHARE", raw)
	}
	pass, _ := u.User.Password()
	srv := server{host: u.Hostname(), port: u.Port(), user: u.User.Username(), pass: pass, share: share}
	d := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: srv.user, Password: pass}}
	sess, err := d.Dial(t.Context(), u.Host)
	if err != nil {
		t.Fatalf("connect to the test SMB server: %v", err)
	}
	srv.admin, err = sess.Mount(share)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.admin.Umount(); sess.Logoff() })
	return srv
}

// folder makes a folder of the test's own and removes it, with whatever is
// left in it, at the end; it returns its path in the share.
func (srv server) folder(t *testing.T) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	dir := "dbkeep-test-" + hex.EncodeToString(b[:])
	if err := srv.admin.MkdirAll(dir+"/backups", 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The plugin may still be removing a failed upload's temporary
		// file after the caller had its answer.
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := srv.admin.RemoveAll(dir)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("remove %s: %v", dir, err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	return dir + "/backups"
}

// files lists every path under dir, folders with a trailing slash.
func (srv server) files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	var walk func(rel string)
	walk = func(rel string) {
		entries, err := srv.admin.ReadDir(path.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range entries {
			p := path.Join(rel, fi.Name())
			if fi.IsDir() {
				out = append(out, p+"/")
				walk(p)
			} else {
				out = append(out, p)
			}
		}
	}
	walk("")
	return out
}

func (srv server) config(dir string) spec.Config {
	return spec.Config{
		"host": srv.host, "port": srv.port, "share": srv.share, "user": srv.user, "password": srv.pass, "path": dir,
	}
}

func TestConformance(t *testing.T) {
	srv := smbServer(t)
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
			{Name: "host-is-a-unc-path", Config: with("host", `\\server\share`), Fields: []string{"host"}},
			{Name: "host-is-a-url", Config: with("host", "smb://server/share"), Fields: []string{"host"}},
			{Name: "port-out-of-range", Config: with("port", "70000"), Fields: []string{"port"}},
			{Name: "missing-share", Config: with("share", ""), Fields: []string{"share"}},
			{Name: "share-with-folder", Config: with("share", "share/backups"), Fields: []string{"share"}},
			{Name: "missing-user", Config: with("user", ""), Fields: []string{"user"}},
			{Name: "path-escapes", Config: with("path", "a/../../etc"), Fields: []string{"path"}},
			{Name: "path-backslashes", Config: with("path", `a\b`), Fields: []string{"path"}},
			{Name: "dialect-unknown", Config: with("min-dialect", "1"), Fields: []string{"min-dialect"}},
			{Name: "encryption-needs-smb3", Config: with("min-dialect", "2", "require-encryption", "true"), Fields: []string{"require-encryption"}},
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
	t.Logf("%s: %v", what, err)
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
	srv := smbServer(t)
	cfg := srv.config(srv.folder(t))
	cfg["password"] = "not-the-password"
	_, err := start(t).Test(t.Context(), cfg)
	wantIs(t, "test with a wrong password", err, spec.ErrUnauthenticated)
	wantText(t, "test with a wrong password", err, `as "`+srv.user+`"`, "refused")
}

func TestMissingShare(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	cfg := srv.config("")
	cfg["share"] = "no-such-share"
	_, err := start(t).Test(t.Context(), cfg)
	wantIs(t, "test on a missing share", err, spec.ErrNotFound)
	wantText(t, "test on a missing share", err, "no-such-share", "does not exist")
}

func TestMissingFolder(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	dir := srv.folder(t) + "/not/there"
	st := start(t)
	_, err := st.Test(t.Context(), srv.config(dir))
	wantIs(t, "test on a missing folder", err, spec.ErrNotFound)
	wantText(t, "test on a missing folder", err, `not\there`, "does not exist")
	_, err = st.Upload(t.Context(), srv.config(dir), storage.UploadRequest{Name: "a", SizeHint: 1}, strings.NewReader("a"))
	wantIs(t, "upload to a missing folder", err, spec.ErrNotFound)
	if _, err := srv.admin.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the missing folder was created: %v", err)
	}
}

// TestReadOnlyShare: a share the user may read but not write fails Test
// and uploads as a permission problem, and keeps nothing.
func TestReadOnlyShare(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	cfg["share"] = srv.share + "-readonly"
	st := start(t)
	_, err := st.Test(t.Context(), cfg)
	wantIs(t, "test on a read-only share", err, spec.ErrPermission)
	wantText(t, "test on a read-only share", err, "access denied", srv.user)
	_, err = st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/a.sql", SizeHint: 1}, strings.NewReader("a"))
	wantIs(t, "upload to a read-only share", err, spec.ErrPermission)
	if files := srv.files(t, dir); len(files) > 0 {
		t.Errorf("files written to a read-only share: %q", files)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
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

// TestRequireEncryption: a share the server encrypts passes, and its
// objects round-trip; one it does not is refused before anything is sent.
func TestRequireEncryption(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	dir := srv.folder(t)
	st := start(t)

	plain := srv.config(dir)
	plain["require-encryption"] = "true"
	_, err := st.Test(t.Context(), plain)
	wantIs(t, "test requiring encryption of a plain share", err, spec.ErrPermission)
	wantText(t, "test requiring encryption of a plain share", err, "does not encrypt")

	enc := srv.config(dir)
	enc["share"] = srv.share + "-encrypted"
	enc["require-encryption"] = "true"
	detail, err := st.Test(t.Context(), enc)
	if err != nil || !strings.Contains(detail, "encrypted") {
		t.Fatalf("test requiring encryption of an encrypted share: %q, %v", detail, err)
	}
	data := make([]byte, 3<<20)
	rand.Read(data)
	if _, err := st.Upload(t.Context(), enc, storage.UploadRequest{Name: "x/db.sql", SizeHint: int64(len(data))}, strings.NewReader(string(data))); err != nil {
		t.Fatal(err)
	}
	rc, err := st.Download(t.Context(), enc, storage.DownloadRequest{Name: "x/db.sql"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != string(data) {
		t.Errorf("encrypted round trip: %d bytes, %v", len(got), err)
	}
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

// TestFailedUploadsLeaveNoFile: List hides temporary files, so the share's
// folder itself is checked: a failing source and a cancelled caller leave
// no file, temporary or final.
func TestFailedUploadsLeaveNoFile(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	broken := errors.New("the dump broke")
	_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/failed.sql", SizeHint: -1}, &failAfter{n: 3 << 20, err: broken})
	wantIs(t, "upload from a failing source", err, broken)

	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	// The source stalls, as a dump tool between tables: only the
	// cancellation ends the upload.
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
	srv := smbServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: 3}, strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: -1}, &failAfter{n: 2 << 20, err: errors.New("broke")}); err == nil {
		t.Fatal("upload from a failing source succeeded")
	}
	if b, err := srv.admin.ReadFile(path.Join(dir, "db.sql")); err != nil || string(b) != "old" {
		t.Errorf("after a failed overwrite the object holds %q, %v; want the previous object", b, err)
	}
	// A successful overwrite replaces it.
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: 3}, strings.NewReader("new")); err != nil {
		t.Fatal(err)
	}
	if b, err := srv.admin.ReadFile(path.Join(dir, "db.sql")); err != nil || string(b) != "new" {
		t.Errorf("after an overwrite the object holds %q, %v", b, err)
	}
}

func TestTemporaryFilesAreNeverObjects(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	// What a crash mid-upload leaves behind.
	if err := srv.admin.MkdirAll(dir+"/set", 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{storage.TempPrefix + "crashed", "set/" + storage.TempPrefix + "crashed"} {
		if err := srv.admin.WriteFile(path.Join(dir, p), []byte("half"), 0o600); err != nil {
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

// TestDeleteRemovesEmptyFolders: pruning a set leaves no empty folder, and
// never the configured folder itself.
func TestDeleteRemovesEmptyFolders(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
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

// TestUsageReportsTheVolume: the share's volume is the test machine's
// disk holding Samba's folder; it has some size and some room.
func TestUsageReportsTheVolume(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	u, err := start(t).Usage(t.Context(), srv.config(srv.folder(t)))
	if err != nil {
		t.Fatal(err)
	}
	if u.TotalBytes <= 0 || u.FreeBytes <= 0 || u.FreeBytes > u.TotalBytes || u.UsedBytes < 0 {
		t.Errorf("usage %+v", u)
	}
}

// TestFrameScanner: the watcher finds each message's start however the
// stream is cut into writes.
func TestFrameScanner(t *testing.T) {
	frame := func(payload string) []byte {
		b := make([]byte, 4, 4+len(payload))
		binary.BigEndian.PutUint32(b, uint32(len(payload)))
		return append(b, payload...)
	}
	negotiate := make([]byte, headLen+20)
	copy(negotiate, smb2ID)
	binary.LittleEndian.PutUint16(negotiate[68:], 0x0311)
	var stream []byte
	stream = append(stream, frame(string(negotiate))...)
	stream = append(stream, frame(transformID+"rest")...)
	stream = append(stream, frame("")...)
	stream = append(stream, frame(smb2ID)...)
	for _, cut := range []int{1, 2, 3, 5, 7, 64, len(stream)} {
		var heads []string
		f := frameScanner{onHead: func(h []byte) { heads = append(heads, string(h[:min(4, len(h))])) }}
		for b := stream; len(b) > 0; {
			k := min(cut, len(b))
			f.scan(b[:k])
			b = b[k:]
		}
		if diff := cmp.Diff([]string{smb2ID, transformID, smb2ID}, heads); diff != "" {
			t.Errorf("cut every %d bytes: message starts (-want +got):\n%s", cut, diff)
		}
	}
	w := watch(nil)
	w.in.scan(stream[:30])
	w.in.scan(stream[30:])
	if got := w.negotiated(); got != 0x0311 {
		t.Errorf("negotiated dialect %#x, want 0x311", got)
	}
}

// TestDiskFull: an upload larger than the volume fails as "no space left",
// and leaves nothing behind, so the space is free again. The share
// SHARE-full is a 2 MiB volume (make test-services mounts a tmpfs for it).
func TestDiskFull(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	cfg := srv.config("")
	cfg["share"] = srv.share + "-full"
	st := start(t)
	u, err := st.Usage(t.Context(), cfg)
	if err != nil {
		t.Fatalf("usage of the small share: %v", err)
	}
	if u.TotalBytes > 64<<20 {
		msg := "share " + cfg["share"] + " is not a small volume (make test-services mounts one where mount namespaces work)"
		if testserver.CI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	_, err = st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/big.sql", SizeHint: -1}, &failAfter{n: 8 << 20, err: io.EOF})
	wantIs(t, "upload larger than the volume", err, spec.ErrNoSpace)
	wantText(t, "upload larger than the volume", err, "set/big.sql", "full")
	full := srv.mount(t, cfg["share"])
	defer full.RemoveAll("set")
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, err := full.ReadDir("set")
		if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("left on the full volume: %d entries, %v", len(entries), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mount opens another share of the server for the test's own checks.
func (srv server) mount(t *testing.T, share string) *smb2.Share {
	t.Helper()
	d := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: srv.user, Password: srv.pass}}
	sess, err := d.Dial(t.Context(), net.JoinHostPort(srv.host, srv.port))
	if err != nil {
		t.Fatal(err)
	}
	m, err := sess.Mount(share)
	if err != nil {
		sess.Logoff()
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Umount(); sess.Logoff() })
	return m
}
