package main

import (
	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// version is the plugin's own version.
const version = "0.1.0"

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "smb",
		DisplayName: "SMB / Windows share",
		Summary:     "Backups in a folder of an SMB share (Windows, Samba, a NAS) over SMB 2 or 3, with uploads that appear only when complete.",
		Version:     version,
		Schema: spec.Schema{Fields: []spec.Field{
			{Name: "host", Label: "Server address", Type: spec.String, Required: true, Group: "Connection",
				Help: "Host name or IP address of the file server, without \\\\ or smb://."},
			{Name: "port", Label: "Port", Type: spec.Int, Default: "445", Group: "Connection"},
			{Name: "share", Label: "Share", Type: spec.String, Required: true, Group: "Connection",
				Help: "The share's name, as in \\\\server\\share. dbkeep does not create shares."},
			{Name: "user", Label: "User", Type: spec.String, Required: true, Group: "Login"},
			{Name: "password", Label: "Password", Type: spec.Secret, Group: "Login"},
			{Name: "domain", Label: "Domain", Type: spec.String, Group: "Login",
				Help: "The Windows domain or workgroup of the user, when the server asks for one; empty for a local account."},
			{Name: "path", Label: "Folder", Type: spec.String, Group: "Location",
				Help: "Folder inside the share that holds the backups, with / between names (backups/db). It must exist: dbkeep does not create it, so a typo is reported. Empty: the share itself."},
			{Name: "min-dialect", Label: "Oldest SMB version", Type: spec.Select, Default: "3", Group: "Security",
				Options: []spec.Option{{Value: "3", Label: "SMB 3 (3.0, 3.0.2, 3.1.1)"}, {Value: "2", Label: "SMB 2 or 3 (2.0.2 and up)"}},
				Help:    "A server that speaks only older versions is refused. SMB 2 has no encryption and weaker signing: allow it only for an old NAS on a network you trust. SMB 1 is never used."},
			{Name: "require-encryption", Label: "Require encryption", Type: spec.Bool, Default: "false", Group: "Security",
				Help: "Refuse the share unless the server encrypts its traffic (SMB 3; on Samba `smb encrypt = required`, on Windows the share's \"Encrypt data access\"). dbkeep's own encryption profiles protect the backups either way; this also protects names and the login session."},
		}},
		Storage: &smbstore{},
	}
}
