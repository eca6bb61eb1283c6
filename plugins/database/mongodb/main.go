// Command dbkeep-database-mongodb is dbkeep's MongoDB database plugin. It
// talks to the server with the official Go driver (go.mongodb.org/mongo-driver/v2)
// and, by default, dumps and restores over that driver itself: mongodump and
// mongorestore are optional.
//
// Decisions:
//
//   - Native dump: one database per dump, as a stream of BSON records (the
//     "MongoDB native stream" of docs/format.md, package stream): a header,
//     then per collection its creation options, every document exactly as the
//     server returned it (no decoding, so every BSON type survives), its index
//     specifications and its counts, then the views, then a trailer with the
//     totals. Documents flow from the cursor batch by batch into the stream;
//     nothing holds more than a cursor batch. A restore refuses a stream cut
//     anywhere, with bytes after its trailer, or with counts that disagree.
//   - The dump is not a point-in-time snapshot across collections (no oplog
//     on a standalone server, and FerretDB has none): each collection is read
//     with one cursor, as mongodump without --oplog does.
//   - system.* collections are skipped (profile, views' own catalogue, ...);
//     views are dumped from their definitions, never their documents.
//   - Restore: into RestoreRequest.TargetDatabase (the namespace mapping:
//     every collection of the source lands in the target database under its
//     own name). The target must hold no collection unless the restore
//     option drop=true is given, in which case the collections and views of
//     the dump are dropped before being recreated (others are kept). Each
//     collection is created with its options, filled with ordered batched
//     inserts (at most 1000 documents or 8 MiB a batch), then its indexes are
//     built in one createIndexes. A restore that fails into a database that
//     held nothing before drops that database again.
//   - mongodump mode (dump-tool=mongodump): mongodump --archive of one
//     database, restored with mongorestore --archive --nsFrom/--nsTo. The
//     connection string and password reach the tools through a 0600 YAML
//     file given with --config, never argv. Only checked where the tools
//     exist; they are not installable on the project's own machines.
//   - Test reports buildInfo's version, and as edition "MongoDB Community",
//     "MongoDB Enterprise" or "FerretDB <version>".
package main

import (
	"github.com/dbkeep/dbkeep/sdk"
)

// version is the plugin's own version.
const version = "0.1.0"

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "mongodb",
		DisplayName: "MongoDB",
		Summary:     "Backs up and restores MongoDB databases (collections, documents, indexes, options, views) over the Go driver, or with mongodump when installed.",
		Version:     version,
		Schema:      schema(),
		Database:    &engine{},
	}
}

// engine implements database.Database, database.Restorer and
// spec.ConfigValidator for MongoDB. It holds no state: configuration travels
// with every call.
type engine struct{}

func main() { sdk.Serve(plugin()) }
