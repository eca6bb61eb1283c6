// Command dbkeep-storage-smb is dbkeep's SMB storage plugin: backups kept
// in a folder of a Windows share, a Samba server or a NAS, over SMB 2 or 3
// (github.com/cloudsoda/go-smb2, the maintained fork of hirochachacha's
// client that rclone uses).
//
// Decisions, each for a backup's sake:
//
//   - Login is NTLM with user, password and domain. SMB 1 is never spoken;
//     the oldest dialect allowed is SMB 3 unless the configuration lowers
//     it to 2. The client library keeps the negotiated dialect and whether
//     it encrypts to itself, so the plugin watches the connection's frames
//     (watch.go): the dialect from the server's NEGOTIATE answer, and, when
//     encryption is required, that every request inside the share went out
//     as an encrypted (TRANSFORM) message. The client encrypts whenever the
//     server asks; it cannot ask on its own, so "require encryption" refuses
//     a share that does not.
//   - One connection per call, reused for all the requests of that call.
//     Cancelling the call's context closes it, which ends a transfer even
//     when the server stalls; an upload's connection lingers up to 2 s
//     first, so that its temporary file is closed and removed in order.
//   - An upload is written to ".dbkeep-tmp-<random>" in the object's own
//     folder and renamed over the final name with SMB's ReplaceIfExists,
//     which the server does in one step. Temporary names are never listed,
//     refused as object names, and removed when an upload fails or is
//     cancelled — over a new connection when the cancellation closed the
//     call's own. Size and SHA-256 are computed by the SDK from the bytes
//     streamed.
//   - Object names are checked by storage.CleanName (no "..", no absolute
//     names, no backslashes) before being joined to the folder, so a name
//     cannot leave it; symbolic links are the server's (Samba refuses links
//     leaving the share by default).
//   - The share and the folder must exist: a typo is reported (ErrNotFound
//     naming them) instead of backups going to a new folder nobody looks at.
//     Folders below it are made as objects need them, and removed when
//     deleting leaves them empty.
//   - Usage asks the volume's size as the server reports it to this user
//     (FileFsFullSizeInformation), quotas included.
package main

import "github.com/dbkeep/dbkeep/sdk"

func main() { sdk.Serve(plugin()) }
