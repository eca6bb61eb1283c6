package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// SweepDestinations lists every destination, so that its plugin removes the
// temporary files of uploads that never finished: here the dead temporary
// file a killed storage-local upload leaves in a set's folder, which the
// failed run's own removal of its set had kept (a plugin cannot tell it is
// dead). A destination that cannot be listed is named in the error and does
// not stop the others.
func TestSweepDestinationsRemovesDeadTemporaryFiles(t *testing.T) {
	f := newFixture(t)
	dir, _ := f.localDestination("b-nas")
	if _, err := f.st.Destinations().Create(context.Background(), store.ConnectionInput{
		Name: "a-gone", PluginID: "storage-local", Schema: schemaOf(t, "storage-local"),
		Config: spec.Config{"path": filepath.Join(t.TempDir(), "removed")},
	}); err != nil {
		t.Fatal(err)
	}
	set := filepath.Join(dir, "sales", "20261127T020000Z_7")
	if err := os.MkdirAll(set, 0o755); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(set, storage.TempPrefix+"DEADUPLOAD")
	for _, p := range []string{dead, filepath.Join(set, "sales.sqlite.zst")} {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	err := f.eng.SweepDestinations(context.Background())
	if err == nil || !strings.Contains(err.Error(), `destination "a-gone"`) {
		t.Errorf("error %v, want one naming the destination that cannot be listed", err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead temporary file is still there: %v", err)
	}
	if got := files(t, dir); !slices.Equal(got, []string{"sales/20261127T020000Z_7/sales.sqlite.zst"}) {
		t.Errorf("the destination holds %q, want the object only", got)
	}
}
