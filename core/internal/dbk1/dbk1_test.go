package dbk1_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/dbkeep/dbkeep/core/internal/dbk1"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, dbk1.KeySize) }

// pattern is the plaintext family of these tests: every plaintext is a
// prefix of it, so anything a reader returns can be checked.
var pattern = func() []byte {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}()

func seal(t testing.TB, key, plain []byte, chunkSize int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := dbk1.NewWriterSize(&buf, key, chunkSize)
	if err != nil {
		t.Fatal(err)
	}
	// Uneven writes, as a compressor's output arrives.
	for rest := plain; len(rest) > 0; {
		n := min(len(rest), 1+len(rest)%37)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// open reads the whole object, returning what was read before any error.
func open(key, stored []byte) ([]byte, error) {
	r, err := dbk1.NewReader(bytes.NewReader(stored), key)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestRoundTrip(t *testing.T) {
	key := testKey(1)
	for _, cs := range []int{dbk1.MinChunkSize, 1000, dbk1.DefaultChunkSize} {
		for _, size := range []int{0, 1, cs - 1, cs, cs + 1, 3 * cs, 3*cs + 5, 200_001} {
			plain := pattern[:size]
			stored := seal(t, key, plain, cs)
			// Every chunk is stored at the same size: the data's chunks,
			// then the final one, which holds the rest and the padding.
			if want := dbk1.HeaderSize + (size/cs+1)*(cs+dbk1.TagSize); len(stored) != want {
				t.Errorf("chunk %d, %d bytes: stored %d, want %d", cs, size, len(stored), want)
			}
			got, err := open(key, stored)
			if err != nil {
				t.Fatalf("chunk %d, %d bytes: %v", cs, size, err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("chunk %d, %d bytes: read back %d different bytes", cs, size, len(got))
			}
		}
	}
	// Two objects of the same plaintext under the same key differ (salt).
	if bytes.Equal(seal(t, key, pattern[:100], 64), seal(t, key, pattern[:100], 64)) {
		t.Fatal("two encryptions are identical")
	}
}

func TestHeader(t *testing.T) {
	key := testKey(2)
	r, err := dbk1.OpenReader(bytes.NewReader(seal(t, key, pattern[:10], 512)), key)
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Version != 1 || h.ChunkSize != 512 || len(h.KeyID) != 16 {
		t.Fatalf("header %+v", h)
	}
}

func TestWrongKey(t *testing.T) {
	stored := seal(t, testKey(1), pattern[:5000], 1024)
	_, err := dbk1.NewReader(bytes.NewReader(stored), testKey(2))
	if !errors.Is(err, dbk1.ErrWrongKey) {
		t.Fatalf("wrong key: %v", err)
	}
	keyID := func(key []byte) string {
		r, err := dbk1.OpenReader(bytes.NewReader(seal(t, key, nil, 1024)), key)
		if err != nil {
			t.Fatal(err)
		}
		return r.Header().KeyID
	}
	var wrong *dbk1.WrongKeyError
	if !errors.As(err, &wrong) || wrong.ObjectKeyID != keyID(testKey(1)) || wrong.KeyID != keyID(testKey(2)) {
		t.Fatalf("wrong key: %#v does not name the key ids %s (object) and %s (given)", err, keyID(testKey(1)), keyID(testKey(2)))
	}
	t.Log(err)
	if _, err := dbk1.NewReader(bytes.NewReader(stored), testKey(1)[:16]); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}

// TestHeaderOrder: the header's checks run in the document's order, and
// the first that fails decides the error.
func TestHeaderOrder(t *testing.T) {
	key := testKey(1)
	stored := seal(t, key, pattern[:50], 16)
	header := stored[:dbk1.HeaderSize]
	with := func(off int, b ...byte) []byte {
		c := bytes.Clone(stored)
		copy(c[off:], b)
		return c
	}
	fixed := func(b []byte) []byte { return dbk1.FixChecksum(b) }
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, dbk1.ErrTruncated},
		{"one byte, not D", []byte("x"), dbk1.ErrNotDBK1},
		{"DBK", []byte("DBK"), dbk1.ErrTruncated},
		{"DBK1 alone", []byte("DBK1"), dbk1.ErrTruncated},
		{"zip", []byte("PK\x03\x04 a zip file, not ours"), dbk1.ErrNotDBK1},
		{"zeros", bytes.Repeat([]byte{0}, 200), dbk1.ErrNotDBK1},
		{"magic DBK2, valid otherwise", with(3, '2'), dbk1.ErrNotDBK1},
		{"version 2, bad checksum", with(4, 2), dbk1.ErrUnsupportedVersion},
		{"version 2, own checksum", fixed(with(4, 2)), dbk1.ErrUnsupportedVersion},
		{"version 0, 5 bytes", []byte("DBK1\x00"), dbk1.ErrUnsupportedVersion},
		{"version 1, header cut", header[:50], dbk1.ErrTruncated},
		{"checksum", with(90, header[90]^1), dbk1.ErrCorrupt},
		{"chunkSize 0", fixed(with(5, 0, 0, 0, 0)), dbk1.ErrCorrupt},
		{"chunkSize 15", fixed(with(5, 0, 0, 0, 15)), dbk1.ErrCorrupt},
		{"chunkSize 4 MiB + 1", fixed(with(5, 0, 0x40, 0, 1)), dbk1.ErrCorrupt},
		// A range check comes before the key id: the header is wrong
		// whatever the key.
		{"chunkSize 8 and another key id", fixed(with(5, 0, 0, 0, 8, 0xee)), dbk1.ErrCorrupt},
		{"key id", fixed(with(9, header[9]^1)), dbk1.ErrWrongKey},
		{"key check", fixed(with(60, header[60]^1)), dbk1.ErrCorrupt},
	} {
		if _, err := open(key, tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Another version is refused from its first five bytes: nothing after
	// them is read.
	failing := io.MultiReader(bytes.NewReader([]byte("DBK1\x02")), iotest.ErrReader(errors.New("read past the version")))
	if _, err := dbk1.NewReader(failing, key); !errors.Is(err, dbk1.ErrUnsupportedVersion) {
		t.Errorf("version 2 then a failing read: %v", err)
	}
}

// TestTruncated: every cut of an object, whether in the header, inside a
// chunk or between chunks, is ErrTruncated.
func TestTruncated(t *testing.T) {
	key := testKey(3)
	plain := pattern[:40] // chunks of 16: 16 + 16 + final(8 + padding)
	stored := seal(t, key, plain, 16)
	for cut := 0; cut < len(stored); cut++ {
		got, err := open(key, stored[:cut])
		if !errors.Is(err, dbk1.ErrTruncated) {
			t.Fatalf("cut at %d of %d: %v, want ErrTruncated", cut, len(stored), err)
		}
		if !bytes.HasPrefix(plain, got) {
			t.Fatalf("cut at %d: returned bytes that are not the plaintext", cut)
		}
	}
}

// TestFlippedBit: every single bit flipped anywhere (header, any chunk,
// any tag) is ErrCorrupt, except in the magic (ErrNotDBK1) and the version
// byte (ErrUnsupportedVersion), and no byte of an altered chunk is returned.
func TestFlippedBit(t *testing.T) {
	key := testKey(4)
	plain := pattern[:40]
	stored := seal(t, key, plain, 16)
	for i := range stored {
		for bit := range 8 {
			bad := bytes.Clone(stored)
			bad[i] ^= 1 << bit
			got, err := open(key, bad)
			want := dbk1.ErrCorrupt
			switch {
			case i < 4:
				want = dbk1.ErrNotDBK1
			case i == 4:
				want = dbk1.ErrUnsupportedVersion
			}
			if !errors.Is(err, want) {
				t.Fatalf("bit %d of byte %d flipped: %v, want %v", bit, i, err, want)
			}
			if chunkStart := dbk1.HeaderSize + (i-dbk1.HeaderSize)/32*32; len(got) > 0 && (i < dbk1.HeaderSize || len(got) > (chunkStart-dbk1.HeaderSize)/32*16) {
				t.Fatalf("bit %d of byte %d flipped: %d bytes returned, including unauthenticated ones", bit, i, len(got))
			}
			if !bytes.HasPrefix(plain, got) {
				t.Fatalf("byte %d: returned bytes that are not the plaintext", i)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	key := testKey(5)
	stored := seal(t, key, pattern[:10], 16)
	// A newer format: another version with its own valid checksum is not
	// ours to read.
	newer := bytes.Clone(stored)
	newer[4] = 2
	newer = dbk1.FixChecksum(newer)
	if _, err := open(key, newer); !errors.Is(err, dbk1.ErrUnsupportedVersion) {
		t.Fatalf("version 2: %v", err)
	}
}

func TestReordered(t *testing.T) {
	key := testKey(6)
	plain := pattern[:16*5+3] // chunks 0..4 full, 5 final
	stored := seal(t, key, plain, 16)
	const cs = 32 // stored chunk
	chunk := func(i int) []byte { return stored[dbk1.HeaderSize+i*cs : dbk1.HeaderSize+(i+1)*cs] }
	build := func(order ...int) []byte {
		out := bytes.Clone(stored[:dbk1.HeaderSize])
		for _, i := range order {
			out = append(out, chunk(i)...)
		}
		return out
	}
	for name, tc := range map[string]struct {
		order []int
		want  error
	}{
		"swapped":           {[]int{0, 2, 1, 3, 4, 5}, dbk1.ErrReordered},
		"duplicated":        {[]int{0, 1, 1, 2, 3, 4, 5}, dbk1.ErrReordered},
		"dropped":           {[]int{0, 1, 3, 4, 5}, dbk1.ErrReordered},
		"final moved":       {[]int{0, 1, 2, 3, 5, 4}, dbk1.ErrReordered},
		"final repeated":    {[]int{0, 1, 2, 3, 4, 5, 5}, dbk1.ErrTrailingData},
		"chunk 0 appended":  {[]int{0, 1, 2, 3, 4, 5, 0}, dbk1.ErrTrailingData},
		"final moved, more": {[]int{0, 1, 2, 3, 5, 4, 5}, dbk1.ErrReordered},
		"first moved far":   {[]int{1, 2, 3, 4, 0, 5}, dbk1.ErrReordered},
		"final dropped":     {[]int{0, 1, 2, 3, 4}, dbk1.ErrTruncated},
		"only the last two": {[]int{4, 5}, dbk1.ErrReordered},
		"whole":             {[]int{0, 1, 2, 3, 4, 5}, nil},
	} {
		got, err := open(key, build(tc.order...))
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
			continue
		}
		if !bytes.HasPrefix(plain, got) {
			t.Errorf("%s: returned bytes that are not the plaintext", name)
		}
	}
	// Chunks of another object under the same key never fit.
	other := seal(t, key, plain, 16)
	spliced := append(bytes.Clone(stored[:dbk1.HeaderSize+cs]), other[dbk1.HeaderSize+cs:]...)
	if _, err := open(key, spliced); !errors.Is(err, dbk1.ErrCorrupt) {
		t.Errorf("spliced from another object: %v", err)
	}
}

// TestExtended: bytes after an authentic final chunk are ErrTrailingData,
// however many (the reader cannot know the object's size), and the final
// chunk's data is not returned. A rewritten chunkSize (checksum fixed) is
// caught by the chunks, which authenticate the header: ErrCorrupt, or
// ErrTruncated when not even one chunk of the new size is left.
func TestExtended(t *testing.T) {
	key := testKey(7)
	plain := pattern[:16*2+5]
	stored := seal(t, key, plain, 16) // chunks 0, 1 full; 2 final
	for name, extra := range map[string][]byte{
		"one byte":          {0},
		"a chunk's size":    bytes.Repeat([]byte{0xa5}, 32),
		"a copy of its end": stored[len(stored)-32:],
		"33 bytes":          bytes.Repeat([]byte{1}, 33),
	} {
		got, err := open(key, append(bytes.Clone(stored), extra...))
		if !errors.Is(err, dbk1.ErrTrailingData) {
			t.Errorf("%s appended: %v, want ErrTrailingData", name, err)
		}
		if !bytes.Equal(got, plain[:32]) {
			t.Errorf("%s appended: returned %d bytes, want the 32 of the full chunks only", name, len(got))
		}
	}
	for _, tc := range []struct {
		chunk uint32
		want  error
	}{{17, dbk1.ErrCorrupt}, {32, dbk1.ErrCorrupt}, {48, dbk1.ErrCorrupt}, {80, dbk1.ErrCorrupt}, {81, dbk1.ErrTruncated}, {dbk1.MaxChunkSize, dbk1.ErrTruncated}} {
		bad := bytes.Clone(stored)
		binary.BigEndian.PutUint32(bad[5:], tc.chunk)
		got, err := open(key, dbk1.FixChecksum(bad))
		if !errors.Is(err, tc.want) || len(got) != 0 {
			t.Errorf("chunkSize rewritten to %d: %d bytes, %v; want %v and nothing", tc.chunk, len(got), err, tc.want)
		}
	}
}

func TestWriterLimits(t *testing.T) {
	if _, err := dbk1.NewWriterSize(io.Discard, testKey(1), 8); err == nil {
		t.Error("chunk size 8 accepted")
	}
	if _, err := dbk1.NewWriterSize(io.Discard, testKey(1), dbk1.MaxChunkSize+1); err == nil {
		t.Error("chunk size above the maximum accepted")
	}
	if _, err := dbk1.NewWriter(io.Discard, make([]byte, 31)); err == nil {
		t.Error("31-byte key accepted")
	}
	w, err := dbk1.NewWriter(io.Discard, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := w.Write([]byte("late")); err == nil {
		t.Error("write after Close accepted")
	}
}
