package compress

import (
	"fmt"
	"io"
	"runtime"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
)

// zstdWindow bounds the encoder's match window, and with it its memory:
// the parallel encoder cuts the stream in jobs of four windows (here
// 2 MiB) and keeps about two jobs per worker in flight. Smaller windows
// cost no ratio on dumps, because the parallel jobs restart their history
// anyway: on a 1.1 GiB pg_dump (level 3, two workers) 512 KiB, 1 MiB and
// 2 MiB windows stored 431.3, 433.0 and 433.4 MB and peaked at 25, 45 and
// 83 MiB of heap; on BenchmarkCompress's 16 MiB of SQL text at level 3,
// 20.09, 20.31 and 20.42% of the input, allocating 23, 40 and 57 MB.
const zstdWindow = 512 << 10

// zstdMaxWindow is the largest window the decoder accepts. Our writer uses
// zstdWindow; the zstd command up to level 19 uses 8 MiB, and --long=27
// 128 MiB: a larger window in a frame would be a hostile or foreign one, so
// it is refused rather than allocated.
const zstdMaxWindow = 128 << 20

// zstdMaxWorkers caps the parallel encoder's workers, and with them its
// memory: each worker has a job in, another queued, their output and its
// own match tables, about 6 MiB.
const zstdMaxWorkers = 4

// zstdWorkers is how many goroutines compress one stream: one per core, up
// to zstdMaxWorkers. The parallel encoder costs no more CPU than the
// single-threaded one (1.1 GiB pg_dump, level 3, 512 KiB window, three
// runs each on two cores: 11.4–11.9 against 12.4–13.4 CPU-s), and a single
// thread is the slowest stage of a backup: in a pair of BenchmarkBackup1GiB
// runs at the same load it took 19.6 s where two workers took 17.4 s (the
// bare tools: 12.6 s and 12.7 s).
func zstdWorkers() int {
	return min(runtime.GOMAXPROCS(0), zstdMaxWorkers)
}

func newZstdWriter(w io.Writer, level int) (io.WriteCloser, error) {
	opts := []zstd.EOption{
		zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(effective(Zstd, level))),
		zstd.WithWindowSize(zstdWindow),
		// An empty dump is one empty frame rather than no bytes at all, which
		// the zstd command reads back as "not zstd".
		zstd.WithZeroFrames(true),
		zstd.WithEncoderCRC(true),
	}
	if n := zstdWorkers(); n > 1 {
		opts = append(opts, zstd.WithEncoderConcurrency(n), zstd.WithConcurrentBlocks(true))
	} else {
		// Concurrency 1 encodes in Write itself: no goroutine hand-off per
		// block, no job buffers.
		opts = append(opts, zstd.WithEncoderConcurrency(1))
	}
	enc, err := zstd.NewWriter(w, opts...)
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return enc, nil
}

func newZstdReader(r io.Reader) (io.ReadCloser, error) {
	src := &zstdSource{r: sourceReader{r}}
	dec, err := zstd.NewReader(src, zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		return nil, formatError(Zstd, err)
	}
	return &zstdReader{dec: dec, src: src}, nil
}

// zstdReader names the format in its own errors (formatError), refuses a
// stream without a frame, and frees the decoder's goroutines on Close (the
// decoder's own Close returns nothing).
type zstdReader struct {
	dec *zstd.Decoder
	src *zstdSource
}

func (z *zstdReader) Read(p []byte) (int, error) {
	n, err := z.dec.Read(p)
	if err == io.EOF && !z.src.read.Load() {
		// A zstd stream is one or more frames (RFC 8878 §3.1), and our
		// writer makes one even for an empty dump (WithZeroFrames): no
		// bytes at all is a stream cut before its start, as the zstd
		// command says, where the decoder would read it as empty data.
		return n, fmt.Errorf("zstd: %w: the stream is empty, without a single frame (an empty dump is stored as one empty frame)", io.ErrUnexpectedEOF)
	}
	return n, formatError(Zstd, err)
}

// zstdSource records whether the stream held any byte. The decoder reads
// it from its own goroutine, hence the atomic.
type zstdSource struct {
	r    io.Reader
	read atomic.Bool
}

func (s *zstdSource) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.read.Store(true)
	}
	return n, err
}

func (z *zstdReader) Close() error {
	z.dec.Close()
	return nil
}
