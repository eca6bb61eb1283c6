// Package dbk1 reads and writes the DBK1 encrypted object format
// (docs/format.md "DBK1 encrypted objects"): a header with a random salt, a
// per-object key derived with HKDF-SHA256 from the profile key, then the
// plaintext in fixed chunks each sealed with AES-256-GCM under nonce =
// prefix ‖ counter ‖ last-chunk flag (the STREAM construction), the header
// being the associated data of every chunk.
//
// Every chunk is stored at the same size (the last one padded), and the
// last one is sealed as such, so that a streaming reader tells a cut object
// from an altered one without knowing its length. Each way an object can be
// wrong fails with its own error: ErrNotDBK1,
// ErrUnsupportedVersion, ErrWrongKey, ErrTruncated, ErrTrailingData,
// ErrReordered, ErrCorrupt. Test them with errors.Is; ErrWrongKey comes as
// a *WrongKeyError, which names the key ids. docs/format.md
// "Decrypting" gives the order of the checks, which decides the error.
package dbk1

import (
	"errors"
	"fmt"
)

// KeySize is the size of a profile key.
const KeySize = 32

// DefaultChunkSize is the plaintext size of every chunk the engine writes.
const DefaultChunkSize = 64 << 10

// Chunk sizes a reader accepts: the header names the size, and the reader
// holds one chunk in memory, so the maximum bounds its memory.
const (
	MinChunkSize = 16
	MaxChunkSize = 4 << 20
)

// TagSize is what sealing adds to every chunk (the GCM tag).
const TagSize = 16

// Errors, one per way an object can be wrong. Every error the reader
// returns wraps exactly one of them (or an error of the underlying reader).
var (
	// ErrNotDBK1: the bytes present among the first four are not "DBK1".
	ErrNotDBK1 = errors.New("dbk1: not a DBK1 object")
	// ErrUnsupportedVersion: the version byte is not 1; nothing after it is
	// read or checked.
	ErrUnsupportedVersion = errors.New("dbk1: unsupported DBK1 version")
	// ErrWrongKey: the object was encrypted under another key; found from
	// the header before any chunk is tried.
	ErrWrongKey = errors.New("dbk1: wrong key")
	// ErrTruncated: the object ends early (in the header, in a chunk, or
	// after a chunk that opens only as a non-final one).
	ErrTruncated = errors.New("dbk1: object is truncated")
	// ErrTrailingData: the final chunk authenticates at its own position,
	// but bytes follow it: the object was extended. The data is whole, the
	// object is not as written.
	ErrTrailingData = errors.New("dbk1: data follows the final chunk")
	// ErrReordered: a chunk authenticates, but at another position: chunks
	// were moved, duplicated or dropped.
	ErrReordered = errors.New("dbk1: chunks are out of order")
	// ErrCorrupt: bytes were altered (a header field, a chunk, a tag), or
	// an authentic-looking chunk breaks a rule of the format.
	ErrCorrupt = errors.New("dbk1: object is corrupt")
)

// WrongKeyError is how ErrWrongKey is returned: it says which key the
// object needs, from its header (whose checksum held), and which key was
// given, so that a caller can tell which of its sources of key ids is wrong.
type WrongKeyError struct {
	// ObjectKeyID is the header's key id, KeyID the given key's; 16
	// lower-case hex digits each.
	ObjectKeyID, KeyID string
}

func (e *WrongKeyError) Error() string {
	return fmt.Sprintf("%v: the object is encrypted under key id %s, the key given has id %s", ErrWrongKey, e.ObjectKeyID, e.KeyID)
}

func (e *WrongKeyError) Unwrap() error { return ErrWrongKey }
