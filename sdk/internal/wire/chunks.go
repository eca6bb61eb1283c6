package wire

import (
	"errors"
	"fmt"
	"io"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// sendChunks reads r to its end and sends it in chunks of spec.ChunkSize
// (the last may be shorter). It returns the number of bytes sent. Chunks are
// filled before sending so that a reader yielding small pieces (a pipe from a
// dump tool) does not turn into many small messages.
func sendChunks(r io.Reader, send func([]byte) error) (int64, error) {
	buf := make([]byte, spec.ChunkSize)
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if serr := send(buf[:n]); serr != nil {
				return total, serr
			}
			total += int64(n)
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return total, nil
		default:
			return total, err
		}
	}
}

// chunkWriter turns Writes into chunk messages of at most spec.ChunkSize,
// buffering small writes until a chunk is full or Flush is called.
type chunkWriter struct {
	send func([]byte) error
	buf  []byte
}

func newChunkWriter(send func([]byte) error) *chunkWriter {
	return &chunkWriter{send: send}
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if len(w.buf) == 0 && len(p) >= spec.ChunkSize {
			// A whole chunk is at hand: send it without copying.
			if err := w.send(p[:spec.ChunkSize]); err != nil {
				return written, err
			}
			p, written = p[spec.ChunkSize:], written+spec.ChunkSize
			continue
		}
		if w.buf == nil {
			w.buf = make([]byte, 0, spec.ChunkSize)
		}
		n := min(spec.ChunkSize-len(w.buf), len(p))
		w.buf = append(w.buf, p[:n]...)
		p, written = p[n:], written+n
		if len(w.buf) == spec.ChunkSize {
			if err := w.Flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// Flush sends what is buffered.
func (w *chunkWriter) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.send(w.buf)
	w.buf = w.buf[:0]
	return err
}

// chunkReader reads the data of a stream of chunk messages. next returns the
// next chunk, io.EOF at a clean end, or another error.
type chunkReader struct {
	next func() ([]byte, error)
	cur  []byte
	err  error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.cur, r.err = r.next()
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// WriteTo hands whole chunks to w, sparing io.Copy its intermediate buffer
// and giving w (a file, a network stream) large writes.
func (r *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(r.cur) == 0 {
			if r.err != nil {
				if r.err == io.EOF {
					return total, nil
				}
				return total, r.err
			}
			r.cur, r.err = r.next()
			continue
		}
		n, err := w.Write(r.cur)
		total += int64(n)
		r.cur = r.cur[n:]
		if err != nil {
			return total, err
		}
	}
}

// checkChunk enforces the chunk size cap on received data.
func checkChunk(b []byte) error {
	if len(b) > spec.ChunkSize {
		return fmt.Errorf("protocol error: chunk of %d bytes exceeds the %d-byte cap", len(b), spec.ChunkSize)
	}
	return nil
}
