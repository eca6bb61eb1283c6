package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/studio-b12/gowebdav"

	"github.com/dbkeep/dbkeep/sdk/storage"
)

// TestListSweepsStaleTemporaryFiles: List removes the temporary files,
// left by uploads that never finished, that nothing has written for longer
// than storage.StaleTempAge, in every folder it walks whatever the prefix,
// and leaves younger ones; it lists neither. The stale file is stored with
// an old time in X-OC-Mtime (the ownCloud header rclone's server honours).
func TestListSweepsStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	srv := davServer(t)
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	stale, fresh := "set/"+storage.TempPrefix+"stale", "set/"+storage.TempPrefix+"fresh"
	old := time.Now().Add(-storage.StaleTempAge - time.Hour)
	aged := gowebdav.NewClient(srv.url, srv.user, srv.pass)
	aged.SetHeader("X-OC-Mtime", strconv.FormatInt(old.Unix(), 10))
	if err := aged.Write(dir+"/"+stale, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := srv.admin.Write(dir+"/"+fresh, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := srv.admin.Stat(dir + "/" + stale); err != nil || fi.ModTime().After(old.Add(time.Minute)) {
		t.Fatalf("the server did not take the old modification time: %v, %v", fi, err)
	}
	var listed []string
	if err := st.List(t.Context(), cfg, "set/d", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"set/db.sql"}, listed); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{fresh, "set/db.sql"}, srv.files(t, dir)); diff != "" {
		t.Errorf("files after the list (-want +got):\n%s", diff)
	}
}
