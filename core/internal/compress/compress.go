// Package compress wraps the compressions a backup object can be stored
// with: zstd (default), gzip, brotli and none. Writers compress on several
// cores where the algorithm allows (zstd, gzip) with memory bounded whatever
// the input's size; readers check what the format can check (zstd and gzip
// carry a checksum of the content, brotli does not).
package compress

import (
	"fmt"
	"io"
	"strings"
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

// Default is the algorithm of a job that names none.
const Default = Zstd

// Algorithms lists every algorithm, the default first.
func Algorithms() []Algorithm { return []Algorithm{Zstd, Gzip, Brotli, None} }

// Parse reads an algorithm's name as jobs and manifests write it.
func Parse(s string) (Algorithm, error) {
	for _, a := range Algorithms() {
		if s == string(a) {
			return a, nil
		}
	}
	return "", fmt.Errorf("compression %q is unknown: want one of %s", s, names())
}

func names() string {
	var n []string
	for _, a := range Algorithms() {
		n = append(n, `"`+string(a)+`"`)
	}
	return strings.Join(n, ", ")
}

// Suffix is what the name of an object compressed with a ends with
// (backupset.ObjectName writes it): ".zst", ".gz", ".br", or "" for none.
func (a Algorithm) Suffix() string {
	switch a {
	case Zstd:
		return ".zst"
	case Gzip:
		return ".gz"
	case Brotli:
		return ".br"
	}
	return ""
}

// FromName guesses the algorithm of an object from its name's suffix (after
// any ".dbk"), for objects read without their manifest; a name without a
// known suffix is None.
func FromName(name string) Algorithm {
	name = strings.TrimSuffix(name, ".dbk")
	for _, a := range []Algorithm{Zstd, Gzip, Brotli} {
		if strings.HasSuffix(name, a.Suffix()) {
			return a
		}
	}
	return None
}

// NewWriter returns a writer compressing into w at level (0: the
// algorithm's default; see Levels); Close flushes the end of the stream and
// does not close w.
func NewWriter(w io.Writer, a Algorithm, level int) (io.WriteCloser, error) {
	if err := CheckLevel(a, level); err != nil {
		return nil, err
	}
	switch a {
	case Zstd:
		return newZstdWriter(w, level)
	case Gzip:
		return newGzipWriter(w, level)
	case Brotli:
		return newBrotliWriter(w, level), nil
	case None:
		return nopWriteCloser{w}, nil
	}
	return nil, fmt.Errorf("compression %q is unknown: want one of %s", a, names())
}

// NewReader returns a reader of what r decompresses to. Close releases the
// decoder and does not close r. A stream that is corrupt or ends early fails
// with an error, never a silent short read (except where the format cannot
// tell: brotli has no checksum, so a flipped bit inside it may go unseen;
// DBK1 and the manifest's SHA-256 are what catch that). The format's own
// errors start with its name ("zstd: …"); an error of r is returned as r
// returned it, so that a failure under the decompressor is not blamed on it.
func NewReader(r io.Reader, a Algorithm) (io.ReadCloser, error) {
	switch a {
	case Zstd:
		return newZstdReader(r)
	case Gzip:
		return newGzipReader(r)
	case Brotli:
		return newBrotliReader(r), nil
	case None:
		return io.NopCloser(r), nil
	}
	return nil, fmt.Errorf("compression %q is unknown: want one of %s", a, names())
}

// nopWriteCloser is the "none" writer: Close must not close w, which the
// caller owns (the encryption layer or a storage upload).
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
