// Package sdktest starts plugins for tests: in-process through the real
// go-plugin gRPC boundary (Start), or as a built binary (StartBinary). The
// conformance kits (storagetest, databasetest, notificationtest) are built on
// it; a plugin's own extra tests can use it the same way.
package sdktest
