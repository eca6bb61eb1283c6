package databasetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Options describe the plugin under test and the real server it talks to.
// Databases named here must exist and be seeded before Run; the kit never
// creates or drops a source database itself, because only the engine's author
// knows how.
type Options struct {
	// Plugin is served in-process through the real gRPC boundary (sdktest.Start),
	// so its code runs under the test's race detector and coverage.
	Plugin sdk.Plugin
	// Conn, when set, is used instead of serving Plugin: a plugin binary
	// started with sdktest.StartBinary, for instance.
	Conn *host.Conn

	// Config reaches the server with enough privileges to dump, list and
	// restore. It must pass the plugin's validation.
	Config spec.Config
	// Database is an existing, seeded database to dump. Its content should be
	// awkward (unicode, NULLs, binary values, every object kind the engine has)
	// so that Compare means something.
	Database string
	// Large is a database whose dump spans at least three chunks
	// (spec.ChunkSize each), used to cancel a dump mid-stream and to restore a
	// dump of several chunks. Empty means Database, which must then be large.
	// For the cancellation checks to catch a dump tool that outlives its
	// dump, the dump should be larger than what the transport holds in flight
	// (about 8 MiB of flow-control windows and buffers): a smaller one may be
	// written completely before the cancellation arrives.
	Large string
	// MissingDatabase names a database that does not exist on the server.
	// Empty means "dbkeep_conformance_missing".
	MissingDatabase string

	// RestoreTarget returns the name of a fresh database (or file) to restore
	// into; the kit calls it once per restore. It registers its own clean-up
	// with t.Cleanup (drop the database, remove the file). Required when the
	// plugin has the restore capability.
	RestoreTarget func(t testing.TB) string
	// Compare fails t unless target (a restored database) equals source (the
	// database it was dumped from) exactly: schema, every row, every object.
	// Required when the plugin has the restore capability.
	Compare func(t testing.TB, source, target string)

	// SeededRows are the tables the seed put in Database with their row
	// counts (Exact is ignored). Required when the plugin has the row-count
	// capability (spec.CapRowCount): CountRows of Database must report each of
	// them exactly, and CountRows of a restored copy must equal CountRows of
	// Database table for table. Other tables of Database may exist; list at
	// least one, and include an empty table and a non-ASCII name when the
	// seed has them.
	SeededRows []database.TableRows

	// InvalidConfigs are configurations the plugin must reject, each with the
	// fields its errors must name.
	InvalidConfigs []InvalidConfig
	// Unreachable is a well-formed configuration pointing at nothing (a closed
	// port, a missing file): Test must fail with spec.ErrUnavailable.
	Unreachable spec.Config

	// Concurrency is the number of dumps run at once; 0 means 4.
	Concurrency int
	// CancelWithin bounds how long a cancelled or aborted dump may take to
	// return and to leave no tool process behind; 0 means 10 seconds.
	CancelWithin time.Duration
	// Timeout bounds every other call of the kit; 0 means 5 minutes.
	Timeout time.Duration
}

// InvalidConfig is a configuration the plugin must reject.
type InvalidConfig struct {
	// Name titles the subtest; empty means the config's position.
	Name   string
	Config spec.Config
	// Fields must each appear in the spec.FieldErrors of the rejection.
	Fields []string
}

// withDefaults fills in the defaults and reports options that cannot work.
func (o Options) withDefaults() (Options, error) {
	if o.Conn == nil && o.Plugin.Database == nil {
		return o, fmt.Errorf("databasetest: set Options.Plugin (with a Database implementation) or Options.Conn")
	}
	if o.Config == nil {
		return o, fmt.Errorf("databasetest: Options.Config is required")
	}
	if o.Database == "" {
		return o, fmt.Errorf("databasetest: Options.Database is required")
	}
	if o.Unreachable == nil {
		return o, fmt.Errorf("databasetest: Options.Unreachable is required (a configuration pointing at nothing)")
	}
	if o.Large == "" {
		o.Large = o.Database
	}
	if o.MissingDatabase == "" {
		o.MissingDatabase = "dbkeep_conformance_missing"
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.CancelWithin <= 0 {
		o.CancelWithin = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	return o, nil
}
