package storagetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
)

// payload is reproducible random-looking content: the same seed and size
// always give the same bytes, so a large object is generated again to be
// compared instead of being held in memory.
//
// Its bytes are a random block, shared by all payloads, read from a position
// the seed chooses, with every stampEvery bytes a stamp of the seed and the
// offset written over it. Copying from a block keeps generation cheap under
// the race detector; the block's odd length keeps its repeats off chunk
// boundaries, and the stamps make a chunk sent twice, dropped or reordered,
// or an object swapped with another, differ from what is expected.
type payload struct {
	seed uint64
	size int64
}

const (
	stampEvery = 4096
	stampSize  = 16
)

// block is the random material of every payload; its length is no multiple
// of anything the wire uses.
var block = func() []byte {
	b := make([]byte, 1<<20+4093)
	rand.NewChaCha8([32]byte{'d', 'b', 'k', 'e', 'e', 'p'}).Read(b)
	return b
}()

// reader yields the payload's bytes.
func (p payload) reader() io.Reader { return &payloadReader{p: p} }

type payloadReader struct {
	p   payload
	off int64
}

func (r *payloadReader) Read(b []byte) (int, error) {
	if r.off >= r.p.size {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), r.p.size-r.off)]
	n := 0
	for n < len(b) {
		off := r.off + int64(n)
		in := off % stampEvery
		if in < stampSize {
			var stamp [stampSize]byte
			binary.LittleEndian.PutUint64(stamp[:8], r.p.seed)
			binary.LittleEndian.PutUint64(stamp[8:], uint64(off-in))
			n += copy(b[n:], stamp[in:])
			continue
		}
		next := min(int64(len(b)-n), stampEvery-in)
		src := (uint64(off) + r.p.seed) % uint64(len(block))
		n += copy(b[n:n+int(next)], block[src:])
	}
	r.off += int64(n)
	return n, nil
}

// bytes returns the payload in memory; only for small payloads.
func (p payload) bytes() []byte {
	b, err := io.ReadAll(p.reader())
	if err != nil {
		panic(err) // generating cannot fail
	}
	return b
}

// sha256 is the lower-case hex digest of the payload.
func (p payload) sha256() string {
	h := sha256.New()
	if _, err := io.Copy(h, p.reader()); err != nil {
		panic(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// compareStreams reads want and got side by side, holding one block of each,
// and describes the first difference: a differing byte, or one stream ending
// early. A read error of got is returned as such.
func compareStreams(want, got io.Reader) error {
	const block = 64 << 10
	wb, gb := make([]byte, block), make([]byte, block)
	var off int64
	for {
		wn, werr := io.ReadFull(want, wb)
		gn, gerr := io.ReadFull(got, gb)
		if gerr != nil && gerr != io.EOF && gerr != io.ErrUnexpectedEOF {
			return fmt.Errorf("reading download at offset %d: %w", off+int64(gn), gerr)
		}
		if i := firstDiff(wb[:wn], gb[:gn]); i >= 0 {
			return fmt.Errorf("content differs at offset %d", off+int64(i))
		}
		if wn != gn {
			if gn < wn {
				return fmt.Errorf("download ends at %d bytes, want %d or more", off+int64(gn), off+int64(wn))
			}
			return fmt.Errorf("download has more than the %d bytes stored", off+int64(wn))
		}
		off += int64(wn)
		if werr != nil { // the expected content ended, and so did got
			return nil
		}
	}
}

// firstDiff returns the first index where a and b differ within their common
// length, or -1.
func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	if bytes.Equal(a[:n], b[:n]) {
		return -1
	}
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
