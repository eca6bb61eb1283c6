// Package pluginhost runs the core's plugins: it finds the dbkeep-<kind>-<name>
// binaries in the plugin directory, refuses any whose SHA-256 is not the one
// pinned in plugins.lock.hcl (without executing it, not even for `describe`),
// starts trusted ones on first use through go-plugin with a fresh checksum per
// launch, and supervises them: a crash fails the calls in flight at once with
// an error naming the plugin, is logged, and the plugin restarts on next use.
//
// The rest of the core uses a *Host: its kind getters (Storage, Database,
// Notifier, OIDC) return clients that implement the SDK's interfaces and
// reach whichever process currently serves the plugin. Inventory, Install and
// LockAll serve `dbkeep plugins ...`.
package pluginhost
