package pluginconf

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Lock is a parsed plugins.lock.hcl: the sums the core trusts.
type Lock struct {
	// Pins by plugin id ("storage-local").
	Pins map[string]Pin
}

// Pin is what was recorded for one binary when it was pinned.
type Pin struct {
	// SHA256 is the lower-case hex digest of the whole binary.
	SHA256 string
	// Version and Protocol ("1.0") are what the binary described itself as
	// when pinned; informational, shown for a binary that can no longer run.
	Version  string
	Protocol string
}

// lockHeader opens every lock file, so a person who opens it knows not to
// edit it and where it comes from.
const lockHeader = `# This file is maintained by "dbkeep plugins lock" and "dbkeep plugins install".
# It pins the SHA-256 of every plugin binary the core may run: a binary whose
# sum differs is never executed. Manual edits may be lost.

`

type lockFile struct {
	Plugins []lockBlock `hcl:"plugin,block"`
}

type lockBlock struct {
	ID       string    `hcl:"id,label"`
	SHA256   string    `hcl:"sha256"`
	Version  string    `hcl:"version,optional"`
	Protocol string    `hcl:"protocol,optional"`
	DefRange hcl.Range `hcl:",def_range"`
}

// NewLock returns an empty lock.
func NewLock() *Lock { return &Lock{Pins: map[string]Pin{}} }

// ReadLock reads the lock file at path. A missing file is an empty lock: a
// fresh checkout has none, and then nothing is pinned.
func ReadLock(path string) (*Lock, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewLock(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read plugin lock file: %w", err)
	}
	return ParseLock(src, path)
}

// ParseLock checks the content of a lock file; filename names it in errors.
func ParseLock(src []byte, filename string) (*Lock, error) {
	p := hclparse.NewParser()
	f, diags := p.ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	var raw lockFile
	if diags := gohcl.DecodeBody(f.Body, nil, &raw); diags.HasErrors() {
		return nil, diagError(diags)
	}
	l := NewLock()
	var all hcl.Diagnostics
	for _, b := range raw.Plugins {
		if _, _, err := ParseID(b.ID); err != nil {
			all = append(all, errorAt(b.DefRange, "Invalid plugin id", err.Error()))
			continue
		}
		if _, dup := l.Pins[b.ID]; dup {
			all = append(all, errorAt(b.DefRange, "Duplicate plugin block", fmt.Sprintf("Plugin %q is pinned twice.", b.ID)))
			continue
		}
		if err := checkSum(b.SHA256); err != nil {
			all = append(all, errorAt(b.DefRange, "Invalid sha256", fmt.Sprintf("Plugin %q: %v.", b.ID, err)))
			continue
		}
		l.Pins[b.ID] = Pin{SHA256: b.SHA256, Version: b.Version, Protocol: b.Protocol}
	}
	if all.HasErrors() {
		return nil, diagError(all)
	}
	return l, nil
}

func checkSum(s string) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 || hex.EncodeToString(b) != s {
		return fmt.Errorf("%q is not 64 lower-case hex digits", s)
	}
	return nil
}

// Set pins id; the sum must be 64 lower-case hex digits.
func (l *Lock) Set(id string, p Pin) error {
	if _, _, err := ParseID(id); err != nil {
		return err
	}
	if err := checkSum(p.SHA256); err != nil {
		return fmt.Errorf("pin %s: sha256 %w", id, err)
	}
	l.Pins[id] = p
	return nil
}

// Bytes renders the lock file: the header, then one block per plugin sorted
// by id, so the same pins always give the same bytes (reviewable diffs).
func (l *Lock) Bytes() []byte {
	ids := make([]string, 0, len(l.Pins))
	for id := range l.Pins {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	for i, id := range ids {
		if i > 0 {
			body.AppendNewline()
		}
		p := l.Pins[id]
		b := body.AppendNewBlock("plugin", []string{id}).Body()
		b.SetAttributeValue("sha256", cty.StringVal(p.SHA256))
		if p.Version != "" {
			b.SetAttributeValue("version", cty.StringVal(p.Version))
		}
		if p.Protocol != "" {
			b.SetAttributeValue("protocol", cty.StringVal(p.Protocol))
		}
	}
	var buf bytes.Buffer
	buf.WriteString(lockHeader)
	buf.Write(hclwrite.Format(f.Bytes()))
	return buf.Bytes()
}

// Write replaces the lock file at path atomically: a reader (a starting core)
// sees the old file or the new one, never half of either.
func (l *Lock) Write(path string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".plugins.lock.hcl.*")
	if err != nil {
		return fmt.Errorf("write plugin lock file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(l.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("write plugin lock file: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write plugin lock file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write plugin lock file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write plugin lock file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write plugin lock file: %w", err)
	}
	return nil
}
