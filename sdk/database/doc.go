// Package database is the contract of a database plugin: it dumps the
// databases of one server into a byte stream and restores them from one.
//
// An author implements Database (and Restorer when restores are possible,
// RowCounter when the engine can count a database's rows for restore drills)
// and hands it to sdk.Serve, which lists the capabilities they imply. The core receives the same interfaces, implemented by
// the SDK over gRPC; the conformance kit databasetest checks an implementation
// through the real plugin boundary against a real server.
//
// Dump tools run as subprocesses: start them with exec.CommandContext and
// argument lists, never a shell; pass passwords through the environment or a
// 0600 file, never argv; put each tool in its own process group so that a
// cancelled context kills it and its children (see KillGroupOnCancel); send
// their stderr to the Reporter.
package database
