package compress_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/compress"
)

// benchLevels are the levels measured per algorithm: the fastest, the
// default, and one stronger where it is still usable for backups.
var benchLevels = map[compress.Algorithm][]int{
	compress.Zstd:   {1, 3, 9, 19},
	compress.Gzip:   {1, 6, 9},
	compress.Brotli: {1, 6},
	compress.None:   {0},
}

// BenchmarkCompress reports MB/s of input compressed and the stored size
// as a percentage of the input ("%stored"), on 16 MiB of SQL-dump-like text.
// go test -run '^$' -bench Compress -benchtime 3x ./core/internal/compress/
func BenchmarkCompress(b *testing.B) {
	in := sqlDump(16<<20, 9)
	for _, a := range compress.Algorithms() {
		for _, level := range benchLevels[a] {
			b.Run(fmt.Sprintf("%s-%d", a, level), func(b *testing.B) {
				b.SetBytes(int64(len(in)))
				var stored countWriter
				for b.Loop() {
					stored = 0
					w, err := compress.NewWriter(&stored, a, level)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.Copy(w, bytes.NewReader(in)); err != nil {
						b.Fatal(err)
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(100*float64(stored)/float64(len(in)), "%stored")
			})
		}
	}
}

// BenchmarkDecompress reports MB/s of output decompressed.
func BenchmarkDecompress(b *testing.B) {
	in := sqlDump(16<<20, 9)
	for _, a := range compress.Algorithms() {
		level := benchLevels[a][0]
		if len(benchLevels[a]) > 1 {
			level = benchLevels[a][1]
		}
		var buf bytes.Buffer
		w, err := compress.NewWriter(&buf, a, level)
		if err != nil {
			b.Fatal(err)
		}
		w.Write(in)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s-%d", a, level), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				r, err := compress.NewReader(bytes.NewReader(buf.Bytes()), a)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
