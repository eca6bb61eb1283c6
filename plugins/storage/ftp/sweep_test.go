package main

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// TestListSweepsStaleTemporaryFiles: List removes the temporary files,
// left by uploads that never finished, that nothing has written for longer
// than storage.StaleTempAge, in every folder it walks whatever the prefix,
// and leaves younger ones; it lists neither.
//
// No test server takes a file's time over FTP (neither answers MFMT), so
// the stale file is aged on the disk of the FTPS server, which serves the
// folder make test-services gives it straight from the disk (rclone's FTP
// server would not see the change: it keeps its listings for minutes).
func TestListSweepsStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	srv := ftpsServer(t)
	root := filepath.Join(testserver.Resolve(t, testserver.Server{Name: "test services folder", Env: "DBKEEP_TEST_SERVICES"}), "ftps")
	dir := srv.folder(t)
	cfg := srv.config(dir)
	st := start(t)
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	stale, fresh := "set/"+storage.TempPrefix+"stale", "set/"+storage.TempPrefix+"fresh"
	for _, p := range []string{stale, fresh} {
		if err := srv.admin.Stor(path.Join(dir, p), strings.NewReader("half")); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-storage.StaleTempAge - time.Hour)
	if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(path.Join(dir, stale))), old, old); err != nil {
		t.Fatalf("age the stale file on the FTPS server's disk (is %s the folder it serves?): %v", root, err)
	}
	if e, err := srv.admin.GetEntry(path.Join(dir, stale)); err != nil || e.Time.After(old.Add(time.Minute)) {
		t.Fatalf("the server does not list the old modification time: %+v, %v", e, err)
	}
	var listed []string
	if err := st.List(t.Context(), cfg, "set/d", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"set/db.sql"}, listed); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"set/", fresh, "set/db.sql"}, srv.files(t, dir)); diff != "" {
		t.Errorf("files after the list (-want +got):\n%s", diff)
	}
}
