package storagetest

import (
	"fmt"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Options describe the storage plugin under test and where it may write.
type Options struct {
	// Plugin is served in-process through the real gRPC boundary
	// (sdktest.Start), so its code runs under the test's race detector and
	// coverage. The kit also watches it from the plugin's side of the
	// boundary, which makes the abort tests exact rather than timed.
	Plugin sdk.Plugin
	// Conn, when set, is used instead of serving Plugin: a plugin binary
	// started with sdktest.StartBinary, for instance. The kit then cannot see
	// inside the plugin and waits a grace period where it would have watched.
	Conn *host.Conn

	// Config is a valid configuration pointing at a fresh, empty location
	// (a new temporary directory, a new bucket or prefix). The kit fails if
	// the location holds anything when it starts, and empties it at the end.
	Config spec.Config
	// InvalidConfigs are configurations the plugin must refuse, each with the
	// fields its errors must name.
	InvalidConfigs []InvalidConfig

	// LargeSize is the size of the large round trip, which spans many chunks.
	// Zero means DefaultLargeSize; a slow remote backend may choose less, but
	// not less than four chunks.
	LargeSize int64
}

// DefaultLargeSize is large enough that holding it twice would show in
// memory profiles and that it crosses the boundary as 64 chunks.
const DefaultLargeSize = 64 << 20

// InvalidConfig is a configuration the plugin must refuse.
type InvalidConfig struct {
	// Name names the subtest; empty means its position ("invalid-0").
	Name   string
	Config spec.Config
	// Fields must each appear in the field errors returned, among any others.
	Fields []string
}

func (o *Options) check() error {
	switch {
	case o.Conn == nil && o.Plugin.Storage == nil:
		return fmt.Errorf("storagetest: set Options.Plugin (with a Storage) or Options.Conn")
	case o.Conn != nil && o.Plugin.Storage != nil:
		return fmt.Errorf("storagetest: set Options.Plugin or Options.Conn, not both")
	case o.Config == nil:
		return fmt.Errorf("storagetest: Options.Config is required: a valid configuration of an empty location")
	}
	if o.LargeSize == 0 {
		o.LargeSize = DefaultLargeSize
	}
	if o.LargeSize < 4*spec.ChunkSize {
		return fmt.Errorf("storagetest: LargeSize %d is below four chunks (%d)", o.LargeSize, 4*spec.ChunkSize)
	}
	for i, ic := range o.InvalidConfigs {
		if len(ic.Fields) == 0 {
			return fmt.Errorf("storagetest: InvalidConfigs[%d] names no field the errors must mention", i)
		}
	}
	return nil
}
