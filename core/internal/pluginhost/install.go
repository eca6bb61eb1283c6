package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
)

// ErrInstalled: Install would replace a different binary, and force is off.
var ErrInstalled = errors.New("a different binary is installed")

// Install copies the plugin binary at src into the plugin directory and pins
// its sum. The copy is made first, under a temporary name in the plugin
// directory, and only the copy is hashed, described and renamed into place:
// what gets pinned is exactly the file that will run, whatever happens to src.
// src must be named dbkeep-<kind>-<name> and describe itself as that plugin
// with the core's protocol major. An installed binary with a different sum is
// replaced only when force is set.
func (h *Host) Install(ctx context.Context, src string, force bool) (Entry, error) {
	b, err := binaryFor(h.cfg.Dir, strings.TrimPrefix(filepath.Base(src), BinaryPrefix))
	if err != nil || !strings.HasPrefix(filepath.Base(src), BinaryPrefix) {
		return Entry{}, fmt.Errorf("install %s: a plugin binary is named %s<kind>-<name>", src, BinaryPrefix)
	}
	if err := os.MkdirAll(h.cfg.Dir, 0o755); err != nil {
		return Entry{}, fmt.Errorf("install %s: %w", b.File(), err)
	}
	tmp, sum, err := copyHashed(src, h.cfg.Dir)
	if err != nil {
		return Entry{}, fmt.Errorf("install %s: %w", b.File(), err)
	}
	defer os.Remove(tmp) // a no-op once renamed

	d, err := h.describeChecked(ctx, b, tmp, sum)
	if err != nil {
		return Entry{}, fmt.Errorf("install: %w", err)
	}
	// The copy is ours, but make sure describe did not change it.
	if again, err := SumFile(tmp); err != nil || again != sum {
		return Entry{}, fmt.Errorf("install %s: the copy changed while it was described", b.File())
	}

	if old, err := SumFile(b.Path); err == nil && old != sum && !force {
		return Entry{}, fmt.Errorf("install %s: %w (%s has sha256 %s, the new one %s); use --force to replace it",
			b.File(), ErrInstalled, b.Path, old, sum)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Entry{}, fmt.Errorf("install %s: %w", b.File(), err)
	}

	pin := pluginconf.Pin{SHA256: sum, Version: d.Version, Protocol: protocolOf(d)}
	// Pin before the rename: a crash in between leaves a pin whose binary is
	// missing or mismatched (refused, reported), never a binary that runs
	// unpinned-but-trusted.
	if err := h.pin(map[string]pluginconf.Pin{b.ID: pin}, false); err != nil {
		return Entry{}, fmt.Errorf("install %s: %w", b.File(), err)
	}
	if err := os.Rename(tmp, b.Path); err != nil {
		return Entry{}, fmt.Errorf("install %s: %w", b.File(), err)
	}
	h.logger.Info("plugin installed", "plugin", b.File(), "version", d.Version, "sha256", sum)
	return Entry{ID: b.ID, Kind: b.Kind, Name: b.Name, File: b.Path, Version: d.Version, Protocol: pin.Protocol,
		SHA256: sum, PinnedSHA256: sum, State: StateOK, Description: &d}, nil
}

// copyHashed copies src to a new temporary file in dir, mode 0755, and
// returns its path and the sum of the bytes written.
func copyHashed(src, dir string) (string, string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", "", err
	}
	defer in.Close()
	if info, err := in.Stat(); err != nil {
		return "", "", err
	} else if !info.Mode().IsRegular() {
		return "", "", fmt.Errorf("%s is not a regular file", src)
	}
	out, err := os.CreateTemp(dir, ".install-*")
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Chmod(0o755)
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", "", err
	}
	return out.Name(), hex.EncodeToString(h.Sum(nil)), nil
}

// LockAll pins every binary in the plugin directory as it is now, and drops
// the pins of binaries that are gone: the lock file then describes the
// directory exactly. It is how first-party builds are trusted. Enabled
// binaries are described (so executed: pinning is the act of trusting them)
// to record their version, and must describe themselves as their file names
// say; disabled ones are pinned without running.
func (h *Host) LockAll(ctx context.Context) ([]Entry, error) {
	bins, _, err := Discover(h.cfg.Dir)
	if err != nil {
		return nil, err
	}
	pins := map[string]pluginconf.Pin{}
	var entries []Entry
	var errs []error
	for _, b := range bins {
		sum, err := SumFile(b.Path)
		if err != nil {
			errs = append(errs, fmt.Errorf("plugin %s: %w", b.File(), err))
			continue
		}
		e := Entry{ID: b.ID, Kind: b.Kind, Name: b.Name, File: b.Path, SHA256: sum, PinnedSHA256: sum, State: StateDisabled}
		pin := pluginconf.Pin{SHA256: sum}
		if h.cfg.Enabled(b.ID) {
			d, err := h.describeChecked(ctx, b, b.Path, sum)
			if err == nil {
				if again, _ := SumFile(b.Path); again != sum {
					err = fmt.Errorf("plugin %s: the file changed while it was described", b.File())
				}
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			pin.Version, pin.Protocol = d.Version, protocolOf(d)
			e.Version, e.Protocol, e.State, e.Description = d.Version, pin.Protocol, StateOK, &d
		}
		pins[b.ID] = pin
		entries = append(entries, e)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("nothing pinned: %w", errors.Join(errs...))
	}
	if err := h.pin(pins, true); err != nil {
		return nil, err
	}
	return entries, nil
}

// pin adds pins to the lock (replace: the pins become exactly these) and
// writes the lock file. The Host's snapshot is swapped only once the file is
// written, so what runs and what is on disk agree.
func (h *Host) pin(pins map[string]pluginconf.Pin, replace bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	next := pluginconf.NewLock()
	if !replace {
		for id, p := range h.lock.Pins {
			next.Pins[id] = p
		}
	}
	for id, p := range pins {
		if err := next.Set(id, p); err != nil {
			return err
		}
	}
	if err := next.Write(h.cfg.LockFile); err != nil {
		return err
	}
	h.lock = next
	return nil
}
