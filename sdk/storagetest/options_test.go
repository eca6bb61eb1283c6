package storagetest

import (
	"testing"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/internal/memstore"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestOptionsCheck: misuse of the kit is reported before anything runs, and
// LargeSize defaults.
func TestOptionsCheck(t *testing.T) {
	p := sdk.Plugin{Name: "mem", Version: "0.0.1", Storage: &memstore.Store{}}
	for name, o := range map[string]Options{
		"nothing to test": {Config: spec.Config{}},
		"both":            {Plugin: p, Conn: &host.Conn{}, Config: spec.Config{}},
		"no config":       {Plugin: p},
		"small large":     {Plugin: p, Config: spec.Config{}, LargeSize: spec.ChunkSize},
		"fieldless":       {Plugin: p, Config: spec.Config{}, InvalidConfigs: []InvalidConfig{{Config: spec.Config{}}}},
	} {
		if err := o.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	o := Options{Plugin: p, Config: spec.Config{}}
	if err := o.check(); err != nil || o.LargeSize != DefaultLargeSize {
		t.Errorf("minimal options: %v, LargeSize %d", err, o.LargeSize)
	}
}
