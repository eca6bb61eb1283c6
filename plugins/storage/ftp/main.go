// Command dbkeep-storage-ftp is dbkeep's FTP and FTPS storage plugin: backups
// kept in a folder of an FTP server.
//
// Decisions, each for a backup's sake:
//
//   - The client is github.com/jlaffaye/ftp, the FTP client most Go projects
//     use (rclone among them). It speaks passive mode only (EPSV, then PASV),
//     which is what works through NAT and firewalls; active mode is not
//     offered. The address in a PASV answer is ignored for the control
//     connection's, so a server behind NAT that announces its private address
//     still works.
//   - TLS is explicit (AUTH TLS on port 21) by default, implicit (port 990)
//     or none on request: plain FTP sends the password in the clear, so it
//     is a choice the user makes, never a fallback. Certificates are verified
//     against the system's roots or a given CA; turning verification off is
//     a visible setting. Data connections are TLS too (PROT P), sharing the
//     control connection's session cache for servers that require reuse.
//   - One control connection per call. Every connection of a call, control
//     and data, is dialled by the plugin and closed when the call's context
//     ends, so a cancellation or a stalled server ends the transfer at once.
//   - An upload is stored under ".dbkeep-tmp-<random>" in the object's own
//     folder and renamed (RNFR/RNTO) over the final name when every byte is
//     acknowledged (226). A server whose rename refuses an existing target
//     gets the previous object removed first: for that moment neither is
//     under the name (the new one is whole under its temporary name). A
//     failed or cancelled upload removes its temporary file, over a new
//     connection when the old one is gone; a connection dropped before the
//     rename leaves nothing under the final name, at worst a temporary file
//     that List never shows.
//   - Object names are checked by storage.CleanName (no "..", no absolute
//     names) and sent relative to the folder, which the call enters first
//     (CWD), so a name cannot leave it. The folder must exist: a typo is
//     reported instead of backups going to a folder nobody looks at.
//   - FTP has no standard way to ask for free space, so there is no Usage.
//   - Reply codes get their meaning: 530 refused login, 550 missing (or, when
//     the server says so, denied), 553 and "permission" answers denied,
//     452/552 full disk or quota, 421 the server going away.
package main

import "github.com/dbkeep/dbkeep/sdk"

func main() { sdk.Serve(plugin()) }
