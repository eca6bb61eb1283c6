package dbk1_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/dbk1"
)

// FuzzReader feeds the reader altered objects. It must never panic, never
// return a byte that is not the plaintext (every seed's plaintext is a
// prefix of pattern, and a forger without the key cannot make another), and
// reach io.EOF only for an object exactly as written.
func FuzzReader(f *testing.F) {
	key := testKey(9)
	var valid [][]byte
	for _, tc := range []struct{ size, chunk int }{{0, 16}, {1, 16}, {16, 16}, {40, 16}, {100, 32}, {3000, 1024}} {
		// Fixed randomness: every fuzz worker process rebuilds these.
		var buf bytes.Buffer
		w, err := dbk1.NewWriterRand(&buf, key, tc.chunk, rand.NewChaCha8([32]byte{byte(tc.size)}))
		if err != nil {
			f.Fatal(err)
		}
		w.Write(pattern[:tc.size])
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
		obj := buf.Bytes()
		valid = append(valid, obj)
		f.Add(obj)
	}
	f.Add([]byte("DBK1"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := dbk1.NewReader(bytes.NewReader(data), key)
		if err != nil {
			checkKind(t, err)
			return
		}
		got, err := io.ReadAll(r)
		if !bytes.HasPrefix(pattern, got) {
			t.Fatalf("returned %d bytes that are not the plaintext", len(got))
		}
		if err == nil {
			for _, v := range valid {
				if bytes.Equal(v, data) {
					return
				}
			}
			t.Fatalf("a modified object of %d bytes read to its end without error", len(data))
		}
		checkKind(t, err)
	})
}

// checkKind fails unless err is one of the package's errors.
func checkKind(t *testing.T, err error) {
	t.Helper()
	for _, kind := range []error{dbk1.ErrNotDBK1, dbk1.ErrUnsupportedVersion, dbk1.ErrWrongKey,
		dbk1.ErrTruncated, dbk1.ErrTrailingData, dbk1.ErrReordered, dbk1.ErrCorrupt} {
		if errors.Is(err, kind) {
			return
		}
	}
	t.Fatalf("error of no known kind: %v", err)
}
