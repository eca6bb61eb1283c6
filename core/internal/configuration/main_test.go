package configuration_test

import (
	"os"
	"testing"

	_ "time/tzdata" // zone names resolve whatever the test machine has installed

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost/hosttest"
)

// The tests drive the API against the real first-party plugins, built from
// this repository once per test binary, pinned and loaded by a real Host the
// way `dbkeep serve` loads them.
var (
	testHost   *pluginhost.Host
	testLoaded pluginhost.LoadReport
)

var realPlugins = map[string]string{
	"dbkeep-database-sqlite":      "./plugins/database/sqlite",
	"dbkeep-storage-local":        "./plugins/storage/local",
	"dbkeep-notification-webhook": "./plugins/notification/webhook",
}

func TestMain(m *testing.M) {
	os.Exit(hosttest.Main(m, "configuration", realPlugins, func(h *pluginhost.Host, rep pluginhost.LoadReport) {
		testHost, testLoaded = h, rep
	}))
}
