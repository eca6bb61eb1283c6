package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// Sealed value layout (format version 1), all of it stored as one BLOB:
//
//	offset  size  content
//	0       1     format version, 0x01
//	1       12    GCM nonce, random for every Seal
//	13      n     AES-256-GCM ciphertext of the plaintext (n bytes)
//	13+n    16    GCM authentication tag
//
// The GCM associated data is the version byte followed by the caller's AD, so
// neither the version nor the binding can be changed without failing Open.
// Random 96-bit nonces are safe here: the core seals far fewer than the 2^32
// values per key that NIST SP 800-38D allows for random nonces.
const (
	version1  byte = 0x01
	nonceSize      = 12
	tagSize        = 16
	// Overhead is how many bytes Seal adds to a plaintext.
	Overhead = 1 + nonceSize + tagSize
)

// ErrOpen is returned when a sealed value cannot be opened: the key is not the
// one it was sealed under, the bytes were changed, or the value was moved from
// the place its associated data names.
var ErrOpen = errors.New("sealed value cannot be opened (wrong key, tampered data or moved value)")

// Sealer seals and opens values under one key. It is safe for concurrent use.
type Sealer struct {
	aead  cipher.AEAD
	keyID string
}

// New returns a Sealer for key.
func New(key Key) (*Sealer, error) {
	block, err := aes.NewCipher(key.b[:])
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{aead: aead, keyID: Fingerprint(key.b[:])}, nil
}

// KeyID is a short public fingerprint of the key: it tells two keys apart in
// messages and logs without revealing anything about either.
func (s *Sealer) KeyID() string { return s.keyID }

// Seal encrypts plaintext and binds it to ad. It fails only when the system's
// random source fails.
func (s *Sealer) Seal(plaintext, ad []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, Overhead+len(plaintext))
	out[0] = version1
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("seal: random nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:1+nonceSize], plaintext, fullAD(version1, ad)), nil
}

// Open decrypts a value made by Seal with the same ad. Any failure of
// authentication is ErrOpen; an unknown format version is its own error.
func (s *Sealer) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("%w: %d bytes is shorter than any sealed value", ErrOpen, len(sealed))
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("sealed value has format version %d; this dbkeep knows version %d", sealed[0], version1)
	}
	pt, err := s.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], fullAD(sealed[0], ad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

func fullAD(v byte, ad []byte) []byte {
	out := make([]byte, 0, 1+len(ad))
	return append(append(out, v), ad...)
}

// AD is the associated data for a value stored in column of the row id of
// table: "dbkeep/<table>/<id>/<column>". Binding to the row and the column
// means a sealed value swapped into another row (another source's password)
// or another column fails to open. It does not bind the row's other,
// unsealed columns: changing those stays possible without the key, which
// keeps schema migrations of plain columns key-free.
func AD(table string, id int64, column string) []byte {
	return []byte("dbkeep/" + table + "/" + strconv.FormatInt(id, 10) + "/" + column)
}

// Fingerprint is a short public name for a secret key (the sealing key, an
// encryption profile's key): 16 hex digits of HMAC-SHA256 keyed by the key
// itself, so it tells keys apart and says nothing else about them.
func Fingerprint(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("dbkeep key id v1"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}
