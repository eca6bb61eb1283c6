package backupset

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// FormatVersion is the manifest format this dbkeep writes. Readers refuse a
// higher version: its meaning is unknown to them.
const FormatVersion = 1

// Manifest is manifest.json: everything needed to restore the set without
// the state database (with the key for encrypted objects). It is written
// last; its presence makes the set complete.
type Manifest struct {
	FormatVersion int       `json:"formatVersion"`
	Job           JobRef    `json:"job"`
	ExecutionID   int64     `json:"executionId"`
	Trigger       string    `json:"trigger"`
	Created       time.Time `json:"created"`
	Source        Source    `json:"source"`
	Plugin        PluginRef `json:"plugin"`
	Objects       []Object  `json:"objects"`
	// Locked sets are never deleted by retention. The flag is the state when
	// the manifest was written; the state database holds the current one.
	Locked bool `json:"locked"`
}

// JobRef names the job that made the set.
type JobRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// Source is the database server dumped.
type Source struct {
	Engine        string `json:"engine"`
	ServerVersion string `json:"serverVersion"`
	Edition       string `json:"edition,omitempty"`
}

// PluginRef is the database plugin that made the dumps.
type PluginRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// Object is one stored object: one database's dump.
type Object struct {
	Database string `json:"database"`
	// Name is relative to the set's prefix.
	Name string `json:"name"`
	// Size and SHA256 are of the stored bytes (after compression and
	// encryption): what `sha256sum` of the object prints.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// PlainSize is the dump's size before compression and encryption.
	PlainSize   int64       `json:"plainSize"`
	Dump        Dump        `json:"dump"`
	Compression Compression `json:"compression"`
	// Encryption is nil for an object stored unencrypted.
	Encryption *Encryption `json:"encryption,omitempty"`
}

// Dump is the database plugin's header of the dump, handed back to the
// plugin to restore it.
type Dump struct {
	Format    string            `json:"format"`
	Extension string            `json:"extension"`
	Metadata  map[string]string `json:"metadata,omitempty"`
}

// Compression of an object.
type Compression struct {
	// Algorithm is zstd, gzip, brotli or none.
	Algorithm string `json:"algorithm"`
	// Level is the level it was written with; 0 is the algorithm's default.
	Level int `json:"level,omitempty"`
}

// Encryption of an object (DBK1, docs/format.md). The per-object salt and
// nonce prefix are in the object's own header.
type Encryption struct {
	Algorithm string `json:"algorithm"`
	ProfileID int64  `json:"profileId"`
	// KeyID is the profile key's fingerprint: it tells which key file opens
	// the object.
	KeyID     string `json:"keyId"`
	ChunkSize int    `json:"chunkSize"`
}

// Encode writes m as indented JSON.
func (m Manifest) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// Decode reads a manifest, refusing a format version this dbkeep does not
// know and a manifest without objects.
func Decode(r io.Reader) (Manifest, error) {
	var m Manifest
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("manifest: %w", err)
	}
	switch {
	case m.FormatVersion < 1:
		return Manifest{}, fmt.Errorf("manifest: formatVersion %d is not a dbkeep manifest", m.FormatVersion)
	case m.FormatVersion > FormatVersion:
		return Manifest{}, fmt.Errorf("manifest: formatVersion %d is newer than this dbkeep reads (%d): upgrade dbkeep", m.FormatVersion, FormatVersion)
	case len(m.Objects) == 0:
		return Manifest{}, fmt.Errorf("manifest: lists no objects")
	}
	// Readers join object names to the set's location: a hostile manifest
	// must not make them read, or write, anywhere else.
	names := make(map[string]bool, len(m.Objects))
	for i, o := range m.Objects {
		if err := checkObjectName(o.Name); err != nil {
			return Manifest{}, fmt.Errorf("manifest: objects[%d].name: %w", i, err)
		}
		if names[o.Name] {
			return Manifest{}, fmt.Errorf("manifest: objects[%d].name: %q is listed twice", i, o.Name)
		}
		names[o.Name] = true
		// Readers undo the layers the entry names; a name that says
		// otherwise means the entry or the object is not what was written.
		if err := checkNameAgrees(o); err != nil {
			return Manifest{}, fmt.Errorf("manifest: objects[%d] %q: %w", i, o.Name, err)
		}
	}
	return m, nil
}

// checkNameAgrees refuses an entry whose name does not end in the suffixes
// its fields give it (ObjectName): "." and dump.extension, the suffix of
// compression.algorithm, then ".dbk" exactly when encryption is present.
// What comes before them, the escaped database name, is not checked.
func checkNameAgrees(o Object) error {
	alg := o.Compression.Algorithm
	compSuffix, ok := compressionSuffix[alg]
	if !ok {
		return fmt.Errorf("compression.algorithm %q is unknown: want zstd, gzip, brotli or none", alg)
	}
	extSuffix, encSuffix := "", ""
	if o.Dump.Extension != "" {
		extSuffix = "." + EscapeName(o.Dump.Extension)
	}
	if o.Encryption != nil {
		encSuffix = EncryptedSuffix
	}
	tail := extSuffix + compSuffix + encSuffix
	if strings.HasSuffix(o.Name, tail) {
		if len(o.Name) == len(tail) {
			return fmt.Errorf("the name is only the suffixes %q, without the database's name", tail)
		}
		return nil
	}
	// Say which layer disagrees, from the outside in, as a reader undoes them.
	encrypted := strings.HasSuffix(o.Name, EncryptedSuffix)
	switch {
	case o.Encryption != nil && !encrypted:
		return fmt.Errorf("the name does not end in %q, but the entry has \"encryption\" (an encrypted object's name ends in %q)", EncryptedSuffix, EncryptedSuffix)
	case o.Encryption == nil && encrypted:
		return fmt.Errorf("the name ends in %q (encrypted), but the entry has no \"encryption\"", EncryptedSuffix)
	}
	rest := strings.TrimSuffix(o.Name, encSuffix)
	if found := nameCompression(rest); found != alg && found != "none" {
		return fmt.Errorf("the name's compression suffix is %q (%s), but compression.algorithm is %q", compressionSuffix[found], found, alg)
	}
	if !strings.HasSuffix(rest, compSuffix) {
		return fmt.Errorf("the name has no compression suffix %q, but compression.algorithm is %q", compSuffix, alg)
	}
	return fmt.Errorf("the name does not end in %q, but dump.extension is %q", tail, o.Dump.Extension)
}

// nameCompression is the compression a name's suffix says ("none" without
// one).
func nameCompression(name string) string {
	for alg, suffix := range compressionSuffix {
		if suffix != "" && strings.HasSuffix(name, suffix) {
			return alg
		}
	}
	return "none"
}

// checkObjectName refuses a name that is not one path element of the set:
// empty, ".", "..", the manifest's own name, or containing "/", "\" or NUL
// (docs/format.md "manifest.json").
func checkObjectName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || name == ManifestName {
		return fmt.Errorf("%q is not an object name of a set (one path element, not . or .. or %s, without /, \\ or NUL)", name, ManifestName)
	}
	return nil
}
