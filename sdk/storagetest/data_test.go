package storagetest

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// TestPayloadIsReproducible: however a payload is read, it yields the same
// bytes, and payloads of different seeds differ in every stamp.
func TestPayloadIsReproducible(t *testing.T) {
	p := payload{seed: 42, size: 3*stampEvery + 7 + 1<<20}
	whole := p.bytes()
	if int64(len(whole)) != p.size {
		t.Fatalf("payload of %d bytes yields %d", p.size, len(whole))
	}
	// One byte at a time cuts every stamp and every block copy.
	bytewise, err := io.ReadAll(iotest.OneByteReader(p.reader()))
	if err != nil || !bytes.Equal(bytewise, whole) {
		t.Fatalf("read byte by byte: %v, equal=%v", err, bytes.Equal(bytewise, whole))
	}
	if err := iotest.TestReader(p.reader(), whole); err != nil {
		t.Fatal(err)
	}
	other := payload{seed: 43, size: p.size}.bytes()
	for off := 0; off < len(whole); off += stampEvery {
		if bytes.Equal(whole[off:off+stampSize], other[off:off+stampSize]) {
			t.Fatalf("payloads of seeds 42 and 43 share the stamp at %d", off)
		}
	}
}

// TestCompareStreams: the comparison finds a flipped byte, a short and a
// long download.
func TestCompareStreams(t *testing.T) {
	p := payload{seed: 1, size: 200 << 10}
	want := p.bytes()
	flipped := bytes.Clone(want)
	flipped[150<<10] ^= 1
	for _, c := range []struct {
		name string
		got  []byte
		ok   bool
	}{
		{"same", want, true},
		{"flipped", flipped, false},
		{"short", want[:len(want)-1], false},
		{"long", append(bytes.Clone(want), 0), false},
		{"empty", nil, false},
	} {
		err := compareStreams(p.reader(), bytes.NewReader(c.got))
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
