// Package seal protects the core's system secrets at rest: plugin
// configuration fields the plugin schema marks secret, and encryption profile
// keys. Values are sealed with AES-256-GCM under one key, taken from
// DBKEEP_ENCRYPTION_KEY or from a key file beside the state database.
//
// A sealed value is bound to the place it is stored (see AD), so a value
// copied from one row or column to another fails to open instead of being
// used where it does not belong.
//
// The package never logs and never formats a key or a plaintext into an
// error message.
package seal
