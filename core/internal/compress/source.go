package compress

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// A decompressor's errors name its format ("zstd: …"), but an error of the
// reader under it is not the format's: when DBK1 under zstd finds a chunk
// altered, the error is DBK1's. sourceReader marks the source's errors so
// that formatError passes them on as they are.

// sourceError is an error of the reader under a decompressor.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// sourceReader is the reader a decompressor reads from: r with its errors
// marked (io.EOF excepted: the format decides whether the end is early).
type sourceReader struct{ r io.Reader }

func (s sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = &sourceError{err}
	}
	return n, err
}

// formatError returns the source's own error when err comes from it, and
// otherwise err naming the format a (once: some libraries name it already).
func formatError(a Algorithm, err error) error {
	var src *sourceError
	switch {
	case err == nil || err == io.EOF:
		return err
	case errors.As(err, &src):
		return src.err
	case strings.HasPrefix(err.Error(), string(a)+": "):
		return err
	}
	return fmt.Errorf("%s: %w", a, err)
}
