package main

import (
	"io"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/storagetest"
)

// TestListSweepsStaleTemporaryFiles: List removes the temporary files of
// uploads that never finished once unwritten for storage.StaleTempAge.
func TestListSweepsStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	dir := srv.folder(t)
	storagetest.CheckSweep(t, start(t), srv.config(dir), storagetest.Server{
		Plant: func(t *testing.T, name string, modTime time.Time) {
			t.Helper()
			if err := srv.admin.WriteFile(path.Join(dir, name), []byte("half"), 0o600); err != nil {
				t.Fatal(err)
			}
			srv.age(t, path.Join(dir, name), modTime)
		},
		Files: func(t *testing.T) []string { return srv.files(t, dir) },
	})
}

// TestListLeavesALiveUpload: an upload in progress whose file shows an old
// time, as every SMB upload running for longer than storage.StaleTempAge
// does (Samba sets the time at the first write and keeps it until close),
// is left alone by the sweep and completes: the plugin's open file does not
// share delete access, so the server refuses its removal.
func TestListLeavesALiveUpload(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	uploaded := make(chan error, 1)
	go func() {
		_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/live.sql", SizeHint: -1}, pr)
		uploaded <- err
	}()
	if _, err := pw.Write([]byte("live ")); err != nil {
		t.Fatal(err)
	}
	live := srv.newTemp(t, dir, "set")
	srv.age(t, path.Join(dir, live), time.Now().Add(-storage.StaleTempAge-time.Hour))

	if err := st.List(t.Context(), cfg, "set/", func(storage.ObjectInfo) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := srv.files(t, dir); !slices.Contains(got, live) {
		t.Errorf("the live upload's temporary file %s is gone after the list: %q", live, got)
	}
	pw.Write([]byte("upload"))
	pw.Close()
	if err := <-uploaded; err != nil {
		t.Fatalf("the upload in progress during the list: %v", err)
	}
	if b, err := srv.admin.ReadFile(path.Join(dir, "set/live.sql")); err != nil || string(b) != "live upload" {
		t.Errorf("the upload in progress during the list stored %q, %v", b, err)
	}
}

// age sets the modification time of p and checks the server keeps it.
func (srv server) age(t *testing.T, p string, modTime time.Time) {
	t.Helper()
	if err := srv.admin.Chtimes(p, modTime, modTime); err != nil {
		t.Fatal(err)
	}
	if fi, err := srv.admin.Stat(p); err != nil || fi.ModTime().Sub(modTime).Abs() > time.Minute {
		t.Fatalf("the server did not take the modification time %v of %s: %v, %v", modTime, p, fi, err)
	}
}

// newTemp waits for a temporary file other than known to appear in folder
// sub of dir, and returns its name relative to dir.
func (srv server) newTemp(t *testing.T, dir, sub string, known ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, err := srv.admin.ReadDir(path.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range entries {
			if p := path.Join(sub, fi.Name()); storage.IsTemp(p) && !slices.Contains(known, p) {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the upload's temporary file did not appear")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
