// Package webui holds the built web UI, embedded into the core binary. The
// React app builds into dist/; a committed placeholder page keeps `go build`
// working (and the core useful) before it is built.
package webui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the UI's files, rooted at dist/ (index.html at the top).
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// Only reachable if the embed directive above changes.
		panic(err)
	}
	return sub
}
