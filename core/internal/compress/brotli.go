package compress

import (
	"io"

	"github.com/andybalholm/brotli"
)

// Brotli compresses on one core: the library has no parallel encoder. It is
// offered for its ratio on text dumps, not its speed (see the benchmarks).

func newBrotliWriter(w io.Writer, level int) io.WriteCloser {
	return brotli.NewWriterLevel(w, effective(Brotli, level))
}

func newBrotliReader(r io.Reader) io.ReadCloser {
	return brotliReader{brotli.NewReader(sourceReader{r})}
}

// brotliReader names the format in its own errors (formatError); the
// decoder holds nothing to release.
type brotliReader struct{ r *brotli.Reader }

func (b brotliReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	return n, formatError(Brotli, err)
}

func (brotliReader) Close() error { return nil }
