package main

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/databasetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// nextScratchDB hands out the logical databases the kit restores into: db0
// holds the source, db1..db15 the restores, each emptied when its test ends.
var nextScratchDB atomic.Int32

// TestConformance runs the SDK's kit against the real server. The source is
// the whole instance with its keys in db0; restores go to "db<N>" targets on
// the same server (the one-logical-database mode), compared with db0.
func TestConformance(t *testing.T) {
	cfg := configFrom(t, resolveServer(t))
	src := clientFor(t, cfg, 0)
	ctx := context.Background()
	if err := src.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	seedAwkward(t, src, bulkKeys)
	t.Cleanup(func() { src.FlushAll(context.Background()) })

	databasetest.Run(t, databasetest.Options{
		Plugin:   plugin(),
		Config:   cfg,
		Database: instanceName,
		RestoreTarget: func(t testing.TB) string {
			db := int(nextScratchDB.Add(1)%15) + 1
			target := clientFor(t, cfg, db)
			if err := target.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { target.FlushDB(context.Background()) })
			return "db" + strconv.Itoa(db)
		},
		Compare: func(t testing.TB, source, target string) {
			if source != instanceName {
				t.Fatalf("compare: source %q is not the instance", source)
			}
			tt, err := parseTarget(target, nil)
			if err != nil {
				t.Fatal(err)
			}
			compareDatabases(t, src, clientFor(t, cfg, tt.db))
		},
		Unreachable: spec.Config{fieldHost: "127.0.0.1", fieldPort: "1", fieldConnectTimeout: "2"},
		InvalidConfigs: []databasetest.InvalidConfig{
			{Name: "port", Config: spec.Config{fieldHost: "127.0.0.1", fieldPort: "x"}, Fields: []string{fieldPort}},
			{Name: "port range", Config: spec.Config{fieldHost: "127.0.0.1", fieldPort: "70000"}, Fields: []string{fieldPort}},
			{Name: "host option", Config: spec.Config{fieldHost: "-h"}, Fields: []string{fieldHost}},
			{Name: "no host", Config: spec.Config{fieldPort: "6379"}, Fields: []string{fieldHost}},
			{Name: "user option", Config: spec.Config{fieldHost: "h", fieldUsername: "--rdb"}, Fields: []string{fieldUsername}},
			{Name: "CA", Config: spec.Config{fieldHost: "h", fieldTLS: "true", fieldTLSCA: "not a certificate"}, Fields: []string{fieldTLSCA}},
			{Name: "TLS options without TLS", Config: spec.Config{fieldHost: "h", fieldTLSInsecure: "true"}, Fields: []string{fieldTLS}},
		},
	})
}
