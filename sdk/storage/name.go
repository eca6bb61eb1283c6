package storage

import (
	"crypto/rand"
	"fmt"
	"path"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TempPrefix starts the name of every temporary object a plugin writes: an
// upload in progress, a Test probe. CleanName refuses names with an element
// that starts with it, so a backup object can never collide with a temporary
// one, and List implementations skip temporary objects by this prefix.
const TempPrefix = ".dbkeep-tmp-"

// TempName returns a fresh name for a temporary object: TempPrefix followed by
// random characters.
func TempName() string { return TempPrefix + rand.Text() }

// IsTemp reports whether the last element of name is a temporary object's.
func IsTemp(name string) bool { return strings.HasPrefix(path.Base(name), TempPrefix) }

// CleanName checks an object name and returns it cleaned. It refuses empty
// names, absolute names, backslashes, NUL bytes, any ".." element and any
// element starting with TempPrefix, so that a name can be joined to a base
// location without escaping it or touching a temporary object. Symbolic links
// are the implementation's own concern.
func CleanName(name string) (string, error) {
	switch {
	case name == "":
		return "", fmt.Errorf("object name is empty: %w", spec.ErrInvalidArgument)
	case strings.HasPrefix(name, "/"):
		return "", fmt.Errorf("object name %q is absolute: %w", name, spec.ErrInvalidArgument)
	case strings.ContainsAny(name, "\\\x00"):
		return "", fmt.Errorf("object name %q contains a backslash or NUL: %w", name, spec.ErrInvalidArgument)
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", fmt.Errorf("object name %q leaves the storage location: %w", name, spec.ErrInvalidArgument)
		}
		if strings.HasPrefix(elem, TempPrefix) {
			return "", fmt.Errorf("object name %q uses the prefix %q reserved for temporary objects: %w", name, TempPrefix, spec.ErrInvalidArgument)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", fmt.Errorf("object name %q names no object: %w", name, spec.ErrInvalidArgument)
	}
	return clean, nil
}

// CleanPrefix is CleanName for listing prefixes, where "" (everything) is allowed
// and a trailing slash is kept.
func CleanPrefix(prefix string) (string, error) {
	if prefix == "" {
		return "", nil
	}
	clean, err := CleanName(prefix)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(prefix, "/") {
		clean += "/"
	}
	return clean, nil
}
