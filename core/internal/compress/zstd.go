package compress

import (
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/zstd"
)

// zstdWindow bounds the encoder's match window, and with it its memory: the
// parallel encoder cuts the stream in jobs of four windows and keeps a few
// jobs per core in flight. The library's default, 8 MiB, means 32 MiB jobs,
// too much per core for a core process meant to stay under 100 MiB; with
// 2 MiB, BenchmarkCompress allocates ~55 MiB per 16 MiB compressed on two
// cores. The ratio barely moves: 64 MiB of Go sources stored as 18.81% of
// their size with a 2 MiB window, 18.72% with 8 MiB (level 3, 2 cores).
const zstdWindow = 2 << 20

// zstdMaxWindow is the largest window the decoder accepts. Our writer uses
// zstdWindow; the zstd command up to level 19 uses 8 MiB, and --long=27
// 128 MiB: a larger window in a frame would be a hostile or foreign one, so
// it is refused rather than allocated.
const zstdMaxWindow = 128 << 20

func newZstdWriter(w io.Writer, level int) (io.WriteCloser, error) {
	enc, err := zstd.NewWriter(w,
		zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(effective(Zstd, level))),
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithConcurrentBlocks(true),
		zstd.WithWindowSize(zstdWindow),
		// An empty dump is one empty frame rather than no bytes at all, which
		// the zstd command reads back as "not zstd".
		zstd.WithZeroFrames(true),
		zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return enc, nil
}

func newZstdReader(r io.Reader) (io.ReadCloser, error) {
	dec, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return &zstdReader{dec: dec}, nil
}

// zstdReader names the format in its errors and frees the decoder's
// goroutines on Close (the decoder's own Close returns nothing).
type zstdReader struct{ dec *zstd.Decoder }

func (z *zstdReader) Read(p []byte) (int, error) {
	n, err := z.dec.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("zstd: %w", err)
	}
	return n, err
}

func (z *zstdReader) Close() error {
	z.dec.Close()
	return nil
}
