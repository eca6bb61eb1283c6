package dbk1

import (
	"bufio"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"math"
)

// reorderWindow is how many positions on either side of a chunk that fails
// authentication the reader tries before calling it corrupt. The retries
// are paid only by an object that is already failing; docs/format.md
// "Decrypting" gives their exact order, which decides the error.
const reorderWindow = 4

// lookAhead is the reader's read buffer: the reader must look one byte
// beyond every chunk to know whether it is the last one.
const lookAhead = 4096

// NewReader returns a reader of the plaintext of the DBK1 object r under
// the profile key. The header is read and checked at once: a foreign file,
// an unknown version, a damaged header or a wrong key fail here, before any
// chunk is tried. Every chunk is authenticated before its bytes are
// returned, and the end of the object is authenticated: a read reaches
// io.EOF only after the final chunk has been verified; the plaintext read
// before that is authentic but may not be whole, and a caller must be ready
// to discard it. The reader holds one stored chunk, one plaintext chunk and
// a lookAhead buffer in memory.
func NewReader(r io.Reader, key []byte) (io.Reader, error) {
	rd, err := OpenReader(r, key)
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// Reader is the plaintext of one DBK1 object.
type Reader struct {
	src       *bufio.Reader
	aead      cipher.AEAD
	header    []byte
	hd        Header
	prefix    []byte
	buf       []byte // one stored chunk, as read
	out       []byte // its plaintext, once opened
	plain     []byte // what is left to return of the current chunk
	counter   uint32
	nonce     []byte
	err       error // sticky; io.EOF once the final chunk was returned
	finalSeen bool
}

// OpenReader is NewReader returning the concrete reader, whose Header tells
// what the object's header says.
func OpenReader(r io.Reader, key []byte) (*Reader, error) {
	h := make([]byte, HeaderSize)
	// The magic and the version first: a reader of version 1 reads nothing
	// more of another version, whose header may be of another size.
	n, err := io.ReadFull(r, h[:identSize])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("dbk1: read header: %w", err)
	}
	if err := checkIdent(h[:n]); err != nil {
		return nil, err
	}
	n, err = io.ReadFull(r, h[identSize:])
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrTruncated, identSize+n, HeaderSize)
	case err != nil:
		return nil, fmt.Errorf("dbk1: read header: %w", err)
	}
	hd, aesKey, err := parseHeader(h, key)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(aesKey)
	if err != nil {
		return nil, err
	}
	stored := hd.ChunkSize + TagSize
	return &Reader{src: bufio.NewReaderSize(r, lookAhead), aead: aead, header: h, hd: hd,
		prefix: h[offPrefix : offPrefix+prefixSize], buf: make([]byte, stored), out: make([]byte, 0, hd.ChunkSize)}, nil
}

// Header returns what the object's header says.
func (z *Reader) Header() Header { return z.hd }

func (z *Reader) Read(p []byte) (int, error) {
	for len(z.plain) == 0 {
		if z.err != nil {
			return 0, z.err
		}
		z.err = z.next()
	}
	n := copy(p, z.plain)
	z.plain = z.plain[n:]
	return n, nil
}

// next reads, authenticates and opens the next chunk into z.plain; it
// returns io.EOF after the final chunk (whose data may be empty).
func (z *Reader) next() error {
	if z.finalSeen {
		return io.EOF
	}
	stored := len(z.buf)
	n, err := io.ReadFull(z.src, z.buf)
	switch {
	case errors.Is(err, io.EOF):
		if z.counter == 0 {
			return fmt.Errorf("%w: the object ends after its header, with no chunk", ErrTruncated)
		}
		return fmt.Errorf("%w: the object ends after chunk %d, which is not the final chunk", ErrTruncated, z.counter-1)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: chunk %d is cut: %d of its %d bytes", ErrTruncated, z.counter, n, stored)
	case err != nil:
		return fmt.Errorf("dbk1: read chunk %d: %w", z.counter, err)
	}
	// The final chunk is the one the object ends with.
	_, err = z.src.Peek(1)
	atEnd := errors.Is(err, io.EOF)
	if err != nil && !atEnd {
		return fmt.Errorf("dbk1: read after chunk %d: %w", z.counter, err)
	}
	if plain, ok := z.open(z.counter, atEnd); ok {
		return z.accept(plain, atEnd)
	}
	// Not what this position should hold: find out why, for the error, in
	// the order the document gives. First the chunk's own position with the
	// other flag.
	if _, ok := z.open(z.counter, !atEnd); ok {
		if atEnd {
			return fmt.Errorf("%w: the object ends after chunk %d, which is not the final chunk", ErrTruncated, z.counter)
		}
		return fmt.Errorf("%w: chunk %d is the final chunk and more bytes follow it (the object was extended)", ErrTrailingData, z.counter)
	}
	// Then the neighbouring positions, nearest first, lower before higher,
	// flag 0x00 before 0x01; positions outside 0 to 2^32-1 do not exist.
	for d := int64(1); d <= reorderWindow; d++ {
		for _, c := range []int64{int64(z.counter) - d, int64(z.counter) + d} {
			if c < 0 || c > math.MaxUint32 {
				continue
			}
			for _, final := range []bool{false, true} {
				if _, ok := z.open(uint32(c), final); ok {
					return fmt.Errorf("%w: position %d holds chunk %d (chunks moved, duplicated or dropped)", ErrReordered, z.counter, c)
				}
			}
		}
	}
	return fmt.Errorf("%w: chunk %d (bytes %d to %d) fails authentication: it was altered",
		ErrCorrupt, z.counter, HeaderSize+int64(z.counter)*int64(stored), HeaderSize+int64(z.counter+1)*int64(stored)-1)
}

// open tries to authenticate and decrypt the buffered chunk as chunk
// counter. It decrypts into its own buffer, not in place: a failed Open
// overwrites its destination, and the stored chunk must stay intact for
// the next try.
func (z *Reader) open(counter uint32, final bool) ([]byte, bool) {
	z.nonce = nonce(z.nonce, z.prefix, counter, final)
	plain, err := z.aead.Open(z.out[:0], z.nonce, z.buf, z.header)
	return plain, err == nil
}

func (z *Reader) accept(plain []byte, final bool) error {
	if final {
		// Strip the padding: data ‖ 0x80 ‖ 0x00*.
		i := len(plain) - 1
		for i >= 0 && plain[i] == 0 {
			i--
		}
		if i < 0 || plain[i] != 0x80 {
			return fmt.Errorf("%w: the final chunk %d does not end in the padding 0x80 0x00…", ErrCorrupt, z.counter)
		}
		z.plain = plain[:i]
		z.finalSeen = true
		return nil
	}
	if z.counter == math.MaxUint32 {
		// Chunk 2^32-1 can only be the final one: a counter never wraps.
		return fmt.Errorf("%w: chunk %d is not the final chunk, and an object has at most 2^32 chunks", ErrCorrupt, z.counter)
	}
	z.plain = plain
	z.counter++
	return nil
}
