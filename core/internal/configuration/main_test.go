package configuration_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

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
	dir, err := os.MkdirTemp("", "dbkeep-configuration-plugins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	testHost, testLoaded, err = hosttest.Start(ctx, dir, realPlugins)
	cancel()
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "configuration tests:", err)
	} else {
		code = m.Run()
		testHost.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}
