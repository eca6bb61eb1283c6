// Package recoverykit writes and reads what opens encrypted backups without
// the dbkeep server: the key file (one encryption profile's key) and the
// recovery kit (a zip of the key file, the format specification and
// instructions). docs/format.md "Key file and recovery kit" specifies both.
package recoverykit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/dbk1"
	"github.com/dbkeep/dbkeep/core/internal/seal"
)

// KeyFileFormat is the value of a key file's "format" field.
const KeyFileFormat = "dbkeep-key-v1"

// KeyAlgorithm is the value of a key file's "algorithm" field: the object
// format its key opens.
const KeyAlgorithm = "DBK1"

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
	Key []byte `json:"key"`
	// Created is when the profile was created; zero when the file does not
	// say, or says it other than as an RFC 3339 time.
	Created time.Time `json:"created"`
}

// NewKeyFile returns the key file of profile's key.
func NewKeyFile(profile string, profileID int64, key []byte, created time.Time) (KeyFile, error) {
	if len(key) != dbk1.KeySize {
		return KeyFile{}, fmt.Errorf("key file: key is %d bytes, want %d", len(key), dbk1.KeySize)
	}
	return KeyFile{Format: KeyFileFormat, Profile: profile, ProfileID: profileID, Algorithm: KeyAlgorithm,
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

// Key file fields (docs/format.md "Key file"). Names are compared exactly.
const (
	fieldFormat    = "format"
	fieldAlgorithm = "algorithm"
	fieldKey       = "key"
	fieldKeyID     = "keyId"
	fieldProfile   = "profile"
	fieldProfileID = "profileId"
	fieldCreated   = "created"
)

// ReadKeyFile reads and checks a key file as docs/format.md "Key file"
// says a reader must: one JSON object, each field at most once, format
// "dbkeep-key-v1", algorithm "DBK1", key the standard base64 (padded, no
// whitespace) of exactly 32 bytes, keyId the key's id (a mistyped key is
// caught here, not as a wrong key on every object); the informative fields
// of their types when present (created a string, whose content is not
// checked); unknown fields ignored (a newer dbkeep may add some). Invalid
// UTF-8 in a string is read as U+FFFD, as encoding/json does. Errors never
// repeat the key.
func ReadKeyFile(r io.Reader) (KeyFile, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return KeyFile{}, fmt.Errorf("key file: %w", err)
	}
	if len(raw) > maxKeyFile {
		return KeyFile{}, fmt.Errorf("key file: larger than %d bytes: not a dbkeep key file", maxKeyFile)
	}
	fields, err := topLevelFields(raw)
	if err != nil {
		return KeyFile{}, fmt.Errorf("key file: not a dbkeep key file: %w", err)
	}
	var (
		k       KeyFile
		key     string
		created *string
	)
	for _, f := range []struct {
		name     string
		dst      any
		required bool
	}{
		{fieldFormat, &k.Format, true},
		{fieldAlgorithm, &k.Algorithm, true},
		{fieldKey, &key, true},
		{fieldKeyID, &k.KeyID, true},
		{fieldProfile, &k.Profile, false},
		{fieldProfileID, &k.ProfileID, false},
		{fieldCreated, &created, false},
	} {
		v, ok := fields[f.name]
		if !ok {
			if f.required {
				return KeyFile{}, fmt.Errorf("key file: field %q is missing", f.name)
			}
			continue
		}
		// The value is not quoted back: it could be the key.
		if err := json.Unmarshal(v, f.dst); err != nil {
			return KeyFile{}, fmt.Errorf("key file: field %q: %s", f.name, jsonErrorPlace(err))
		}
	}
	switch {
	case k.Format != KeyFileFormat:
		return KeyFile{}, fmt.Errorf("key file: format %q, want %q", k.Format, KeyFileFormat)
	case k.Algorithm != KeyAlgorithm:
		return KeyFile{}, fmt.Errorf("key file: algorithm %q, want %q (the only object format this dbkeep reads)", k.Algorithm, KeyAlgorithm)
	}
	// created is informative: a date written some other way never stops a
	// recovery; it is then unknown (zero).
	if created != nil {
		if t, err := time.Parse(time.RFC3339, *created); err == nil {
			k.Created = t.UTC()
		}
	}
	if k.Key, err = decodeKey(key); err != nil {
		return KeyFile{}, fmt.Errorf("key file: key: %w", err)
	}
	if !strings.EqualFold(k.KeyID, seal.Fingerprint(k.Key)) {
		return KeyFile{}, fmt.Errorf("key file: keyId %q is not the id of the key it holds (%s): the file was altered", k.KeyID, seal.Fingerprint(k.Key))
	}
	return k, nil
}

// decodeKey decodes the key field: standard base64 with its padding and
// zero padding bits, nothing else (line breaks, which the decoder would
// skip, included), to exactly KeySize bytes.
func decodeKey(s string) ([]byte, error) {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return nil, fmt.Errorf("a line break at character %d: the key is one line of base64", i)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		var at base64.CorruptInputError
		if errors.As(err, &at) {
			return nil, fmt.Errorf("not standard base64 with padding (at character %d)", int64(at))
		}
		return nil, errors.New("not standard base64 with padding")
	}
	if len(b) != dbk1.KeySize {
		return nil, fmt.Errorf("decodes to %d bytes, want %d", len(b), dbk1.KeySize)
	}
	return b, nil
}

// topLevelFields returns the members of the one JSON object raw holds, by
// their exact names (encoding/json alone would match names without regard
// to case and let a repeated name win silently).
func topLevelFields(raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, errors.New(jsonErrorPlace(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New(jsonErrorPlace(err))
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("field %q: %s", name, jsonErrorPlace(err))
		}
		if _, dup := fields[name]; dup {
			return nil, fmt.Errorf("field %q appears twice", name)
		}
		fields[name] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, errors.New(jsonErrorPlace(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return fields, nil
}

func jsonErrorPlace(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("JSON syntax error at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("a JSON %s where %s is wanted", typ.Value, typeName(typ.Type.Kind().String()))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the JSON ends early"
	}
	return "unreadable JSON"
}

func typeName(kind string) string {
	switch kind {
	case "int64":
		return "an integer (no fraction or exponent, within 64 bits)"
	}
	return "a " + kind
}
