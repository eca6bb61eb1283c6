package main

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk/storagetest"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// TestListSweepsStaleTemporaryFiles: List removes the temporary files of
// uploads that never finished once unwritten for storage.StaleTempAge.
//
// No test server takes a file's time over FTP (neither answers MFMT), so
// the files are aged on the disk of the FTPS server, which serves the
// folder make test-services gives it straight from the disk (rclone's FTP
// server would not see the change: it keeps its listings for minutes).
func TestListSweepsStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	srv := ftpsServer(t)
	root := filepath.Join(testserver.Resolve(t, testserver.Server{Name: "test services folder", Env: "DBKEEP_TEST_SERVICES"}), "ftps")
	dir := srv.folder(t)
	storagetest.CheckSweep(t, start(t), srv.config(dir), storagetest.Server{
		Plant: func(t *testing.T, name string, modTime time.Time) {
			t.Helper()
			p := path.Join(dir, name)
			if err := srv.admin.Stor(p, strings.NewReader("half")); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(p)), modTime, modTime); err != nil {
				t.Fatalf("age %s on the FTPS server's disk (is %s the folder it serves?): %v", name, root, err)
			}
			if e, err := srv.admin.GetEntry(p); err != nil || e.Time.Sub(modTime).Abs() > time.Minute {
				t.Fatalf("the server does not list the modification time %v of %s: %+v, %v", modTime, name, e, err)
			}
		},
		Files: func(t *testing.T) []string { return srv.files(t, dir) },
	})
}
