// Package compress wraps the compressions a backup object can be stored
// with: zstd (default), gzip, brotli and none.
//
// SKELETON: the API below is the contract; the bodies are being written.
package compress

import (
	"errors"
	"io"
)

// Algorithm names a compression; the values are those of jobs.compression.
type Algorithm string

// Algorithms.
const (
	Zstd   Algorithm = "zstd"
	Gzip   Algorithm = "gzip"
	Brotli Algorithm = "brotli"
	None   Algorithm = "none"
)

// NewWriter returns a writer compressing into w at level (0: the
// algorithm's default); Close flushes the end of the stream and does not
// close w.
func NewWriter(w io.Writer, a Algorithm, level int) (io.WriteCloser, error) {
	return nil, errors.New("compress: not implemented yet")
}

// NewReader returns a reader of what r decompresses to. Close releases the
// decoder and does not close r.
func NewReader(r io.Reader, a Algorithm) (io.ReadCloser, error) {
	return nil, errors.New("compress: not implemented yet")
}
