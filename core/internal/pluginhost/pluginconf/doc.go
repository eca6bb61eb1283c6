// Package pluginconf reads and writes the two files that decide which plugin
// binaries the core may run: plugins.hcl (where plugins live and how they are
// trusted, written by a person and committed) and plugins.lock.hcl (the SHA-256
// pinned for each binary, written by `dbkeep plugins lock|install`, like
// Terraform's lock file).
//
// Every error about a file's content is an hcl.Diagnostics rendered with the
// file name and line, so a person can go straight to the mistake.
package pluginconf
