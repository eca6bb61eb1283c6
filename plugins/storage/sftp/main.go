// Command dbkeep-storage-sftp is dbkeep's SFTP storage plugin: backups kept
// in a folder of an SSH server.
//
// Decisions, each for a backup's sake:
//
//   - The host key is pinned by its SHA256 fingerprint, as ssh-keygen -lf
//     prints it; a server presenting another key is refused, and the error
//     names both fingerprints. Without a pin the configuration is refused,
//     unless trust-on-first-use is set: a plugin keeps no state, so that
//     means "accept any key and report it" — Test's detail and every
//     connection error show the key, for the user to pin. It is an explicit,
//     visible choice, never a default.
//   - A private key is offered before a password; an encrypted key needs
//     its passphrase. Keys are checked when the configuration is validated,
//     so a pasted key with a line missing is reported on the form.
//   - One SSH connection per call, reused for all the requests of that call
//     (a Delete's stat, remove and folder clean-up). Cancelling the call's
//     context closes the connection, which ends a transfer even when the
//     server stalls; an upload's connection lingers up to 2 s first, so that
//     its temporary file is closed and removed in order.
//   - An upload is written to ".dbkeep-tmp-<random>" in the object's own
//     folder and renamed over the final name with posix-rename@openssh.com,
//     which replaces atomically. A server without that extension gets a
//     plain rename, which cannot overwrite: the previous object is removed
//     first, and for that moment neither is under the name (the new one is
//     whole under its temporary name). Temporary names are never listed,
//     refused as object names, and removed when an upload fails or is
//     cancelled — over a new connection when the cancellation closed the
//     call's own.
//   - A download's read errors are given their meaning like any call's: a
//     connection lost mid-stream is spec.ErrUnavailable, never a short
//     clean end, so the core's retry decorator reopens it where it broke.
//   - Object names are checked by storage.CleanName (no "..", no absolute
//     names) before being joined to the folder, so a name cannot leave it.
//     Symbolic links on the server are the server's administrator's: they
//     are followed, as the SFTP server resolves them.
//   - The folder must exist: a typo is reported (spec.ErrNotFound naming
//     the folder) instead of backups going to a new folder nobody looks at.
//     Folders below it are made as objects need them, and removed when
//     deleting leaves them empty.
//   - Usage asks statvfs@openssh.com (OpenSSH has it): what the filesystem
//     holding the folder has free. A server without it answers
//     spec.ErrUnsupported.
package main

import "github.com/dbkeep/dbkeep/sdk"

func main() { sdk.Serve(plugin()) }
