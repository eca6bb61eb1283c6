package main

import (
	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// version is the plugin's own version.
const version = "0.1.0"

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "sftp",
		DisplayName: "SFTP server",
		Summary:     "Backups in a folder of an SSH server over SFTP, with a pinned host key, password or key login, and uploads that appear only when complete.",
		Version:     version,
		Schema: spec.Schema{Fields: []spec.Field{
			{Name: "host", Label: "Host", Type: spec.String, Required: true, Group: "Connection",
				Help: "Host name or IP address of the SSH server."},
			{Name: "port", Label: "Port", Type: spec.Int, Default: "22", Group: "Connection"},
			{Name: "host-key", Label: "Host key fingerprint", Type: spec.String, Group: "Connection",
				Help: "The server's SHA256 fingerprint, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it on the server (SHA256:...), or its public key line. A server presenting another key is refused: that is what stops someone in between from receiving the backups."},
			{Name: "trust-on-first-use", Label: "Trust the host key on first use", Type: spec.Bool, Default: "false", Group: "Connection",
				Help: "Accept whatever key the server presents, and show its fingerprint in the result of Test so that you can pin it above. dbkeep keeps no memory of it: until you pin it, every connection trusts blindly."},
			{Name: "user", Label: "User", Type: spec.String, Required: true, Group: "Login"},
			{Name: "password", Label: "Password", Type: spec.Secret, Group: "Login",
				Help: "A password, a private key, or both (the key is tried first)."},
			{Name: "private-key", Label: "Private key", Type: spec.File, Sensitive: true, Group: "Login",
				Help: "An OpenSSH or PEM private key (ed25519, ECDSA or RSA). Prefer a key made for dbkeep alone, allowed only SFTP on the server."},
			{Name: "passphrase", Label: "Key passphrase", Type: spec.Secret, Group: "Login",
				Help: "Only for an encrypted private key."},
			{Name: "path", Label: "Folder", Type: spec.String, Group: "Location",
				Help: "Folder on the server that holds the backups: absolute (/srv/backups) or relative to the user's login folder. It must exist: dbkeep does not create it, so a typo is reported. Empty: the login folder."},
		}},
		Storage: &sftpstore{},
	}
}
