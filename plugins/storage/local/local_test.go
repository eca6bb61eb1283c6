package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, storagetest.Options{
		Plugin: plugin(),
		Config: spec.Config{"path": t.TempDir()},
		InvalidConfigs: []storagetest.InvalidConfig{
			{Name: "missing-path", Config: spec.Config{}, Fields: []string{"path"}},
			{Name: "relative-path", Config: spec.Config{"path": "backups"}, Fields: []string{"path"}},
			{Name: "create-not-bool", Config: spec.Config{"path": "/srv/backups", "create": "maybe"}, Fields: []string{"create"}},
			{Name: "unknown-field", Config: spec.Config{"path": "/srv/backups", "bucket": "b"}, Fields: []string{"bucket"}},
		},
	})
}

// start serves the plugin through the real boundary, on a fresh directory.
func start(t *testing.T) (host.StorageClient, spec.Config, string) {
	t.Helper()
	dir := t.TempDir()
	return sdktest.Start(t, plugin()).Storage(), spec.Config{"path": dir}, dir
}

// files lists every path under dir, folders with a trailing slash.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// eventually polls cond: the plugin cleans up after the caller has its
// answer, so the directory is checked until it is right or time is up.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after 5s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSymlinkOutOfBaseIsRefused(t *testing.T) {
	st, cfg, dir := start(t)
	ctx := t.Context()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("not yours"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "secret-link")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"out/secret", "secret-link"} {
		_, err := st.Download(ctx, cfg, storage.DownloadRequest{Name: name})
		wantIs(t, "download "+name, err, spec.ErrInvalidArgument)
		_, err = st.Stat(ctx, cfg, name)
		wantIs(t, "stat "+name, err, spec.ErrInvalidArgument)
		err = st.Delete(ctx, cfg, name)
		wantIs(t, "delete "+name, err, spec.ErrInvalidArgument)
	}
	for _, name := range []string{"out/new", "out/deeper/new"} {
		_, err := st.Upload(ctx, cfg, storage.UploadRequest{Name: name, SizeHint: 1}, strings.NewReader("x"))
		wantIs(t, "upload "+name, err, spec.ErrInvalidArgument)
	}
	var listed []string
	if err := st.List(ctx, cfg, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(listed) > 0 {
		t.Errorf("list shows what links outside lead to: %q", listed)
	}
	// Uploading over a link replaces the link, as rename does, and writes
	// nothing through it.
	if _, err := st.Upload(ctx, cfg, storage.UploadRequest{Name: "secret-link", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatalf("upload over a link: %v", err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "secret-link")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("after uploading over a link: %v, %v; want a regular file", fi, err)
	}
	if diff := cmp.Diff([]string{"secret"}, files(t, outside)); diff != "" {
		t.Errorf("the directory outside changed (-want +got):\n%s", diff)
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "secret")); string(b) != "not yours" {
		t.Errorf("the file outside now holds %q", b)
	}
}

func TestSymlinkInsideBaseIsFollowed(t *testing.T) {
	st, cfg, dir := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "real/a.bin", SizeHint: 3}, strings.NewReader("abc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(dir, "alias")); err != nil {
		t.Fatal(err)
	}
	info, err := st.Stat(t.Context(), cfg, "alias/a.bin")
	if err != nil || info.Size != 3 {
		t.Fatalf("stat through a link inside the directory: %+v, %v", info, err)
	}
}

func TestFailedUploadLeavesNoTemporaryFile(t *testing.T) {
	st, cfg, dir := start(t)
	broken := errors.New("source broke")
	src := io.MultiReader(bytes.NewReader(make([]byte, 3*spec.ChunkSize)), iotestErr{broken})
	_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: -1}, src)
	if !errors.Is(err, broken) {
		t.Fatalf("upload from a failing source: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	go func() {
		pw.Write(make([]byte, 2*spec.ChunkSize))
		cancel()
	}()
	_, err = st.Upload(ctx, cfg, storage.UploadRequest{Name: "set/db2.sql", SizeHint: -1}, pr)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled upload: %v", err)
	}
	// The folder made for the upload may remain; no file may.
	eventually(t, "files left by failed uploads", func() bool {
		for _, f := range files(t, dir) {
			if !strings.HasSuffix(f, "/") {
				return false
			}
		}
		return true
	})
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestFailedOverwriteKeepsThePreviousObject(t *testing.T) {
	st, cfg, dir := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: 3}, strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	src := io.MultiReader(strings.NewReader("new but broken"), iotestErr{errors.New("broke")})
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: -1}, src); err == nil {
		t.Fatal("upload from a failing source succeeded")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "db.sql")); err != nil || string(b) != "old" {
		t.Errorf("after a failed overwrite the object holds %q, %v; want the previous object", b, err)
	}
}

