package main

import (
	"testing"

	"github.com/dbkeep/dbkeep/sdk/databasetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

func TestConformance(t *testing.T) {
	cfg := testServer(t)
	awkward, large := uniqueName("dbk_conf"), uniqueName("dbk_conf_large")
	createDB(t, cfg, awkward)
	seedAwkward(t, cfg, awkward)
	createDB(t, cfg, large)
	seedAwkward(t, cfg, large)
	seedBlobs(t, cfg, large, 4)
	databasetest.Run(t, databasetest.Options{
		Plugin:          plugin(),
		Config:          cfg,
		Database:        awkward,
		Large:           large,
		MissingDatabase: uniqueName("dbk_missing"),
		RestoreTarget: func(t testing.TB) string {
			name := uniqueName("dbk_restored")
			dropLater(t, cfg, name) // Restore creates it
			return name
		},
		Compare: func(t testing.TB, source, target string) {
			t.Helper()
			compare(t, cfg, source, target)
		},
		InvalidConfigs: []databasetest.InvalidConfig{
			{Name: "missing host and user", Config: spec.Config{}, Fields: []string{fieldHost, fieldUser}},
			{Name: "bad port", Config: withField(cfg, fieldPort, "70000"), Fields: []string{fieldPort}},
			{Name: "unknown ssl mode", Config: withField(cfg, fieldSSLMode, "sometimes"), Fields: []string{fieldSSLMode}},
			{Name: "cert without key", Config: withField(cfg, fieldSSLCert, "PEM"), Fields: []string{fieldSSLKey}},
			{Name: "line break in password", Config: withField(cfg, fieldPassword, "a\nhost=evil"), Fields: []string{fieldPassword}},
			{Name: "host like an option", Config: withField(cfg, fieldHost, "--help"), Fields: []string{fieldHost}},
			{Name: "unknown field", Config: withField(cfg, "database", "x"), Fields: []string{"database"}},
		},
		SeededRows:  seededRows,
		Unreachable: withField(cfg, fieldHost, "127.0.0.1", fieldPort, closedPort(t), fieldConnectTimeout, "3"),
	})
}
