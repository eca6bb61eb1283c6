package main

import (
	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// version is the plugin's own version.
const version = "0.1.0"

// TLS modes of the "tls" field.
const (
	tlsNone     = "none"
	tlsExplicit = "explicit"
	tlsImplicit = "implicit"
)

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "ftp",
		DisplayName: "FTP / FTPS server",
		Summary:     "Backups in a folder of an FTP server, over explicit or implicit TLS, with uploads that appear only when complete.",
		Version:     version,
		Schema: spec.Schema{Fields: []spec.Field{
			{Name: "host", Label: "Host", Type: spec.String, Required: true, Group: "Connection",
				Help: "Host name or IP address of the FTP server."},
			{Name: "port", Label: "Port", Type: spec.Int, Group: "Connection",
				Help: "Empty: 21, or 990 with implicit TLS."},
			{Name: "tls", Label: "TLS", Type: spec.Select, Default: tlsExplicit, Group: "Connection",
				Options: []spec.Option{
					{Value: tlsExplicit, Label: "Explicit (AUTH TLS, usually port 21)"},
					{Value: tlsImplicit, Label: "Implicit (FTPS, usually port 990)"},
					{Value: tlsNone, Label: "None: password and backups travel unencrypted"},
				},
				Help: "Explicit TLS is what most servers offer. Without TLS anyone on the way can read the password and the backups (encrypted backups stay unreadable, the password does not)."},
			{Name: "tls-verify", Label: "Verify the TLS certificate", Type: spec.Bool, Default: "true", Group: "Connection",
				Help: "Turn off only for a server with a self-signed certificate you cannot give as CA below: without verification, someone in between can pose as the server."},
			{Name: "ca-certificate", Label: "CA certificate", Type: spec.File, Group: "Connection",
				Help: "PEM certificate(s) to trust for this server instead of the system's authorities: the server's own self-signed certificate, or the CA that signed it."},
			{Name: "user", Label: "User", Type: spec.String, Required: true, Group: "Login"},
			{Name: "password", Label: "Password", Type: spec.Secret, Group: "Login"},
			{Name: "path", Label: "Folder", Type: spec.String, Group: "Location",
				Help: "Folder on the server that holds the backups: absolute (/backups) or relative to the login folder. It must exist: dbkeep does not create it, so a typo is reported. Empty: the login folder."},
		}},
		Storage: &ftpstore{},
	}
}
