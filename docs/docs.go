// Package docs ships the documents a binary must carry: the file format
// specification goes into every recovery kit, so that a kit opens backups
// even where dbkeep itself is gone.
package docs

import _ "embed"

// Format is docs/format.md, the byte-level specification of the files
// dbkeep writes.
//
//go:embed format.md
var Format []byte
