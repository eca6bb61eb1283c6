package pluginhost

import (
	"path/filepath"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// BinaryPrefix starts the file name of every plugin executable.
const BinaryPrefix = "dbkeep-"

// Binary is a plugin executable in the plugin directory.
type Binary struct {
	// ID is "<kind>-<name>", the file name without BinaryPrefix.
	ID   string
	Kind spec.Kind
	Name string
	// Path is absolute.
	Path string
}

// File is the binary's file name, the name errors and logs use.
func (b Binary) File() string { return BinaryPrefix + b.ID }

// binaryFor returns the binary that would serve plugin id in dir.
func binaryFor(dir, id string) (Binary, error) {
	kind, name, err := pluginconf.ParseID(id)
	if err != nil {
		return Binary{}, err
	}
	return Binary{ID: id, Kind: kind, Name: name, Path: filepath.Join(dir, BinaryPrefix+id)}, nil
}
