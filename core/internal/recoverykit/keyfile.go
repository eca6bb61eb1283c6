// Package recoverykit writes and reads what opens encrypted backups without
// the dbkeep server: the key file (one encryption profile's key) and the
// recovery kit (a zip of the key file, the format specification and
// instructions). docs/format.md "Key file and recovery kit" specifies both.
package recoverykit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/dbk1"
	"github.com/dbkeep/dbkeep/core/internal/seal"
)

// KeyFileFormat is the value of a key file's "format" field.
const KeyFileFormat = "dbkeep-key-v1"

// maxKeyFile bounds what is read of a key file: a real one is ~300 bytes.
const maxKeyFile = 64 << 10

// KeyFile is one encryption profile's key, as a JSON document.
type KeyFile struct {
	Format string `json:"format"`
	// Profile and ProfileID name the encryption profile the key is of.
	Profile   string `json:"profile"`
	ProfileID int64  `json:"profileId"`
	// Algorithm is the object format the key opens: "DBK1".
	Algorithm string `json:"algorithm"`
	// KeyID is seal.Fingerprint(Key): manifests' encryption.keyId and the
	// key id in every DBK1 header.
	KeyID string `json:"keyId"`
	// Key is the 32-byte profile key, standard base64 in the JSON.
	Key     []byte    `json:"key"`
	Created time.Time `json:"created"`
}

// NewKeyFile returns the key file of profile's key.
func NewKeyFile(profile string, profileID int64, key []byte, created time.Time) (KeyFile, error) {
	if len(key) != dbk1.KeySize {
		return KeyFile{}, fmt.Errorf("key file: key is %d bytes, want %d", len(key), dbk1.KeySize)
	}
	return KeyFile{Format: KeyFileFormat, Profile: profile, ProfileID: profileID, Algorithm: "DBK1",
		KeyID: seal.Fingerprint(key), Key: bytes.Clone(key), Created: created.UTC()}, nil
}

// String never shows the key.
func (k KeyFile) String() string {
	return fmt.Sprintf("key file of profile %q (key id %s)", k.Profile, k.KeyID)
}

// Encode writes the key file as indented JSON.
func (k KeyFile) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(k)
}

// ReadKeyFile reads and checks a key file: its format, the key's size, and
// that the key id is the key's (a mistyped key is caught here, not as a
// wrong key on every object). Errors never repeat the key.
func ReadKeyFile(r io.Reader) (KeyFile, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return KeyFile{}, fmt.Errorf("key file: %w", err)
	}
	if len(raw) > maxKeyFile {
		return KeyFile{}, fmt.Errorf("key file: larger than %d bytes: not a dbkeep key file", maxKeyFile)
	}
	var k KeyFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&k); err != nil {
		// The JSON error could quote the key's text: say only where.
		return KeyFile{}, fmt.Errorf("key file: not a dbkeep key file (JSON: %s)", jsonErrorPlace(err))
	}
	switch {
	case k.Format != KeyFileFormat:
		return KeyFile{}, fmt.Errorf("key file: format %q, want %q", k.Format, KeyFileFormat)
	case len(k.Key) != dbk1.KeySize:
		return KeyFile{}, fmt.Errorf("key file: key: decodes to %d bytes, want %d", len(k.Key), dbk1.KeySize)
	case !strings.EqualFold(k.KeyID, seal.Fingerprint(k.Key)):
		return KeyFile{}, fmt.Errorf("key file: keyId %q is not the id of the key it holds (%s): the file was altered", k.KeyID, seal.Fingerprint(k.Key))
	}
	return k, nil
}

func jsonErrorPlace(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("syntax error at byte %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %q has the wrong type", e.Field)
	}
	return "unreadable"
}
