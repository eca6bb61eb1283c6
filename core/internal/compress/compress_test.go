package compress_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/compress"
)

func roundTrip(t *testing.T, a compress.Algorithm, level int, in []byte) []byte {
	t.Helper()
	var stored bytes.Buffer
	w, err := compress.NewWriter(&stored, a, level)
	if err != nil {
		t.Fatal(err)
	}
	// Written in uneven pieces, as a dump stream arrives.
	for rest := in; len(rest) > 0; {
		n := min(len(rest), 7919+len(rest)%65536)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := compress.NewReader(bytes.NewReader(stored.Bytes()), a)
	if err != nil {
		t.Fatalf("%s: open: %v", a, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s level %d: read: %v", a, level, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, in) {
		t.Fatalf("%s level %d: %d bytes in, %d different bytes out", a, level, len(in), len(out))
	}
	return stored.Bytes()
}

func TestRoundTrip(t *testing.T) {
	mixed := append(sqlDump(2<<20, 1), randomBytes(1<<20, 2)...)
	mixed = append(mixed, sqlDump(1<<20, 3)...)
	inputs := map[string][]byte{"empty": {}, "one byte": {'x'}, "mixed 4 MiB": mixed, "dump 32 KiB": sqlDump(32<<10, 4)}
	for _, a := range compress.Algorithms() {
		levels := []int{0}
		if r, ok := compress.Levels(a); ok {
			levels = append(levels, r.Min, r.Max)
		}
		for name, in := range inputs {
			for _, level := range levels {
				if r, _ := compress.Levels(a); level > 0 && level == r.Max && len(in) > 1<<20 {
					continue // the slowest levels take minutes on MiBs under -race; the small input covers them
				}
				t.Run(fmt.Sprintf("%s/%d/%s", a, level, name), func(t *testing.T) {
					stored := roundTrip(t, a, level, in)
					if a != compress.None && len(in) > 1<<20 && len(stored) >= len(in) {
						t.Fatalf("%s level %d: %d bytes stored for %d: nothing compressed", a, level, len(stored), len(in))
					}
				})
			}
		}
	}
}

// compressed returns in compressed with a at its default level.
func compressed(t *testing.T, a compress.Algorithm, in []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := compress.NewWriter(&buf, a, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAll(a compress.Algorithm, stored []byte) ([]byte, error) {
	r, err := compress.NewReader(bytes.NewReader(stored), a)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// TestDamage: a flipped bit or a cut stream is an error, never a silently
// shorter or different output, for the formats that carry a checksum.
func TestDamage(t *testing.T) {
	in := sqlDump(1<<20, 7)
	for _, a := range []compress.Algorithm{compress.Zstd, compress.Gzip} {
		stored := compressed(t, a, in)
		for _, cut := range []int{len(stored) - 1, len(stored) - 4, len(stored) / 2, 20} {
			out, err := readAll(a, stored[:cut])
			if err == nil {
				t.Errorf("%s cut at %d of %d: no error (%d bytes out)", a, cut, len(stored), len(out))
			} else if !strings.HasPrefix(err.Error(), string(a)+": ") {
				t.Errorf("%s cut: error %q does not name the format", a, err)
			}
		}
		for _, at := range []int{len(stored) / 3, len(stored) / 2, len(stored) - 2} {
			bad := bytes.Clone(stored)
			bad[at] ^= 0x10
			if out, err := readAll(a, bad); err == nil && !bytes.Equal(out, in) {
				t.Errorf("%s bit flipped at %d: different output and no error", a, at)
			} else if err == nil {
				t.Errorf("%s bit flipped at %d: no error", a, at)
			}
		}
		if _, err := readAll(a, append(bytes.Clone(stored), "trailing junk"...)); err == nil {
			t.Errorf("%s with trailing junk: no error", a)
		}
	}
	// Brotli has no checksum; a cut stream is still caught.
	stored := compressed(t, compress.Brotli, in)
	if _, err := readAll(compress.Brotli, stored[:len(stored)/2]); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("brotli cut in half: %v, want unexpected EOF", err)
	}
}

// TestNoneDoesNotClose: closing the none writer leaves the destination open,
// as every other writer does.
func TestNoneDoesNotClose(t *testing.T) {
	for _, a := range compress.Algorithms() {
		dst := &closeTracker{}
		w, err := compress.NewWriter(dst, a, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if dst.closed {
			t.Errorf("%s: Close closed the destination", a)
		}
	}
}

type closeTracker struct {
	bytes.Buffer
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func TestParseAndLevels(t *testing.T) {
	for _, a := range compress.Algorithms() {
		got, err := compress.Parse(string(a))
		if err != nil || got != a {
			t.Errorf("Parse(%q) = %q, %v", a, got, err)
		}
	}
	if _, err := compress.Parse("xz"); err == nil || !strings.Contains(err.Error(), `"zstd", "gzip", "brotli", "none"`) {
		t.Errorf("Parse(xz): %v", err)
	}
	for _, tc := range []struct {
		a       compress.Algorithm
		level   int
		wantErr string
	}{
		{compress.Zstd, 0, ""}, {compress.Zstd, 1, ""}, {compress.Zstd, 22, ""},
		{compress.Zstd, 23, "want 1 to 22"}, {compress.Zstd, -1, "want 1 to 22"},
		{compress.Gzip, 9, ""}, {compress.Gzip, 10, "want 1 to 9"},
		{compress.Brotli, 11, ""}, {compress.Brotli, 12, "want 1 to 11"},
		{compress.None, 0, ""}, {compress.None, 3, "none takes no level"},
		{"lz4", 0, `compression "lz4" is unknown`},
	} {
		err := compress.CheckLevel(tc.a, tc.level)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("CheckLevel(%s, %d) = %v, want %q", tc.a, tc.level, err, tc.wantErr)
		}
		if _, err := compress.NewWriter(io.Discard, tc.a, tc.level); (err == nil) != (tc.wantErr == "") {
			t.Errorf("NewWriter(%s, %d) = %v", tc.a, tc.level, err)
		}
	}
}

func TestFromName(t *testing.T) {
	for name, want := range map[string]compress.Algorithm{
		"shop.sql.zst.dbk": compress.Zstd, "shop.sql.zst": compress.Zstd, "a.sql.gz": compress.Gzip,
		"a.sql.br.dbk": compress.Brotli, "a.sql.dbk": compress.None, "a.sqlite": compress.None,
	} {
		if got := compress.FromName(name); got != want {
			t.Errorf("FromName(%q) = %s, want %s", name, got, want)
		}
	}
}

// failingSource returns its bytes, then err.
type failingSource struct {
	data []byte
	err  error
}

func (f *failingSource) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestSourceErrorsPassThrough: an error of the reader under a
// decompressor (DBK1, in a backup) comes back as it is, not claimed by the
// format; the format's own errors name it, once.
func TestSourceErrorsPassThrough(t *testing.T) {
	in := sqlDump(1<<20, 5)
	errSource := errors.New("dbk1: object is corrupt: chunk 3 fails authentication")
	for _, a := range []compress.Algorithm{compress.Zstd, compress.Gzip, compress.Brotli} {
		stored := compressed(t, a, in)
		for _, at := range []int{0, 5, len(stored) / 2} {
			src := &failingSource{data: stored[:at], err: fmt.Errorf("read chunk: %w", errSource)}
			var err error
			if r, oerr := compress.NewReader(src, a); oerr != nil {
				err = oerr
			} else {
				_, err = io.ReadAll(r)
				r.Close()
			}
			if !errors.Is(err, errSource) || err.Error() != "read chunk: "+errSource.Error() {
				t.Errorf("%s, source failing after %d bytes: error %q, want the source's own %q", a, at, err, "read chunk: "+errSource.Error())
			}
		}
		// The format's own error names it once.
		bad := bytes.Clone(stored)
		bad[0] ^= 0xff
		if _, err := readAll(a, bad); err == nil || !strings.HasPrefix(err.Error(), string(a)+": ") || strings.HasPrefix(err.Error(), string(a)+": "+string(a)+": ") {
			t.Errorf("%s, first byte altered: error %v, want it to name %s once", a, err, a)
		}
	}
}

// TestEmptyStreamRefused: no bytes at all is no stream of any format that
// has a framing: it is refused as cut short, as the zstd, gzip and brotli
// commands refuse it, while an empty dump (written as a stream) and empty
// data under none read back as empty.
func TestEmptyStreamRefused(t *testing.T) {
	for _, a := range []compress.Algorithm{compress.Zstd, compress.Gzip, compress.Brotli} {
		out, err := readAll(a, nil)
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(err.Error(), string(a)+": ") {
			t.Errorf("%s of no bytes: %d bytes out, error %v; want %s's unexpected EOF", a, len(out), err, a)
		}
		if stored := compressed(t, a, nil); len(stored) == 0 {
			t.Errorf("%s: an empty dump is stored as no bytes", a)
		} else if out, err := readAll(a, stored); err != nil || len(out) != 0 {
			t.Errorf("%s: an empty dump reads back as %d bytes, %v", a, len(out), err)
		}
	}
	if out, err := readAll(compress.None, nil); err != nil || len(out) != 0 {
		t.Errorf("none of no bytes: %d bytes, %v", len(out), err)
	}
}
