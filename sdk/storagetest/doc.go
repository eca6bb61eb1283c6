// Package storagetest is the conformance kit of storage plugins: one call,
// Run, drives a plugin through the whole storage contract across the real
// plugin boundary (gRPC over go-plugin), so that what passes here is what the
// core will see.
//
// An author starts with Run in the plugin's test, a configuration pointing at
// a fresh empty location, and the configurations the plugin must refuse:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, storagetest.Options{
//			Plugin: plugin(),
//			Config: spec.Config{"path": t.TempDir()},
//			InvalidConfigs: []storagetest.InvalidConfig{
//				{Name: "relative", Config: spec.Config{"path": "rel"}, Fields: []string{"path"}},
//			},
//		})
//	}
//
// The kit checks what package storage documents: round trips of awkward sizes
// with the size and SHA-256 Upload reports, ranged downloads, overwrite, Stat,
// List by prefix, Delete, the spec error sentinels, names that escape the
// location, uploads cancelled or starved mid-stream leaving nothing behind,
// no temporary object ever listed, concurrent transfers, and Usage. Tests only
// the plugin can know (symlinks, file modes, a full disk) go beside it.
package storagetest
