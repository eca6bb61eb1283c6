// Command dbkeep-notification-webhook is the webhook notification plugin: it
// POSTs every event as JSON to a URL, optionally signed with HMAC-SHA256 so
// the receiver can tell the request came from this dbkeep (see signature.go).
package main

import "github.com/dbkeep/dbkeep/sdk"

// version is this plugin's version; the User-Agent carries it.
const version = "0.1.0"

func main() { sdk.Serve(newPlugin()) }

// newPlugin is the plugin as main serves it and its tests start it.
func newPlugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "webhook",
		DisplayName: "Webhook",
		Summary:     "POSTs each event as JSON to a URL, optionally signed with HMAC-SHA256.",
		Version:     version,
		Schema:      schema,
		Notifier:    &webhook{},
	}
}
