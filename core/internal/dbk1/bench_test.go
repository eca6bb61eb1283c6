package dbk1_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/dbk1"
)

// BenchmarkEncrypt and BenchmarkDecrypt report MB/s of plaintext through
// the format at the default and two other chunk sizes.
// go test -run '^$' -bench . ./core/internal/dbk1/
func BenchmarkEncrypt(b *testing.B) {
	plain := bytes.Repeat(pattern, 16) // 16 MiB
	for _, cs := range []int{16 << 10, dbk1.DefaultChunkSize, 1 << 20} {
		b.Run(fmt.Sprintf("chunk=%dKiB", cs>>10), func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			for b.Loop() {
				w, err := dbk1.NewWriterSize(io.Discard, testKey(1), cs)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(w, bytes.NewReader(plain)); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecrypt(b *testing.B) {
	plain := bytes.Repeat(pattern, 16)
	for _, cs := range []int{16 << 10, dbk1.DefaultChunkSize, 1 << 20} {
		stored := seal(b, testKey(1), plain, cs)
		b.Run(fmt.Sprintf("chunk=%dKiB", cs>>10), func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			for b.Loop() {
				r, err := dbk1.NewReader(bytes.NewReader(stored), testKey(1))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
