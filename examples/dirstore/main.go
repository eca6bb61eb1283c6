// Command dbkeep-storage-dirstore is an example dbkeep storage plugin, written
// out of tree against the SDK alone. It keeps objects in a local directory,
// but not under their own paths: every object is one file in a shard folder
// chosen by a hash of its name, so millions of objects never crowd a folder.
//
// Build it as the core expects plugins to be named:
//
//	go build -o dbkeep-storage-dirstore .
//	dbkeep plugins install ./dbkeep-storage-dirstore
package main

import "github.com/dbkeep/dbkeep/sdk"

func main() { sdk.Serve(Plugin()) }
