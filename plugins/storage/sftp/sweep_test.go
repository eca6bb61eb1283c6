package main

import (
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pkg/sftp"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// TestListSweepsStaleTemporaryFiles: List removes the temporary files,
// left by uploads that never finished, that nothing has written for longer
// than storage.StaleTempAge, in every folder it walks whatever the prefix,
// and leaves younger ones; it lists neither.
func TestListSweepsStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	dir := srv.folder(t)
	listSweeps(t, srv.admin, dir, srv.config(dir))
}

// TestOpenSSHListSweepsStaleTemporaryFiles: the same against OpenSSH's
// sftp server.
func TestOpenSSHListSweepsStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	srv := openSSHServer(t)
	dir := srv.folder(t)
	listSweeps(t, srv.admin, dir, srv.config(dir))
}

func listSweeps(t *testing.T, admin *sftp.Client, dir string, cfg spec.Config) {
	t.Helper()
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	stale, fresh := "set/"+storage.TempPrefix+"stale", "set/"+storage.TempPrefix+"fresh"
	for _, p := range []string{stale, fresh} {
		f, err := admin.Create(path.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("half"))
		f.Close()
	}
	old := time.Now().Add(-storage.StaleTempAge - time.Hour)
	if err := admin.Chtimes(path.Join(dir, stale), old, old); err != nil {
		t.Fatal(err)
	}
	if fi, err := admin.Stat(path.Join(dir, stale)); err != nil || fi.ModTime().After(old.Add(time.Minute)) {
		t.Fatalf("the server did not take the old modification time: %v, %v", fi, err)
	}
	var listed []string
	if err := st.List(t.Context(), cfg, "set/d", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"set/db.sql"}, listed); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	entries, err := admin.ReadDir(path.Join(dir, "set"))
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, fi := range entries {
		left = append(left, "set/"+fi.Name())
	}
	slices.Sort(left)
	if diff := cmp.Diff([]string{fresh, "set/db.sql"}, left); diff != "" {
		t.Errorf("files after the list (-want +got):\n%s", diff)
	}
}
