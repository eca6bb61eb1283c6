// Package dbk1 reads and writes the DBK1 encrypted object format
// (docs/format.md "DBK1"): a header with a random salt, a per-object key
// derived with HKDF-SHA256 from the profile key, then the plaintext in fixed
// chunks each sealed with AES-256-GCM under nonce = prefix ‖ counter ‖
// last-chunk flag (the STREAM construction).
//
// SKELETON: the API below is the contract the engine and `dbkeep recover`
// code against; the bodies are being written.
package dbk1

import (
	"errors"
	"io"
)

// KeySize is the size of a profile key.
const KeySize = 32

// NewWriter returns a writer that encrypts what is written to it into w
// under the profile key; Close seals the last chunk (and must be called).
func NewWriter(w io.Writer, key []byte) (io.WriteCloser, error) {
	return nil, errors.New("dbk1: not implemented yet")
}

// NewReader returns a reader of the plaintext of the DBK1 object r under
// the profile key. Every chunk is authenticated before its bytes are
// returned, and the end of the object is authenticated: a read reaches
// io.EOF only after the last chunk has been verified.
func NewReader(r io.Reader, key []byte) (io.Reader, error) {
	return nil, errors.New("dbk1: not implemented yet")
}
