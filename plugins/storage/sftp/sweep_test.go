package main

import (
	"path"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/dbkeep/dbkeep/sdk/storagetest"
)

// TestListSweepsStaleTemporaryFiles: List removes the temporary files of
// uploads that never finished once unwritten for storage.StaleTempAge.
func TestListSweepsStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	srv := sftpServer(t)
	dir := srv.folder(t)
	storagetest.CheckSweep(t, start(t), srv.config(dir), storagetest.Server{
		Plant: plantWith(srv.admin, dir),
		Files: func(t *testing.T) []string { return srv.files(t, dir) },
	})
}

// TestOpenSSHListSweepsStaleTemporaryFiles: the same against OpenSSH's
// sftp server.
func TestOpenSSHListSweepsStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	srv := openSSHServer(t)
	dir := srv.folder(t)
	storagetest.CheckSweep(t, start(t), srv.config(dir), storagetest.Server{
		Plant: plantWith(srv.admin, dir),
		Files: func(t *testing.T) []string { return server{admin: srv.admin}.files(t, dir) },
	})
}

// plantWith writes files below dir through admin, their time set by
// SETSTAT, as storagetest.Server.Plant.
func plantWith(admin *sftp.Client, dir string) func(t *testing.T, name string, modTime time.Time) {
	return func(t *testing.T, name string, modTime time.Time) {
		t.Helper()
		p := path.Join(dir, name)
		f, err := admin.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("half")); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := admin.Chtimes(p, modTime, modTime); err != nil {
			t.Fatal(err)
		}
		if fi, err := admin.Stat(p); err != nil || fi.ModTime().Sub(modTime).Abs() > time.Minute {
			t.Fatalf("the server did not take the modification time %v of %s: %v, %v", modTime, name, fi, err)
		}
	}
}
