package spec

import (
	"errors"
	"strings"
)

// Errors with a meaning both sides of the plugin boundary agree on. A plugin
// returns (or wraps) one of these; the SDK carries it across as a gRPC status
// code, and the error the core receives matches it with errors.Is. Any other
// error arrives as a plain error with the plugin's message.
var (
	// ErrNotFound: the object, database or file does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: the target exists and the call does not overwrite.
	ErrAlreadyExists = errors.New("already exists")
	// ErrPermission: the credentials are valid but not allowed to do this.
	ErrPermission = errors.New("permission denied")
	// ErrUnauthenticated: the credentials were refused.
	ErrUnauthenticated = errors.New("authentication failed")
	// ErrNoSpace: the disk, quota or bucket is full.
	ErrNoSpace = errors.New("no space left")
	// ErrUnavailable: the server could not be reached; trying again may work.
	ErrUnavailable = errors.New("unavailable")
	// ErrUnsupported: the plugin does not implement this call (capability absent).
	ErrUnsupported = errors.New("not supported by this plugin")
	// ErrInvalidArgument: a request argument (not the config) is unusable,
	// such as an object name that escapes the storage location.
	ErrInvalidArgument = errors.New("invalid argument")
)

// FieldError says what is wrong with one configuration field. Field is empty
// for a problem with the configuration as a whole.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) String() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// ValidationError is an invalid configuration, with every bad field named.
type ValidationError struct {
	Fields []FieldError
}

// Add records a problem with field.
func (e *ValidationError) Add(field, message string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: message})
}

// Err returns e as an error, or nil when no field was added.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	return "invalid configuration: " + strings.Join(parts, "; ")
}

// FieldErrors returns the field errors of err when it is, or wraps, a
// *ValidationError.
func FieldErrors(err error) []FieldError {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Fields
	}
	return nil
}
