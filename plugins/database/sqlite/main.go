// Command dbkeep-database-sqlite is dbkeep's SQLite database plugin. It backs
// up one SQLite file per configuration, with the pure-Go SQLite library
// (modernc.org/sqlite), so it needs no sqlite3 binary and no cgo.
//
// Configuration: path, the absolute path of the database file. A relative
// path is refused because it would be read relative to the plugin process's
// working directory, which the user does not control.
//
// The file is listed as one database named after its base name without the
// extension (/srv/app/shop.db is "shop"), so a backup object reads
// shop.sqlite rather than main.sqlite.
//
// Dump: VACUUM INTO makes a consistent snapshot (one read transaction) while
// applications keep writing, into a 0600 temporary file beside the database,
// which is then streamed and always removed. Beside, not in os.TempDir: the
// snapshot is as large as the database and as secret as it, so it belongs on
// the volume sized and protected for the database, not on a /tmp that may be
// a small tmpfs or shared. When the directory is not writable the plugin falls
// back to os.TempDir and says so in the log.
//
// Remote mode (an SSH host is set): the same, done on another host by its
// sqlite3 over SSH; see remote.go.
//
// Restore: see restore.go; the target is a path (see resolveTarget), the
// current file is kept as <path>.bak-<UTC timestamp>, and the new file is
// checked and renamed into place atomically.
package main

import (
	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// version is the plugin's own version.
const version = "0.1.0"

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "sqlite",
		DisplayName: "SQLite",
		Summary:     "Backs up and restores a SQLite database file, consistently while it is in use, on the plugin's host or on another host over SSH.",
		Version:     version,
		Schema: spec.Schema{Fields: append([]spec.Field{{
			Name: fieldPath, Label: "Database file", Type: spec.String, Required: true,
			Help: "Absolute path of the SQLite database file, as the plugin's host sees it (or, with an SSH host, as that host sees it).",
		}}, remoteFields()...)},
		Database: &engine{},
	}
}

func main() { sdk.Serve(plugin()) }
