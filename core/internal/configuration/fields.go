package configuration

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// maxNameLength matches the state database's CHECK on every name column.
const maxNameLength = 100

// checkName returns name trimmed, adding an error for field when it is
// empty or too long.
func checkName(errs *spec.ValidationError, field, name string) string {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		errs.Add(field, "is required")
	case n > maxNameLength:
		errs.Add(field, fmt.Sprintf("must be at most %d characters", maxNameLength))
	}
	return name
}

// addPrefixed adds the field errors of err to errs with every field name
// prefixed ("config." + "password"). It reports whether err held any; an
// error that is not a validation error is left to the caller.
func addPrefixed(errs *spec.ValidationError, prefix string, err error) bool {
	fields := spec.FieldErrors(err)
	for _, f := range fields {
		name := prefix
		if f.Field != "" {
			name = prefix + "." + f.Field
		}
		errs.Add(name, f.Message)
	}
	return len(fields) > 0
}

// nameTaken turns the store's conflict on a unique name into an error on
// the name field, so a client learns which field to change.
func nameTaken(err error, noun string) error {
	if errors.Is(err, store.ErrConflict) {
		return &spec.ValidationError{Fields: []spec.FieldError{{Field: "name", Message: "is already used by another " + noun}}}
	}
	return err
}

// indexed builds a field path into a list: "destinations[1]".
func indexed(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }
