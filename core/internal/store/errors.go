package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors repositories wrap; match them with errors.Is.
var (
	// ErrNotFound: no row has the id or name asked for.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the name (or other unique value) is already taken.
	ErrConflict = errors.New("already exists")
	// ErrInUse: other rows still refer to this one, so it cannot be deleted.
	ErrInUse = errors.New("in use")
	// ErrInvalid: a value the store refuses to keep (a setting out of range,
	// a plugin of the wrong kind).
	ErrInvalid = errors.New("invalid value")
	// ErrSchemaTooNew: the database was migrated by a newer dbkeep.
	ErrSchemaTooNew = errors.New("state database schema is newer than this dbkeep")
	// ErrSchemaDirty: a migration failed halfway and left the schema unknown.
	ErrSchemaDirty = errors.New("state database schema is dirty")
	// ErrWrongKey: the sealing key is not the one the database was created with.
	ErrWrongKey = errors.New("encryption key does not match the state database")
)

// sqliteCode returns the extended SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// classify maps driver errors to the package's sentinels and says what was
// being done: a unique violation becomes ErrConflict, a RESTRICT refusal
// ErrInUse, a reference to a missing row or no rows ErrNotFound, a CHECK
// ErrInvalid. Other errors
// are wrapped unchanged.
func classify(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%s: %w", what, ErrConflict)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		// Every foreign key in the schema names its ON DELETE action, so this
		// code comes from an insert or update naming a row that does not exist.
		return fmt.Errorf("%s: refers to a row that does not exist: %w", what, ErrNotFound)
	case sqlite3.SQLITE_CONSTRAINT_CHECK:
		return fmt.Errorf("%s: %w: %s", what, ErrInvalid, err)
	case sqlite3.SQLITE_CONSTRAINT_TRIGGER:
		// SQLite reports an ON DELETE RESTRICT refusal with the trigger code.
		if strings.Contains(err.Error(), "FOREIGN KEY") {
			return fmt.Errorf("%s: %w", what, ErrInUse)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}
