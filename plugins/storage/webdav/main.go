// Command dbkeep-storage-webdav is dbkeep's WebDAV storage plugin: backups
// kept in a folder (collection) of a WebDAV server: Nextcloud, ownCloud,
// Apache mod_dav, nginx, a NAS, rclone serve webdav.
//
// Decisions, each for a backup's sake:
//
//   - The client is github.com/studio-b12/gowebdav (PROPFIND parsing, MKCOL,
//     MOVE, ranged GET), driven so that memory stays bounded: uploads go
//     through WriteStreamWithLength with an unknown length, which streams
//     the body chunked (its WriteStream would copy a whole stream into
//     memory), and credentials are sent pre-emptively with Basic auth (its
//     default negotiating authorizer keeps a copy of every request body, to
//     resend it after a challenge). Digest-only servers are not supported.
//   - Every request of a call carries the call's context (through the
//     client's transport), so cancelling a call aborts its request at once,
//     an upload's included.
//   - An upload is PUT to ".dbkeep-tmp-<random>" in the object's own folder
//     and then MOVEd over the final name (Overwrite: T), which servers do
//     as a rename. A server that refuses MOVE (405 or 501) gets COPY then
//     DELETE of the temporary resource, and a warning in the log: the final
//     name then appears only once complete, but not atomically. A server
//     refusing both fails the upload with words saying so. A failed,
//     cancelled or dropped upload never reaches the MOVE, so nothing is under
//     the final name; its temporary resource is deleted, over a fresh
//     request when the call's own was cancelled.
//   - Folders (collections) are made with MKCOL as objects need them. They
//     are not removed when emptied: WebDAV has no "delete if empty", and a
//     DELETE of a collection takes everything in it, an upload in progress
//     included.
//   - Object names are checked by storage.CleanName (no "..", no absolute
//     names) and every path element is percent-encoded, so "%2e%2e" is a
//     literal name inside the folder, never a parent.
//   - The configured folder must exist: a typo is reported instead of
//     backups going to a folder nobody looks at.
//   - There is no Usage: few servers answer RFC 4331's quota properties
//     (rclone and Apache do not), and the capability is fixed per plugin.
//     Test reports the quota when the server does answer.
package main

import "github.com/dbkeep/dbkeep/sdk"

func main() { sdk.Serve(plugin()) }
