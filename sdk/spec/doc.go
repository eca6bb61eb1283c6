// Package spec holds what every dbkeep plugin shares whatever its kind: the
// Description a plugin gives of itself, the configuration Schema the web UI
// renders forms from, Config values, the errors that cross the plugin boundary,
// and the protocol and SDK version constants.
//
// A plugin author starts in package sdk (Serve) and the package of the kind
// being written (storage, database, notification, oidc); this package supplies
// the vocabulary those use.
package spec
