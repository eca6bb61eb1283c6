// Command dbkeep-database-postgres is dbkeep's PostgreSQL database plugin. It
// talks to the server with pgx for everything but the dump itself, and runs
// the real PostgreSQL client tools (pg_dump, pg_restore) for dumps and
// restores, as subprocesses with argument lists, never through a shell.
//
// Decisions:
//
//   - Credentials never reach argv. Each call writes a libpq password file
//     (0600, in its own 0700 temporary directory, removed when the call ends)
//     and points PGPASSFILE at it; TLS certificates and the client key are
//     written there too. The file exists even without a password so libpq
//     never reads ~/.pgpass of whoever runs the plugin, and every inherited
//     PG* environment variable is removed from the tools' environment so that
//     only the configuration decides where they connect.
//   - The database reaches the tools as one --dbname=<conninfo> argument in
//     which every value is quoted, so a database called `-x; $(touch y) "z"`
//     or `a=b` is that database and nothing else.
//   - Dump: pg_dump --format=custom --compress=0 to stdout. The core
//     compresses the stream itself (zstd by default): pg_dump's zlib on top
//     would only cost CPU and make zstd's job harder. A user may set
//     --compress=N among the extra options. Before the dump, a pgx connection
//     reads the server version and the database (missing: spec.ErrNotFound);
//     a local pg_dump older than the server's major is refused with both
//     versions named. The header records format "pg_dump-custom", extension
//     "pgdump", the server, and in its metadata the pg_dump version, the
//     server_version_num and the database's encoding, LC_COLLATE and LC_CTYPE.
//   - Table selection and extra pg_dump options are configuration fields
//     (include-tables, exclude-tables: one pg_dump pattern per line;
//     pg-dump-options: an allow-list, checked by ValidateConfig), not
//     DumpRequest.Options, which this plugin refuses: a source's dump shape is
//     a property of the source, visible in its form.
//   - Globals (roles, tablespaces): a dump is one database, so the server's
//     globals are one more ListDatabases entry, under a reserved name longer
//     than any PostgreSQL database name can be (see globals.go), listed only
//     with include-globals. Its dump is pg_dumpall --globals-only; its
//     restore runs psql without stopping at errors, each error a warning,
//     and only with the restore option restore-globals=true. Database
//     restores still use --no-owner, and the restore option
//     no-privileges=true skips GRANTs to roles the target lacks.
//   - Restore: the target (which may be named differently from the source) is
//     created from template0 with the source's encoding and locale when
//     missing, then pg_restore reads the dump on stdin with --no-owner
//     --exit-on-error --single-transaction (plus --clean --if-exists when the
//     target existed). One transaction makes a failed restore into an existing
//     database change nothing; a database the restore created is dropped
//     after a failure. RestoreRequest.Options single-transaction=false lifts
//     the single transaction for schemas larger than the server's lock table
//     (max_locks_per_transaction); --jobs is impossible from a pipe anyway.
//   - PrepareRestore refuses a dump of another engine or format, a dump from
//     a newer major than the target server or from a pg_dump newer than the
//     local pg_restore, and a role that may neither create the target (no
//     CREATEDB, not superuser) nor owns the existing one.
//   - Tool stderr goes to the execution log line by line, with the password
//     masked. Each tool runs in its own process group, killed on cancel.
//   - Row counts for drills (CountRows): SELECT count(*) FROM ONLY each
//     ordinary table and partition outside the system schemas, in one
//     read-only REPEATABLE READ transaction; pg_class.reltuples on request.
//   - Test reports Version as server_version's number ("15.20") and Edition
//     as the build it names ("Debian 15.20-0+deb12u1"), or "PostgreSQL".
package main

import (
	"github.com/dbkeep/dbkeep/sdk"
)

// version is the plugin's own version.
const version = "0.1.0"

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "postgres",
		DisplayName: "PostgreSQL",
		Summary:     "Backs up and restores PostgreSQL databases with pg_dump and pg_restore.",
		Version:     version,
		Schema:      schema(),
		Database:    &engine{},
	}
}

func main() { sdk.Serve(plugin()) }
