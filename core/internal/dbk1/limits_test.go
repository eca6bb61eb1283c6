package dbk1

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"math"
	"testing"
)

// sealAt seals plain as chunk counter of the object whose header is h:
// objects no honest writer makes, to reach the reader's rules behind
// authentication.
func sealAt(t *testing.T, key, h []byte, counter uint32, final bool, plain []byte) []byte {
	t.Helper()
	aesKey, _, err := deriveKeys(key, h[offSalt:offSalt+saltSize])
	if err != nil {
		t.Fatal(err)
	}
	aead, err := newAEAD(aesKey)
	if err != nil {
		t.Fatal(err)
	}
	return aead.Seal(nil, nonce(nil, h[offPrefix:offPrefix+prefixSize], counter, final), plain, h)
}

func newHeader(t *testing.T, key []byte, chunkSize int) []byte {
	t.Helper()
	random := make([]byte, saltSize+prefixSize)
	rand.Read(random)
	h, _, err := buildHeader(key, chunkSize, random[:saltSize], random[saltSize:])
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// readFrom reads obj as if its first chunk were chunk first: the test hook
// that reaches the end of the counter without 2^32 chunks of data.
func readFrom(key, obj []byte, first uint32) ([]byte, error) {
	r, err := OpenReader(bytes.NewReader(obj), key)
	if err != nil {
		return nil, err
	}
	r.counter = first
	return io.ReadAll(r)
}

// TestFinalPadding: a final chunk that authenticates but does not end in
// 0x80 0x00… is ErrCorrupt, and none of its bytes is returned.
func TestFinalPadding(t *testing.T) {
	key := bytes.Repeat([]byte{3}, KeySize)
	const cs = 16
	h := newHeader(t, key, cs)
	full := bytes.Repeat([]byte{'a'}, cs)
	for name, final := range map[string][]byte{
		"all zeros":          make([]byte, cs),
		"byte after marker":  append(append([]byte("abc"), 0x80, 0x07), make([]byte, cs-5)...),
		"no marker, no zero": bytes.Repeat([]byte{'z'}, cs),
		"marker is 0x81":     append([]byte{0x81}, make([]byte, cs-1)...),
	} {
		obj := append(bytes.Clone(h), sealAt(t, key, h, 0, false, full)...)
		obj = append(obj, sealAt(t, key, h, 1, true, final)...)
		got, err := readFrom(key, obj, 0)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
		if !bytes.Equal(got, full) {
			t.Errorf("%s: returned %q, want only the first chunk", name, got)
		}
	}
	// The marker alone, and the marker first: the empty data, and chunkSize-1 bytes.
	for _, data := range [][]byte{nil, bytes.Repeat([]byte{0}, cs-1)} {
		final := append(append(bytes.Clone(data), 0x80), make([]byte, cs-1-len(data))...)
		obj := append(bytes.Clone(h), sealAt(t, key, h, 0, true, final)...)
		if got, err := readFrom(key, obj, 0); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%d bytes of zeros then the marker: read %d bytes, %v", len(data), len(got), err)
		}
	}
}

// TestCounterLimit: chunk 2^32-1 can only be the final one. The writer
// refuses to seal it as another, the reader refuses such a chunk, and no
// counter wraps to 0.
func TestCounterLimit(t *testing.T) {
	key := bytes.Repeat([]byte{4}, KeySize)
	const cs = 16
	data := pattern(2*cs - 1)

	// The last two positions hold the most data an object can.
	var buf bytes.Buffer
	w, err := newWriter(&buf, key, cs, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	w.counter = math.MaxUint32 - 1
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := readFrom(key, buf.Bytes(), math.MaxUint32-1); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("chunks 2^32-2 and 2^32-1: read %d bytes, %v", len(got), err)
	}

	// One byte more needs chunk 2^32: Write fails (more follows a full
	// chunk 2^32-1), and so does Close (a full chunk cannot be final).
	for name, write := range map[string]int{"write": 2*cs + 1, "close": 2 * cs} {
		w, err := newWriter(io.Discard, key, cs, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		w.counter = math.MaxUint32 - 1
		_, werr := w.Write(pattern(write))
		cerr := w.Close()
		if name == "write" && werr == nil || cerr == nil {
			t.Errorf("%s: %d bytes from chunk 2^32-2 accepted (write %v, close %v)", name, write, werr, cerr)
		}
	}

	// A non-final chunk 2^32-1 (only a key holder can make one) is refused
	// before its bytes are returned.
	h := newHeader(t, key, cs)
	obj := append(bytes.Clone(h), sealAt(t, key, h, math.MaxUint32, false, pattern(cs))...)
	obj = append(obj, sealAt(t, key, h, 0, true, append([]byte{0x80}, make([]byte, cs-1)...))...)
	if got, err := readFrom(key, obj, math.MaxUint32); !errors.Is(err, ErrCorrupt) || len(got) != 0 {
		t.Errorf("non-final chunk 2^32-1: %d bytes, %v; want ErrCorrupt and nothing", len(got), err)
	}
	// Retries stop at the ends of the counter: a chunk 2^32-3 found at
	// 2^32-1 is reordered, a chunk 1 found there (2^32+1 wrapped) is not.
	pad := append([]byte{0x80}, make([]byte, cs-1)...)
	for c, want := range map[uint32]error{math.MaxUint32 - 2: ErrReordered, 1: ErrCorrupt} {
		obj := append(bytes.Clone(h), sealAt(t, key, h, c, true, pad)...)
		if _, err := readFrom(key, obj, math.MaxUint32); !errors.Is(err, want) {
			t.Errorf("chunk %d at position 2^32-1: %v, want %v", c, err, want)
		}
	}
	// Position 0 looks no lower than 0 (no wrap to 2^32-1).
	obj = append(bytes.Clone(h), sealAt(t, key, h, math.MaxUint32, true, pad)...)
	if _, err := readFrom(key, obj, 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("chunk 2^32-1 at position 0: %v, want ErrCorrupt", err)
	}
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*5 + 1)
	}
	return b
}
