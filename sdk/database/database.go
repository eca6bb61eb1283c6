package database

import (
	"context"
	"io"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Database dumps the databases of one server. Every method receives the
// configuration, validated against the plugin's schema. Methods are called
// concurrently, and ctx cancellation must stop any subprocess at once.
//
// Errors: unreachable server spec.ErrUnavailable, refused credentials
// spec.ErrUnauthenticated, missing privileges spec.ErrPermission, a database
// that does not exist spec.ErrNotFound.
type Database interface {
	// Test checks reachability and credentials and reports the server.
	Test(ctx context.Context, cfg spec.Config) (ServerInfo, error)

	// ListDatabases returns the databases a backup may select, without
	// system or template databases.
	ListDatabases(ctx context.Context, cfg spec.Config) ([]DatabaseInfo, error)

	// Dump writes one database, consistently, to w: w.Begin with the header
	// first, then the bytes. Return nil only when the dump tool succeeded and
	// every byte was written; a dump that fails half-way must return an error
	// so the core never keeps a truncated backup.
	Dump(ctx context.Context, cfg spec.Config, req DumpRequest, w DumpWriter) error
}

// Restorer is implemented by plugins that can restore. Its presence is the
// capability spec.CapRestore.
type Restorer interface {
	// PrepareRestore is the pre-flight of a restore and changes nothing: it
	// reports the target server, whether the target database exists, and the
	// problems that forbid the restore (an engine mismatch, a dump from a newer
	// server version than the target, missing privileges to create or
	// overwrite the target).
	PrepareRestore(ctx context.Context, cfg spec.Config, req RestoreRequest) (RestorePlan, error)

	// Restore reads a dump made by this plugin's Dump from r into
	// req.TargetDatabase, reporting progress and tool output to rep. It returns
	// an error unless the whole dump was applied.
	Restore(ctx context.Context, cfg spec.Config, req RestoreRequest, r io.Reader, rep spec.Reporter) (RestoreResult, error)
}

// RowCounter is implemented by plugins that can count the rows of a
// database's tables. Its presence is the capability spec.CapRowCount. The core
// uses it in restore drills: it counts the source and the restored copy and
// compares them table by table.
type RowCounter interface {
	// CountRows returns one entry per table of req.Database (user tables
	// only: no system catalogues), in any order. Counts are exact (a full
	// count, such as SELECT count(*)) unless req.Estimate allows the engine's
	// statistics; an entry that is an estimate says so with Exact false. An
	// exact count may read every row: it must stop when ctx is cancelled. A
	// database that does not exist is spec.ErrNotFound.
	//
	// The counts cover every table of the database, whatever table filters
	// the configuration applies to dumps, so a caller comparing a source with
	// a restore of a filtered dump compares the tables the restore holds.
	CountRows(ctx context.Context, cfg spec.Config, req CountRowsRequest) ([]TableRows, error)
}

// CountRowsRequest selects the database whose tables CountRows counts.
type CountRowsRequest struct {
	Database string
	// Estimate allows approximate counts where the engine keeps them cheaply;
	// false (the default) asks for exact counts.
	Estimate bool
}

// TableRows is the row count of one table.
type TableRows struct {
	// Schema is the namespace of the table inside the database ("public" in
	// PostgreSQL); empty for engines where the database is the only namespace
	// (MySQL, SQLite, MongoDB collections). It never repeats the database's
	// name, so that a copy restored under another name counts alike.
	Schema string
	Table  string
	Rows   int64
	// Exact is false when Rows is an estimate.
	Exact bool
}

// DumpWriter receives one dump. It is safe for concurrent use (a goroutine may
// forward tool stderr through Log while another writes data).
type DumpWriter interface {
	spec.Reporter
	// Begin announces the dump; it must be called exactly once, before Write.
	Begin(h DumpHeader) error
	// Write sends dump bytes; it blocks while the core applies back-pressure.
	io.Writer
}

// ServerInfo identifies a database server.
type ServerInfo struct {
	// Engine is a stable lower-case name: "postgres", "mariadb", "sqlite".
	Engine  string
	Version string
	Edition string
}

// DatabaseInfo is one database on the server; SizeBytes is -1 when unknown.
type DatabaseInfo struct {
	Name      string
	SizeBytes int64
}

// DumpRequest selects the database to dump.
type DumpRequest struct {
	Database string
	// Options are plugin-specific switches the plugin documents.
	Options map[string]string
}

// DumpHeader describes a dump. The core records it in the backup manifest and
// hands it back to PrepareRestore and Restore.
type DumpHeader struct {
	Database string
	// Format names the dump format ("pg_dump-custom", "sql", "sqlite3").
	Format string
	// Extension is the file extension of the object, without a dot.
	Extension string
	Server    ServerInfo
	Metadata  map[string]string
}

// RestoreRequest says what to restore where.
type RestoreRequest struct {
	// Source is the header the dump was made with.
	Source DumpHeader
	// TargetDatabase is the database (or file) to restore into; it may differ
	// from Source.Database.
	TargetDatabase string
	// Privileged, when not empty, holds credential fields to use instead of
	// those in the configuration (a superuser for creating the database).
	Privileged spec.Config
	Options    map[string]string
}

// RestorePlan is the answer of PrepareRestore.
type RestorePlan struct {
	TargetServer ServerInfo
	TargetExists bool
	// Problems forbid the restore; Warnings are shown to the user.
	Problems []string
	Warnings []string
}

// RestoreResult reports a finished restore.
type RestoreResult struct {
	TargetDatabase string
	BytesRead      int64
	// Warnings say what a restore that finished applied only in part (the
	// statements a tolerant restore skipped); the core shows such a restore
	// as succeeded with warnings. Empty for a restore applied whole.
	Warnings []string
}
