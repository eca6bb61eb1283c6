// Command dbkeep-database-redis is dbkeep's Redis and Valkey database plugin,
// for standalone servers (not Cluster, not Sentinel discovery).
//
// A Redis server has no databases to choose between in a backup: its
// snapshot (an RDB file) holds the whole instance, every logical database
// (SELECT 0..n) at once. The plugin therefore lists one database, "instance".
//
// Dump: `redis-cli --rdb -` asks the server for the snapshot it sends to a
// new replica (BGSAVE in a fork, so it is a consistent point in time) and
// writes it to stdout, which is streamed as it arrives. The password reaches
// redis-cli through REDISCLI_AUTH, never its command line.
//
// Restore (the "RESTORE-key" mode): the dump is written to a private
// temporary directory and loaded by a throw-away redis-server that listens
// only on a Unix socket in that directory. Loading checks the whole file
// (Redis verifies the RDB checksum), so a truncated or damaged dump fails
// before the target is touched. Then every key is copied into the target with
// DUMP and RESTORE (with its absolute expiry), in pipelined batches. See
// restore.go for the target naming and the flush/replace options, and
// docs/databases.md for the limits.
package main

import (
	"github.com/dbkeep/dbkeep/sdk"
)

// version is the plugin's own version.
const version = "0.1.0"

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "redis",
		DisplayName: "Redis / Valkey",
		Summary: "Backs up a whole standalone Redis or Valkey instance as its RDB snapshot (one database, \"instance\"). " +
			"Restore copies every key with DUMP/RESTORE from a temporary local redis-server that loads the snapshot; " +
			"it needs redis-server on the plugin's host, refuses a non-empty target unless flush or replace is set, " +
			"and cannot restore module data types or dumps from a newer server than that local redis-server.",
		Version:  version,
		Schema:   schema(),
		Database: &engine{},
	}
}

func main() { sdk.Serve(plugin()) }
