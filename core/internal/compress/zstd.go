package compress

import (
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/zstd"
)

// zstdWindow bounds the encoder's match window, and with it its memory: the
// parallel encoder cuts the stream in jobs of four windows, and holds about
// three jobs per core. The library's default, 8 MiB, would cost ~100 MiB per
// core; 2 MiB keeps a many-core host's core process small for a ratio loss
// measured in compress_bench_test.go (a few percent on SQL dumps).
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
