package seal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// EnvKey is the environment variable that holds the key.
const EnvKey = "DBKEEP_ENCRYPTION_KEY"

// KeyFileName is the key file created beside the state when EnvKey is unset.
const KeyFileName = "secret.key"

// KeySize is the key length in bytes (AES-256).
const KeySize = 32

// Key is a 32-byte sealing key. Its zero value is not a usable key; get one
// from ParseKey, GenerateKey or LoadKey. It prints as a placeholder so that a
// stray %v never reveals it.
type Key struct {
	b   [KeySize]byte
	set bool
}

func (Key) String() string   { return "seal.Key(redacted)" }
func (Key) GoString() string { return "seal.Key(redacted)" }

// GenerateKey returns a new random key.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k.b[:]); err != nil {
		return Key{}, fmt.Errorf("generate key: %w", err)
	}
	k.set = true
	return k, nil
}

// Encode returns the key as standard base64, the form key files hold.
func (k Key) Encode() string { return base64.StdEncoding.EncodeToString(k.b[:]) }

// ParseKey reads a key written as 64 hex digits or as base64 (standard or
// URL alphabet, padded or not) of exactly 32 bytes; surrounding whitespace is
// ignored. The error never repeats the input.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Key{}, errors.New("key is empty")
	}
	var raw []byte
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			raw = b
		}
	}
	if raw == nil {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil {
				raw = b
				break
			}
		}
	}
	if raw == nil {
		return Key{}, fmt.Errorf("key of %d characters is neither hex nor base64: want 32 bytes as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)", len(s))
	}
	if len(raw) != KeySize {
		return Key{}, fmt.Errorf("key decodes to %d bytes, want %d (generate one with `openssl rand -base64 32`)", len(raw), KeySize)
	}
	var k Key
	copy(k.b[:], raw)
	k.set = true
	return k, nil
}

// KeySource says where LoadKey found the key.
type KeySource int

const (
	// FromEnv: the key came from EnvKey.
	FromEnv KeySource = iota + 1
	// FromFile: an existing key file was read.
	FromFile
	// Generated: no key existed; a new key file was created. Losing that file
	// makes every sealed secret unreadable, which the caller should say loudly.
	Generated
)

// LoadKey returns the sealing key: from env (the value of EnvKey, "" when
// unset) when it is set, else from dataDir/secret.key, creating that file
// with mode 0600 on first start. An existing key file readable or writable
// by anyone but its owner is refused rather than used. The returned path is
// the key file's, or "" for FromEnv.
func LoadKey(env, dataDir string) (Key, KeySource, string, error) {
	if strings.TrimSpace(env) != "" {
		k, err := ParseKey(env)
		if err != nil {
			return Key{}, 0, "", fmt.Errorf("%s: %w", EnvKey, err)
		}
		return k, FromEnv, "", nil
	}
	path := filepath.Join(dataDir, KeyFileName)
	k, err := readKeyFile(path)
	if err == nil {
		return k, FromFile, path, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Key{}, 0, "", err
	}
	k, err = createKeyFile(path)
	if err != nil {
		return Key{}, 0, "", err
	}
	return k, Generated, path, nil
}

func readKeyFile(path string) (Key, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Key{}, err
		}
		return Key{}, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Key{}, fmt.Errorf("key file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return Key{}, fmt.Errorf("key file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return Key{}, fmt.Errorf("key file %s has mode %04o: it must be readable by its owner only (chmod 600 %s)", path, perm, path)
	}
	// A key file is one short line; read at most a little more to bound memory.
	buf := make([]byte, 256)
	n, err := f.Read(buf)
	if err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	k, err := ParseKey(string(buf[:n]))
	if err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// createKeyFile writes a new key with O_EXCL, so two cores starting at once
// cannot each write their own key; the loser reads the winner's.
func createKeyFile(path string) (Key, error) {
	k, err := GenerateKey()
	if err != nil {
		return Key{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return Key{}, fmt.Errorf("create key file: %w", err)
	}
	_, werr := f.WriteString(k.Encode() + "\n")
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return Key{}, fmt.Errorf("write key file %s: %w", path, werr)
	}
	return k, nil
}
