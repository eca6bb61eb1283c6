package dbk1

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/dbkeep/dbkeep/core/internal/seal"
)

// Magic starts every DBK1 object.
const Magic = "DBK1"

// Version is the format version this package writes and reads.
const Version = 1

// Header layout, version 1 (docs/format.md); all integers big-endian.
const (
	offMagic     = 0  // 4 bytes "DBK1"
	offVersion   = 4  // 1 byte
	offChunkSize = 5  // 4 bytes, plaintext bytes per chunk
	offKeyID     = 9  // 8 bytes, the profile key's fingerprint
	offSalt      = 17 // 32 bytes, HKDF salt
	offPrefix    = 49 // 7 bytes, nonce prefix
	offKeyCheck  = 56 // 32 bytes, HKDF output 32..63
	offChecksum  = 88 // 8 bytes, SHA-256(bytes 0..87)[:8]
	// HeaderSize is the size of a version 1 header.
	HeaderSize = 96

	keyIDSize    = 8
	saltSize     = 32
	prefixSize   = 7
	keyCheckSize = 32
	nonceSize    = 12
)

// hkdfInfo is the HKDF info string; it names the format and its version so
// a key derived here is never the key of anything else.
const hkdfInfo = "dbkeep DBK1 v1"

// Header is what a DBK1 header says, for tools that show it.
type Header struct {
	Version   int
	ChunkSize int
	// KeyID is the fingerprint (seal.Fingerprint, 16 hex digits) of the key
	// the object is encrypted under, as manifests' encryption.keyId.
	KeyID string
}

// deriveKeys returns the object's AES-256 key and its key check value.
func deriveKeys(key, salt []byte) (aesKey, keyCheck []byte, err error) {
	okm, err := hkdf.Key(sha256.New, key, salt, hkdfInfo, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("dbk1: derive key: %w", err)
	}
	return okm[:32], okm[32:], nil
}

// keyID is the 8 bytes of the key's fingerprint.
func keyID(key []byte) []byte {
	b, _ := hex.DecodeString(seal.Fingerprint(key))
	return b
}

func checksum(h []byte) []byte {
	sum := sha256.Sum256(h[:offChecksum])
	return sum[:8]
}

// identSize is what identifies a DBK1 object of any version: the magic
// and the version byte. A future version may change everything after them,
// so nothing after them is read before the version is known.
const identSize = len(Magic) + 1

// checkIdent checks the first bytes of an object (up to identSize of them;
// fewer when the object is that short), in the order docs/format.md
// "Decrypting" gives: magic, then the version byte.
func checkIdent(h []byte) error {
	k := min(len(h), len(Magic))
	if string(h[:k]) != Magic[:k] {
		return fmt.Errorf("%w: it starts with %q, not %q", ErrNotDBK1, h[:k], Magic)
	}
	if len(h) < identSize {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrTruncated, len(h), HeaderSize)
	}
	if v := h[offVersion]; v != Version {
		return fmt.Errorf("%w: version byte %d (this dbkeep reads version %d): a newer dbkeep wrote it, or the byte was altered", ErrUnsupportedVersion, v, Version)
	}
	return nil
}

// parseHeader checks the whole version 1 header h (HeaderSize bytes, its
// magic and version already checked by checkIdent) under key and returns
// it with the object's AES key. The checks run in the document's order:
// checksum, chunk size, key id, key check.
func parseHeader(h, key []byte) (Header, []byte, error) {
	if subtle.ConstantTimeCompare(checksum(h), h[offChecksum:HeaderSize]) != 1 {
		return Header{}, nil, fmt.Errorf("%w: header checksum mismatch: the header was altered", ErrCorrupt)
	}
	hd := Header{Version: Version, ChunkSize: int(binary.BigEndian.Uint32(h[offChunkSize:])),
		KeyID: hex.EncodeToString(h[offKeyID : offKeyID+keyIDSize])}
	if hd.ChunkSize < MinChunkSize || hd.ChunkSize > MaxChunkSize {
		return Header{}, nil, fmt.Errorf("%w: header: chunkSize %d is outside %d to %d", ErrCorrupt, hd.ChunkSize, MinChunkSize, MaxChunkSize)
	}
	if len(key) != KeySize {
		return Header{}, nil, fmt.Errorf("dbk1: key is %d bytes, want %d", len(key), KeySize)
	}
	if have := keyID(key); !bytes.Equal(have, h[offKeyID:offKeyID+keyIDSize]) {
		return Header{}, nil, &WrongKeyError{ObjectKeyID: hd.KeyID, KeyID: hex.EncodeToString(have)}
	}
	aesKey, check, err := deriveKeys(key, h[offSalt:offSalt+saltSize])
	if err != nil {
		return Header{}, nil, err
	}
	if subtle.ConstantTimeCompare(check, h[offKeyCheck:offKeyCheck+keyCheckSize]) != 1 {
		// The key id matches and the checksum holds, so this is no honest
		// wrong key: someone rewrote the header and its checksum.
		return Header{}, nil, fmt.Errorf("%w: header: the key check value does not match the key (the header was rewritten)", ErrCorrupt)
	}
	return hd, aesKey, nil
}

// buildHeader returns a v1 header for key with the given salt and prefix,
// and the object's AES key.
func buildHeader(key []byte, chunkSize int, salt, prefix []byte) ([]byte, []byte, error) {
	aesKey, check, err := deriveKeys(key, salt)
	if err != nil {
		return nil, nil, err
	}
	h := make([]byte, HeaderSize)
	copy(h[offMagic:], Magic)
	h[offVersion] = Version
	binary.BigEndian.PutUint32(h[offChunkSize:], uint32(chunkSize))
	copy(h[offKeyID:], keyID(key))
	copy(h[offSalt:], salt)
	copy(h[offPrefix:], prefix)
	copy(h[offKeyCheck:], check)
	copy(h[offChecksum:], checksum(h))
	return h, aesKey, nil
}

// nonce returns the nonce of chunk counter: prefix ‖ counter ‖ final flag.
func nonce(dst, prefix []byte, counter uint32, final bool) []byte {
	dst = append(dst[:0], prefix...)
	dst = binary.BigEndian.AppendUint32(dst, counter)
	if final {
		return append(dst, 1)
	}
	return append(dst, 0)
}
