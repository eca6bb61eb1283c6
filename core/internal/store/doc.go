// Package store is the core's state: one SQLite database in the data
// directory, reached through repositories, one per aggregate: Settings;
// Users, Groups, Sessions and APIKeys (accounts); Connections for sources,
// destinations and notification channels; EncryptionProfiles; Jobs;
// Executions; Audit. No SQL lives outside this package.
//
// Conventions every repository keeps:
//
//   - Every method takes a context first and may block on the database.
//   - Errors wrap ErrNotFound, ErrConflict (a unique name taken) or ErrInUse
//     (a row other rows still depend on), with what was looked for.
//   - Times are stored as UTC text in one fixed-width ISO 8601 form
//     (2006-01-02T15:04:05.000Z), written by formatTime only, so text order
//     is time order and the shell shows what the API shows. Times returned
//     are UTC with millisecond precision.
//   - Secrets are sealed by package seal before they reach SQL, bound to
//     their table, row and column.
//
// Connections: all writes go through one connection (SQLite admits one
// writer at a time; serialising in Go means writers queue instead of failing
// with SQLITE_BUSY, and transactions begin IMMEDIATE so a read never has to
// upgrade to a write lock mid-transaction). Reads use a separate pool, which
// WAL lets proceed while a write is in progress. The busy timeout covers the
// remaining contention: another process (a dbkeep admin command) and WAL
// checkpoints.
package store
