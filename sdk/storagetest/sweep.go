package storagetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// Server reaches the location behind a plugin from outside it, as only the
// plugin's own test can (with the protocol's client, or on the server's
// disk), for CheckSweep.
type Server struct {
	// Plant stores a small file at name, relative to the configured
	// location, last written at modTime; it fails the test when the server
	// does not keep that time (check it: the sweep goes by it). The name's
	// folder exists: CheckSweep has stored an object in it.
	Plant func(t *testing.T, name string, modTime time.Time)
	// Files returns the names of everything the server holds in the
	// configured location, relative to it, temporary files included. Folder
	// entries (names ending in "/") are ignored.
	Files func(t *testing.T) []string
}

// CheckSweep checks that List removes the temporary files of uploads that
// never finished (storage.IsTemp names) once nothing has written them for
// longer than storage.StaleTempAge, in the folders it walks whatever the
// prefix, that it leaves younger ones alone, and that it lists neither: what
// a remote plugin does with storage.TempSweeper. s is the plugin as the core
// sees it (sdktest.Start(t, plugin()).Storage()), cfg a configuration of a
// fresh empty location, and srv the way to that location from outside.
func CheckSweep(t *testing.T, s storage.Storage, cfg spec.Config, srv Server) {
	t.Helper()
	if _, err := s.Upload(t.Context(), cfg, storage.UploadRequest{Name: "set/db.sql", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	stale, fresh := "set/"+storage.TempPrefix+"stale", "set/"+storage.TempPrefix+"fresh"
	srv.Plant(t, stale, time.Now().Add(-storage.StaleTempAge-time.Hour))
	srv.Plant(t, fresh, time.Now())

	var listed []string
	// The prefix "set/d" names no temporary file: the sweep goes by the
	// folders List reads, not by the prefix.
	if err := s.List(t.Context(), cfg, "set/d", func(o storage.ObjectInfo) error {
		listed = append(listed, o.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"set/db.sql"}, listed); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	var left []string
	for _, name := range srv.Files(t) {
		if !strings.HasSuffix(name, "/") {
			left = append(left, name)
		}
	}
	slices.Sort(left)
	if diff := cmp.Diff([]string{fresh, "set/db.sql"}, left); diff != "" {
		t.Errorf("files after the list, the stale temporary file gone and the fresh one kept (-want +got):\n%s", diff)
	}
}
