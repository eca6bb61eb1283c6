package dbk1

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
)

// NewWriter returns a writer that encrypts what is written to it into w
// under the profile key, in chunks of DefaultChunkSize; Close seals the last
// chunk (and must be called). The header is written at once. Close does not
// close w.
func NewWriter(w io.Writer, key []byte) (io.WriteCloser, error) {
	return NewWriterSize(w, key, DefaultChunkSize)
}

// NewWriterSize is NewWriter with another chunk size (MinChunkSize to
// MaxChunkSize); the format document's example uses a tiny one.
func NewWriterSize(w io.Writer, key []byte, chunkSize int) (io.WriteCloser, error) {
	return newWriter(w, key, chunkSize, rand.Reader)
}

// newWriter takes its randomness from random, so a test can fix the salt
// and the nonce prefix to reproduce the document's example.
func newWriter(w io.Writer, key []byte, chunkSize int, random io.Reader) (*writer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("dbk1: key is %d bytes, want %d", len(key), KeySize)
	}
	if chunkSize < MinChunkSize || chunkSize > MaxChunkSize {
		return nil, fmt.Errorf("dbk1: chunk size %d is outside %d to %d", chunkSize, MinChunkSize, MaxChunkSize)
	}
	salt := make([]byte, saltSize+prefixSize)
	if _, err := io.ReadFull(random, salt); err != nil {
		return nil, fmt.Errorf("dbk1: random salt: %w", err)
	}
	header, aesKey, err := buildHeader(key, chunkSize, salt[:saltSize], salt[saltSize:])
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(aesKey)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(header); err != nil {
		return nil, fmt.Errorf("dbk1: write header: %w", err)
	}
	return &writer{w: w, aead: aead, header: header, prefix: salt[saltSize:], chunkSize: chunkSize,
		buf: make([]byte, 0, chunkSize+TagSize)}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("dbk1: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("dbk1: %w", err)
	}
	return aead, nil
}

// writer holds at most one chunk: buf collects the plaintext, and is
// sealed in place once a byte beyond it arrives (only then is it known not
// to be the final chunk).
type writer struct {
	w         io.Writer
	aead      cipher.AEAD
	header    []byte
	prefix    []byte
	chunkSize int
	buf       []byte
	counter   uint32
	nonce     []byte
	err       error // sticky: a writer that failed once stays failed
}

var errClosed = errors.New("dbk1: write to a closed writer")

func (z *writer) Write(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	n := 0
	for len(p) > 0 {
		if len(z.buf) == z.chunkSize {
			if err := z.seal(false); err != nil {
				return n, err
			}
		}
		k := copy(z.buf[len(z.buf):z.chunkSize], p)
		z.buf = z.buf[:len(z.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

// Close seals what is buffered as the final chunk. A full buffer is sealed
// as an ordinary chunk first: the final chunk always holds the padding
// marker, so it carries at most chunkSize-1 bytes of data.
func (z *writer) Close() error {
	if z.err != nil {
		if z.err == errClosed {
			return nil
		}
		return z.err
	}
	if len(z.buf) == z.chunkSize {
		if err := z.seal(false); err != nil {
			return err
		}
	}
	// Padding: 0x80 then zeros up to the chunk size.
	n := len(z.buf)
	z.buf = z.buf[:z.chunkSize]
	z.buf[n] = 0x80
	clear(z.buf[n+1:])
	if err := z.seal(true); err != nil {
		return err
	}
	z.err = errClosed
	return nil
}

// seal encrypts the buffered chunk in place and writes it. Chunk 2^32-1
// can only be the final one: the counter never wraps, so an object holds
// at most 2^32 chunks, 2^32·chunkSize-1 bytes of data.
func (z *writer) seal(final bool) error {
	if z.counter == math.MaxUint32 && !final {
		z.err = fmt.Errorf("dbk1: object too large: it would need more than 2^32 chunks of %d bytes", z.chunkSize)
		return z.err
	}
	z.nonce = nonce(z.nonce, z.prefix, z.counter, final)
	sealed := z.aead.Seal(z.buf[:0], z.nonce, z.buf, z.header)
	if _, err := z.w.Write(sealed); err != nil {
		z.err = fmt.Errorf("dbk1: write chunk %d: %w", z.counter, err)
		return z.err
	}
	z.counter++
	z.buf = z.buf[:0]
	return nil
}
