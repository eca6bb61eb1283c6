package main

import (
	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// version is the plugin's own version.
const version = "0.1.0"

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "webdav",
		DisplayName: "WebDAV server",
		Summary:     "Backups in a folder of a WebDAV server (Nextcloud, ownCloud, a NAS, Apache, nginx), with uploads that appear only when complete.",
		Version:     version,
		Schema: spec.Schema{Fields: []spec.Field{
			{Name: "url", Label: "URL", Type: spec.String, Required: true, Group: "Connection",
				Help: "The WebDAV address, https://... (Nextcloud: https://cloud.example.com/remote.php/dav/files/USER)."},
			{Name: "tls-verify", Label: "Verify the TLS certificate", Type: spec.Bool, Default: "true", Group: "Connection",
				Help: "Turn off only for a server with a self-signed certificate you cannot give as CA below: without verification, someone in between can pose as the server."},
			{Name: "ca-certificate", Label: "CA certificate", Type: spec.File, Group: "Connection",
				Help: "PEM certificate(s) to trust for this server instead of the system's authorities."},
			{Name: "user", Label: "User", Type: spec.String, Group: "Login"},
			{Name: "password", Label: "Password", Type: spec.Secret, Group: "Login",
				Help: "Sent with Basic authentication, so use https. Nextcloud and ownCloud: an app password."},
			{Name: "path", Label: "Folder", Type: spec.String, Group: "Location",
				Help: "Folder below the URL that holds the backups. It must exist: dbkeep does not create it, so a typo is reported. Empty: the URL itself."},
		}},
		Storage: &davstore{},
	}
}
