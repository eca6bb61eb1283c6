// Command dbkeep-storage-local is dbkeep's local storage plugin: backups kept
// in a directory of the machine running dbkeep (a local disk, a mounted USB
// disk, an NFS or SMB share). See local.go for the choices it makes.
package main

import "github.com/dbkeep/dbkeep/sdk"

func main() { sdk.Serve(plugin()) }