func TestFileModes(t *testing.T) {
	st, cfg, dir := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "job/set/db.sql", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]fs.FileMode{"job": 0o700, "job/set": 0o700, "job/set/db.sql": 0o600} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", p, got, want)
		}
	}
}

func TestTemporaryFilesAreNeverObjects(t *testing.T) {
	st, cfg, dir := start(t)
	ctx := t.Context()
	// What a crash mid-upload leaves behind.
	if err := os.MkdirAll(filepath.Join(dir, "set"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{storage.TempPrefix + "crashed", "set/" + storage.TempPrefix + "crashed"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Upload(ctx, cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	var listed []string
	if err := st.List(ctx, cfg, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"set/db.sql"}, listed); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	for _, name := range []string{storage.TempPrefix + "crashed", "set/" + storage.TempPrefix + "x", storage.TempPrefix + "d/db.sql"} {
		_, err := st.Upload(ctx, cfg, storage.UploadRequest{Name: name, SizeHint: 1}, strings.NewReader("x"))
		wantIs(t, "upload "+name, err, spec.ErrInvalidArgument)
		_, err = st.Stat(ctx, cfg, name)
		wantIs(t, "stat "+name, err, spec.ErrInvalidArgument)
	}
}

func TestDeleteRemovesEmptyFolders(t *testing.T) {
	st, cfg, dir := start(t)
	ctx := t.Context()
	for _, name := range []string{"job/set1/a.sql", "job/set1/manifest.json", "job/set2/a.sql"} {
		if _, err := st.Upload(ctx, cfg, storage.UploadRequest{Name: name, SizeHint: 1}, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"job/set1/a.sql", "job/set1/manifest.json"} {
		if err := st.Delete(ctx, cfg, name); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"job/", "job/set2/", "job/set2/a.sql"}, files(t, dir)); diff != "" {
		t.Errorf("after deleting a set (-want +got):\n%s", diff)
	}
	if err := st.Delete(ctx, cfg, "job/set2/a.sql"); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir); len(got) > 0 {
		t.Errorf("after deleting everything: %q", got)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the storage directory itself went: %v", err)
	}
}

func TestMissingDirectory(t *testing.T) {
	conn := sdktest.Start(t, plugin())
	st := conn.Storage()
	base := filepath.Join(t.TempDir(), "not", "mounted")
	cfg := spec.Config{"path": base}
	_, err := st.Test(t.Context(), cfg)
	wantIs(t, "test on a missing directory", err, spec.ErrUnavailable)
	if err == nil || !strings.Contains(err.Error(), base) {
		t.Errorf("error %v does not name the directory", err)
	}
	_, err = st.Stat(t.Context(), cfg, "x")
	wantIs(t, "stat in a missing directory", err, spec.ErrUnavailable)
	if _, err := os.Stat(base); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the directory was created without \"create\": %v", err)
	}

	cfg["create"] = "true"
	detail, err := st.Test(t.Context(), cfg)
	if err != nil || !strings.HasPrefix(detail, "writable") {
		t.Fatalf("test with create: %q, %v", detail, err)
	}
	fi, err := os.Stat(base)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("created directory: %v, %v; want mode 0700", fi, err)
	}
	if got := files(t, base); len(got) > 0 {
		t.Errorf("test left %q behind", got)
	}
}

func TestBaseIsAFile(t *testing.T) {
	st := sdktest.Start(t, plugin()).Storage()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := st.Test(t.Context(), spec.Config{"path": file})
	wantIs(t, "test on a file", err, spec.ErrUnavailable)
}

// TestErrorMeanings checks the mapping of the errors the tests above cannot
// provoke: they run as root here, which permissions do not stop, and no
// small filesystem is at hand to fill.
func TestErrorMeanings(t *testing.T) {
	for _, c := range []struct {
		err  error
		want error
	}{
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, spec.ErrPermission},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, spec.ErrNoSpace},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}, spec.ErrNoSpace},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.ENOENT}, spec.ErrNotFound},
	} {
		wantIs(t, c.err.Error(), objectError("upload", "x", c.err), c.want)
	}
	wantIs(t, "base EACCES", baseError("/b", &fs.PathError{Op: "openat", Path: "/b", Err: syscall.EACCES}), spec.ErrPermission)
}

func TestUsageIsTheFilesystem(t *testing.T) {
	st, cfg, dir := start(t)
	u, err := st.Usage(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(dir, &sfs); err != nil {
		t.Fatal(err)
	}
	if want := int64(sfs.Blocks) * int64(sfs.Bsize); u.TotalBytes != want {
		t.Errorf("total %d bytes, statfs says %d", u.TotalBytes, want)
	}
	if u.UsedBytes+u.FreeBytes > u.TotalBytes || u.FreeBytes <= 0 {
		t.Errorf("usage %+v", u)
	}
}

func wantIs(t *testing.T, what string, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: got %v, want an error matching %q", what, err, sentinel)
	}
}
