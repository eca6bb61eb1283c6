// Package host is the client half of the plugin protocol: what the dbkeep core
// (and the conformance kits) use to start a plugin and call it through the same
// Go interfaces a plugin author implements.
//
// Plugin authors do not need this package; they start in package sdk.
package host
