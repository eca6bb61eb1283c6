package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/studio-b12/gowebdav"

	"github.com/dbkeep/dbkeep/sdk/storagetest"
)

// TestListSweepsStaleTemporaryFiles: List removes the temporary files of
// uploads that never finished once unwritten for storage.StaleTempAge. The
// files are stored with their time in X-OC-Mtime (the ownCloud header
// rclone's server honours).
func TestListSweepsStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	srv := davServer(t)
	dir := srv.folder(t)
	storagetest.CheckSweep(t, start(t), srv.config(dir), storagetest.Server{
		Plant: func(t *testing.T, name string, modTime time.Time) {
			t.Helper()
			c := gowebdav.NewClient(srv.url, srv.user, srv.pass)
			c.SetHeader("X-OC-Mtime", strconv.FormatInt(modTime.Unix(), 10))
			if err := c.Write(dir+"/"+name, []byte("half"), 0o644); err != nil {
				t.Fatal(err)
			}
			if fi, err := srv.admin.Stat(dir + "/" + name); err != nil || fi.ModTime().Sub(modTime).Abs() > time.Minute {
				t.Fatalf("the server did not take the modification time %v of %s: %v, %v", modTime, name, fi, err)
			}
		},
		Files: func(t *testing.T) []string { return srv.files(t, dir) },
	})
}
