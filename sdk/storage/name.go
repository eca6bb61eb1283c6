package storage

import (
	"fmt"
	"path"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// CleanName checks an object name and returns it cleaned. It refuses empty
// names, absolute names, backslashes, NUL bytes and any ".." element, so that a
// name can be joined to a base location without escaping it. Symbolic links
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
