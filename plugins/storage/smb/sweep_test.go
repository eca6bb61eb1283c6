package main

import (
	"io"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/storage"
)

// TestListSweepsStaleTemporaryFiles: List removes the temporary files,
// left by uploads that never finished, that nothing has written for longer
// than storage.StaleTempAge, in every folder it walks whatever the prefix,
// and leaves younger ones; it lists neither. An upload in progress whose
// file shows an old time, as every SMB upload running for longer does, is
// left alone and completes.
func TestListSweepsStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	srv := smbServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-storage.StaleTempAge - time.Hour)
	age := func(p string) {
		t.Helper()
		if err := srv.admin.Chtimes(path.Join(dir, p), old, old); err != nil {
			t.Fatal(err)
		}
		if fi, err := srv.admin.Stat(path.Join(dir, p)); err != nil || fi.ModTime().After(old.Add(time.Minute)) {
			t.Fatalf("the server did not take the old modification time of %s: %v, %v", p, fi, err)
		}
	}
	stale, fresh := "set/"+storage.TempPrefix+"stale", "set/"+storage.TempPrefix+"fresh"
	for _, p := range []string{stale, fresh} {
		if err := srv.admin.WriteFile(path.Join(dir, p), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	age(stale)

	// An upload in progress, its file aged as a day-long upload's would be.
	pr, pw := io.Pipe()
	uploaded := make(chan error, 1)
	go func() {
		_, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/live.sql", SizeHint: -1}, pr)
		uploaded <- err
	}()
	if _, err := pw.Write([]byte("live ")); err != nil {
		t.Fatal(err)
	}
	live := srv.newTemp(t, dir, "set", stale, fresh)
	age(live)

	var listed []string
	if err := st.List(t.Context(), cfg, "set/d", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"set/db.sql"}, listed); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	want := []string{"set/", fresh, live, "set/db.sql"}
	slices.Sort(want)
	got := srv.files(t, dir)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files after the list (-want +got):\n%s", diff)
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
