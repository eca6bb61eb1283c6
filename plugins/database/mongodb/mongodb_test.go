package main

import (
	"os"
	"strconv"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/databasetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// largeDocuments is the size of the bulk collection of the large database:
// about 25 MB of dump, more than the transport holds in flight, so the
// cancellation checks see a dump that is still running.
var largeDocuments = envInt("DBKEEP_TEST_MONGODB_LARGE", 100_000)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func TestConformance(t *testing.T) {
	cfg := testConfig(t)
	client := admin(t, cfg)
	awkward, large := uniqueName("conf"), uniqueName("conf_large")
	dropLater(t, client, awkward)
	dropLater(t, client, large)
	missing := seedAwkward(t, client, awkward, 1000)
	seedAwkward(t, client, large, largeDocuments)
	if len(missing) > 0 {
		t.Logf("seeded without what the server lacks: %q", missing)
	}
	databasetest.Run(t, databasetest.Options{
		Plugin:          plugin(),
		Config:          cfg,
		Database:        awkward,
		Large:           large,
		MissingDatabase: uniqueName("missing"),
		RestoreTarget: func(t testing.TB) string {
			name := uniqueName("restored")
			dropLater(t, client, name)
			return name
		},
		Compare: func(t testing.TB, source, target string) {
			t.Helper()
			compare(t, client, source, target)
		},
		InvalidConfigs: []databasetest.InvalidConfig{
			{Name: "neither uri nor host", Config: spec.Config{}, Fields: []string{fieldHost, fieldURI}},
			{Name: "not a mongodb uri", Config: spec.Config{fieldURI: "http://127.0.0.1/"}, Fields: []string{fieldURI}},
			{Name: "uri and host", Config: withField(cfg, fieldHost, "127.0.0.1"), Fields: []string{fieldHost}},
			{Name: "bad port", Config: spec.Config{fieldHost: "127.0.0.1", fieldPort: "70000"}, Fields: []string{fieldPort}},
			{Name: "host with a path", Config: spec.Config{fieldHost: "127.0.0.1/admin"}, Fields: []string{fieldHost}},
			{Name: "password without user", Config: spec.Config{fieldHost: "127.0.0.1", fieldPassword: "pw"}, Fields: []string{fieldUser}},
			{Name: "insecure without tls", Config: spec.Config{fieldHost: "127.0.0.1", fieldTLSInsecure: "true"}, Fields: []string{fieldTLSInsecure}},
			{Name: "ca that is no certificate", Config: spec.Config{fieldHost: "127.0.0.1", fieldTLS: "true", fieldTLSCA: "not a PEM"}, Fields: []string{fieldTLSCA}},
			{Name: "unknown dump tool", Config: spec.Config{fieldHost: "127.0.0.1", fieldDumpTool: "tar"}, Fields: []string{fieldDumpTool}},
			{Name: "zero timeout", Config: spec.Config{fieldHost: "127.0.0.1", fieldConnectTimeout: "0"}, Fields: []string{fieldConnectTimeout}},
			{Name: "unknown field", Config: withField(cfg, "database", "x"), Fields: []string{"database"}},
		},
		// Collections whose documents every server stores (the types
		// collection depends on what the server accepts).
		SeededRows: []database.TableRows{
			{Table: collPeople, Rows: 4},
			{Table: collIndex, Rows: 200},
			{Table: collCapped, Rows: 300},
			{Table: collEmpty, Rows: 0},
			{Table: collBulk, Rows: 1000},
		},
		Unreachable: spec.Config{fieldHost: "127.0.0.1", fieldPort: closedPort(t), fieldConnectTimeout: "2"},
	})
}
