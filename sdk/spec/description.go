package spec

import (
	"fmt"
	"regexp"
)

// Description is what a plugin says of itself: in answer to Describe, and as
// JSON from the binary's `describe` subcommand.
type Description struct {
	// ID is "<kind>-<name>"; the binary is "dbkeep-<ID>".
	ID          string `json:"id"`
	Kind        Kind   `json:"kind"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Summary     string `json:"summary,omitempty"`
	// Version is the plugin's own version (semver without a leading v).
	Version       string       `json:"version"`
	SDKVersion    string       `json:"sdkVersion"`
	ProtocolMajor int          `json:"protocolMajor"`
	ProtocolMinor int          `json:"protocolMinor"`
	Capabilities  []Capability `json:"capabilities"`
	Schema        Schema       `json:"configSchema"`
}

// Capability names something a plugin can do beyond its kind's required calls.
// The SDK derives capabilities from the optional interfaces an implementation
// satisfies; a core treats a call answered "unimplemented" as a capability absent.
type Capability string

const (
	// CapUsage: the storage reports used and free bytes.
	CapUsage Capability = "usage"
	// CapRestore: the database plugin restores (PrepareRestore and Restore).
	CapRestore Capability = "restore"
	// CapRowCount: the database plugin counts the rows of a database's
	// tables (CountRows), for restore drills.
	CapRowCount Capability = "row-count"
	// CapConfigValidation: the plugin checks configurations beyond the schema.
	CapConfigValidation Capability = "config-validation"
)

// Has reports whether d lists capability c.
func (d Description) Has(c Capability) bool {
	for _, have := range d.Capabilities {
		if have == c {
			return true
		}
	}
	return false
}

// BinaryName is the executable name of the plugin described.
func (d Description) BinaryName() string { return "dbkeep-" + d.ID }

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidName reports an error when name is not usable as a plugin name: lower-case
// letters, digits and dashes, starting with a letter or digit.
func ValidName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("plugin name %q: use lower-case letters, digits and dashes (at most 63)", name)
	}
	return nil
}

// Validate checks that a description is complete and self-consistent.
func (d Description) Validate() error {
	if _, err := ParseKind(string(d.Kind)); err != nil {
		return err
	}
	if err := ValidName(d.Name); err != nil {
		return err
	}
	if d.ID != string(d.Kind)+"-"+d.Name {
		return fmt.Errorf("plugin id %q does not match kind %q and name %q", d.ID, d.Kind, d.Name)
	}
	if d.Version == "" {
		return fmt.Errorf("plugin %s: version is empty", d.ID)
	}
	return d.Schema.check()
}
