package compress

import (
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/pgzip"
)

// gzipBlock is the size of the blocks pgzip compresses in parallel, one
// per core; the output is one ordinary gzip member any gunzip reads.
const gzipBlock = 1 << 20

func newGzipWriter(w io.Writer, level int) (io.WriteCloser, error) {
	gz, err := pgzip.NewWriterLevel(w, effective(Gzip, level))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := gz.SetConcurrency(gzipBlock, runtime.GOMAXPROCS(0)); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return gz, nil
}

func newGzipReader(r io.Reader) (io.ReadCloser, error) {
	gz, err := pgzip.NewReader(sourceReader{r})
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // our writer never makes an empty stream
		}
		return nil, formatError(Gzip, err)
	}
	return &gzipReader{gz: gz}, nil
}

// gzipReader names the format in its own errors (formatError).
type gzipReader struct{ gz *pgzip.Reader }

func (g *gzipReader) Read(p []byte) (int, error) {
	n, err := g.gz.Read(p)
	return n, formatError(Gzip, err)
}

func (g *gzipReader) Close() error { return g.gz.Close() }
