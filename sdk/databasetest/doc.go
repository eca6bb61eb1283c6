// Package databasetest is the conformance kit of database plugins: one call,
// Run, drives a plugin through the whole database contract across the real
// plugin boundary (gRPC over go-plugin) against a real server.
//
// An author starts with Run in the plugin's test, seeded databases on a real
// server, and an Options value that says where they are and how to compare a
// restored database with its source:
//
//	func TestConformance(t *testing.T) {
//		databasetest.Run(t, databasetest.Options{
//			Plugin:        plugin(),
//			Config:        spec.Config{"host": host, "user": "dbkeep"},
//			Database:      "shop",
//			Large:         "big",
//			RestoreTarget: func(t testing.TB) string { return freshDatabase(t) },
//			Compare:       compareDatabases,
//			Unreachable:   spec.Config{"host": "127.0.0.1", "port": "1"},
//			InvalidConfigs: []databasetest.InvalidConfig{
//				{Config: spec.Config{"port": "x"}, Fields: []string{"host", "port"}},
//			},
//		})
//	}
//
// The kit checks what the database package documents: errors carry the spec
// sentinels, dumps start with their header, a cancelled dump stops at once and
// leaves no tool process behind, a failing writer aborts the dump, concurrent
// dumps do not disturb each other, and a restore never reports success for a
// dump it did not apply whole. A plugin that counts rows (database.RowCounter)
// also sets Options.SeededRows: the kit checks those counts, and that a dump
// restored under another name counts the same, table for table. The plugin's
// own extra tests go beside it.
package databasetest
