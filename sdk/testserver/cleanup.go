package testserver

import (
	"testing"
	"time"
)

// Remove registers a cleanup that removes what a test made on a server (a
// folder and whatever is left in it), trying again for a few seconds.
//
// A test that aborts an upload gets its answer before the server has seen
// the end of it: the server may still be writing the body, or the plugin
// still deleting its temporary file, when the cleanup runs, and a folder
// that gains or loses a file while it is removed cannot be removed (a
// WebDAV server answers 405, an FTP server 550). What stays after the
// deadline fails the test.
func Remove(t testing.TB, what string, remove func() error) {
	t.Helper()
	t.Cleanup(func() {
		deadline := time.Now().Add(removeDeadline)
		for {
			err := remove()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("remove %s: %v", what, err)
				return
			}
			time.Sleep(removePause)
		}
	})
}

const (
	removeDeadline = 5 * time.Second
	removePause    = 100 * time.Millisecond
)
