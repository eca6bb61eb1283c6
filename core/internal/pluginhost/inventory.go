package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// State is what the host makes of one plugin binary.
type State string

const (
	// StateOK: pinned, the sum matches, and it described itself as its file
	// name says.
	StateOK State = "ok"
	// StateChecksumMismatch: the sum differs from the pin; not executed.
	StateChecksumMismatch State = "checksum-mismatch"
	// StateUnpinned: no pin; not executed.
	StateUnpinned State = "unpinned"
	// StateDescribeFailed: trusted, but `describe` failed or disagreed with
	// the file name.
	StateDescribeFailed State = "describe-failed"
	// StateDisabled: switched off in plugins.hcl; not executed.
	StateDisabled State = "disabled"
	// StateMissing: pinned, but no binary in the plugin directory.
	StateMissing State = "missing"
)

// Entry is one plugin in an inventory.
type Entry struct {
	ID   string    `json:"id"`
	Kind spec.Kind `json:"kind"`
	Name string    `json:"name"`
	// File is the binary's absolute path.
	File string `json:"file"`
	// Version and Protocol come from `describe` when the binary was run,
	// otherwise from what the lock file recorded.
	Version  string `json:"version,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	// SHA256 is the file's sum as it is now.
	SHA256 string `json:"sha256,omitempty"`
	// PinnedSHA256 is the sum in the lock file.
	PinnedSHA256 string `json:"pinnedSha256,omitempty"`
	State        State  `json:"state"`
	// Error says what is wrong when State is not ok.
	Error string `json:"error,omitempty"`
	// Description is set when the binary was described.
	Description *spec.Description `json:"description,omitempty"`
}

// Inventory is what the plugin directory holds.
type Inventory struct {
	Plugins []Entry
	// Ignored lists files named like plugins that are not usable ones.
	Ignored []Ignored
}

// Problems returns the entries that a `plugins verify` fails on: every state
// but ok and disabled.
func (inv Inventory) Problems() []Entry {
	var out []Entry
	for _, e := range inv.Plugins {
		if e.State != StateOK && e.State != StateDisabled {
			out = append(out, e)
		}
	}
	return out
}

// Inventory verifies every binary in the plugin directory and describes the
// trusted, enabled ones by running `<binary> describe`. Binaries that fail
// verification are never executed. Plugins pinned but absent are listed as
// missing.
func (h *Host) Inventory(ctx context.Context) (Inventory, error) {
	bins, ignored, err := Discover(h.cfg.Dir)
	if err != nil {
		return Inventory{}, err
	}
	lock := h.pins()
	inv := Inventory{Ignored: ignored}
	seen := map[string]bool{}
	for _, b := range bins {
		seen[b.ID] = true
		inv.Plugins = append(inv.Plugins, h.inspect(ctx, b))
	}
	for id, pin := range lock.Pins {
		if seen[id] {
			continue
		}
		b, err := binaryFor(h.cfg.Dir, id)
		if err != nil {
			continue // ParseLock checked ids
		}
		inv.Plugins = append(inv.Plugins, Entry{
			ID: id, Kind: b.Kind, Name: b.Name, File: b.Path, Version: pin.Version, Protocol: pin.Protocol,
			PinnedSHA256: pin.SHA256, State: StateMissing,
			Error: fmt.Sprintf("plugin %s: pinned in %s but absent from %s", b.File(), h.cfg.LockFile, h.cfg.Dir),
		})
	}
	sort.Slice(inv.Plugins, func(i, j int) bool { return inv.Plugins[i].ID < inv.Plugins[j].ID })
	return inv, nil
}

// Inspect is Inventory for the one plugin id.
func (h *Host) Inspect(ctx context.Context, id string) (Entry, error) {
	b, err := binaryFor(h.cfg.Dir, id)
	if err != nil {
		return Entry{}, err
	}
	if _, err := os.Lstat(b.Path); errors.Is(err, os.ErrNotExist) {
		return Entry{}, fmt.Errorf("plugin %s: no such binary in %s", b.File(), h.cfg.Dir)
	}
	return h.inspect(ctx, b), nil
}

func (h *Host) inspect(ctx context.Context, b Binary) Entry {
	lock := h.pins()
	e := Entry{ID: b.ID, Kind: b.Kind, Name: b.Name, File: b.Path}
	pin, pinned := lock.Pins[b.ID]
	if pinned {
		e.PinnedSHA256, e.Version, e.Protocol = pin.SHA256, pin.Version, pin.Protocol
	}
	sum, err := verify(b, lock, h.cfg.LockFile)
	e.SHA256 = sum
	var mismatch *ChecksumError
	var unpinned *UnpinnedError
	switch {
	case errors.As(err, &mismatch):
		e.State, e.Error = StateChecksumMismatch, err.Error()
		return e
	case errors.As(err, &unpinned):
		e.State, e.Error = StateUnpinned, err.Error()
		return e
	case err != nil:
		e.State, e.Error = StateDescribeFailed, err.Error()
		return e
	}
	if !h.cfg.Enabled(b.ID) {
		e.State = StateDisabled
		return e
	}
	d, err := h.describeChecked(ctx, b, b.Path, sum)
	if err != nil {
		e.State, e.Error = StateDescribeFailed, err.Error()
		return e
	}
	e.State, e.Description = StateOK, &d
	e.Version, e.Protocol = d.Version, protocolOf(d)
	return e
}

func protocolOf(d spec.Description) string {
	return fmt.Sprintf("%d.%d", d.ProtocolMajor, d.ProtocolMinor)
}
