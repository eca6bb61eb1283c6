// Command dbkeep-database-mysql is dbkeep's MySQL and MariaDB database
// plugin. It queries the server with github.com/go-sql-driver/mysql and
// dumps and restores with the server flavour's own client tools, run as
// subprocesses with argument lists, never through a shell.
//
// Decisions:
//
//   - Flavour: MySQL and MariaDB are told apart by VERSION() and
//     @@version_comment, and reported as engines "mysql" and "mariadb", so
//     the dump header records which one made the dump. Edition is
//     Community, Enterprise or Percona Server, with the server's comment.
//   - Tools: a MariaDB server is dumped with mariadb-dump and restored with
//     mariadb (mysqldump and mysql when only those names exist); a MySQL
//     server with mysqldump and mysql. The dump tool's --version line is
//     recorded in the header's metadata.
//   - Secrets: host, port, user, password and TLS files reach the tools in a
//     0600 option file inside a fresh 0700 directory, passed as the first
//     argument (--defaults-extra-file=), removed when the call ends. No
//     password is ever in argv or the environment; MYSQL_PWD and friends are
//     removed from the tools' environment. Tool stderr goes to the
//     execution log with the password masked.
//   - Dump: one database per dump with --single-transaction --quick
//     --routines --events --triggers --hex-blob
//     --default-character-set=utf8mb4 --no-create-db (see dumpArgs), the
//     database passed after "--" without --databases, so the dump holds no
//     CREATE DATABASE or USE. --single-transaction already turns
//     --lock-tables off, so --skip-lock-tables is not added. A MySQL
//     mysqldump also gets --set-gtid-purged=OFF. The dump must end with the
//     tool's "-- Dump completed" line, or Dump fails. The database's default
//     character set and collation travel in the header's metadata.
//   - Restore: the target database is created (with the source's character
//     set and collation) when missing; the client connects to it and the
//     dump's bytes go through untouched, so restoring under another name
//     never rewrites data that merely contains the source's name. The dump's
//     last bytes are held back until its end is verified: a truncated dump
//     is refused before its cut statement runs. A failed restore drops a
//     database it created and leaves an existing one as it is.
//   - PrepareRestore: a dump from the other flavour is a problem (MySQL and
//     MariaDB dumps use syntax and collations the other rejects, and such
//     restores typically fail half-way), unless the restore option
//     allow-cross-flavour=true makes it a warning. A dump from a newer
//     major.minor release is a problem; from a newer patch release of the
//     same minor, a warning. Missing CREATE (global, on the target, or
//     through the current role) is a problem; an existing target is a
//     warning, because its other objects are kept.
//   - Tables: include-tables and exclude-tables are configuration fields
//     (one name per line, applied to every database of the source), so they
//     show in the UI's form; DumpRequest.Options is not used.
//   - Names: a database name is passed to the tools as one argument after
//     "--" and quoted as an identifier in SQL, so shell metacharacters and a
//     leading "-" are safe; names MySQL itself refuses (empty, over 64
//     characters, NUL, line breaks, a trailing space) are rejected first.
//   - Errors: access denied is spec.ErrUnauthenticated, a refused or timed
//     out connection spec.ErrUnavailable (within connect-timeout), an
//     unknown database spec.ErrNotFound, a missing privilege
//     spec.ErrPermission; the tools' errors are mapped from their error
//     numbers the same way.
//   - Privileges: the dump holds what the account can see. Routines an
//     account cannot see (no EXECUTE or ALTER ROUTINE on them) are left out
//     by the tools without an error, so a backup account needs SELECT, SHOW
//     VIEW, TRIGGER, EVENT, EXECUTE on the databases (and SELECT on
//     mysql.proc on MariaDB before 11.3, without which the tool fails with
//     spec.ErrPermission). Restoring objects whose definer is another account
//     needs SET USER (MariaDB) or SET_USER_ID (MySQL).
//   - Row counts for drills (CountRows): SELECT COUNT(*) of every BASE TABLE
//     in information_schema, in one read-only REPEATABLE READ transaction;
//     TABLE_ROWS on request. Schema is empty: the database is the schema.
//   - TLS: ssl-mode follows MySQL's names. MariaDB's tools have no mode that
//     checks the CA but not the host name, so with them verify-ca checks the
//     host name too.
package main

import (
	"github.com/dbkeep/dbkeep/sdk"
)

// version is the plugin's own version.
const version = "0.1.0"

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "mysql",
		DisplayName: "MySQL / MariaDB",
		Summary:     "Backs up and restores MySQL and MariaDB databases with mysqldump / mariadb-dump.",
		Version:     version,
		Schema:      schema(),
		Database:    &engine{},
	}
}

func main() { sdk.Serve(plugin()) }
