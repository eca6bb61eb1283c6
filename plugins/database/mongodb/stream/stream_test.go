package stream

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func mustRaw(t testing.TB, v any) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sample writes a small stream: two collections (one empty), a view.
func sample(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Database: "shop", ServerVersion: "7.0.0", Producer: "test", Created: 1})
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error {
			return w.BeginCollection(Collection{Name: "orders", Type: "collection", Options: mustRaw(t, bson.D{{Key: "capped", Value: true}, {Key: "size", Value: 4096}})})
		},
		func() error {
			return w.Document(mustRaw(t, bson.D{{Key: "_id", Value: 1}, {Key: "näme", Value: "🦊"}}))
		},
		func() error { return w.Document(mustRaw(t, bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: nil}})) },
		func() error {
			return w.Index(mustRaw(t, bson.D{{Key: "key", Value: bson.D{{Key: "n", Value: 1}}}, {Key: "name", Value: "n_1"}}))
		},
		w.EndCollection,
		func() error { return w.BeginCollection(Collection{Name: "empty", Type: "collection"}) },
		w.EndCollection,
		func() error {
			return w.View(View{Name: "v", Options: mustRaw(t, bson.D{{Key: "viewOn", Value: "orders"}, {Key: "pipeline", Value: bson.A{}}})})
		},
	}
	for i, s := range steps {
		if err := s(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	tr, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := (Trailer{Collections: 2, Views: 1, Indexes: 1, Documents: 2}); tr != want {
		t.Fatalf("trailer %+v, want %+v", tr, want)
	}
	return buf.Bytes()
}

func readAll(data []byte) ([]Record, error) {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func TestRoundTrip(t *testing.T) {
	data := sample(t)
	if !bytes.HasPrefix(data, []byte("DBKMONGO\x01H")) {
		t.Fatalf("stream starts %q", data[:10])
	}
	recs, err := readAll(data)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []byte
	for _, r := range recs {
		kinds = append(kinds, byte(r.Kind))
	}
	if string(kinds) != "CDDIECEVZ" {
		t.Fatalf("record kinds %q", kinds)
	}
	if got := recs[1].Doc.Lookup("näme").StringValue(); got != "🦊" {
		t.Errorf("document value %q", got)
	}
}

func TestTruncatedEverywhere(t *testing.T) {
	data := sample(t)
	for cut := 0; cut < len(data); cut++ {
		_, err := readAll(data[:cut])
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("stream cut at %d of %d bytes: err %v, want ErrCorrupt", cut, len(data), err)
		}
	}
}

func TestTrailingBytes(t *testing.T) {
	data := append(sample(t), 0)
	if _, err := readAll(data); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing byte: err %v", err)
	}
}

func TestFlippedCountFails(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Header{Database: "x"})
	w.BeginCollection(Collection{Name: "c"})
	w.Document(mustRaw(t, bson.D{{Key: "_id", Value: 1}}))
	// A collection end that claims two documents, written by hand.
	w.raw(KindCollectionEnd, mustRaw(t, CollectionEnd{Name: "c", Documents: 2}))
	if _, err := readAll(buf.Bytes()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("wrong count: err %v", err)
	}
}

func TestReaderErrorIsKept(t *testing.T) {
	boom := errors.New("boom")
	data := sample(t)
	r := io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotestErr{boom})
	sr, err := NewReader(r)
	for err == nil {
		_, err = sr.Next()
	}
	if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v, want the reader's error", err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestWriterRefusesOutOfOrder(t *testing.T) {
	w, _ := NewWriter(io.Discard, Header{})
	if err := w.Document(mustRaw(t, bson.D{})); err == nil {
		t.Error("document outside a collection accepted")
	}
	w.View(View{Name: "v"})
	if err := w.BeginCollection(Collection{Name: "c"}); err == nil {
		t.Error("collection after a view accepted")
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.View(View{Name: "w"}); err == nil {
		t.Error("view after the trailer accepted")
	}
}

func TestHugeLengthRefused(t *testing.T) {
	data := []byte("DBKMONGO\x01H\xff\xff\xff\x7f")
	if _, err := readAll(data); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v", err)
	}
}

// FuzzReader feeds arbitrary bytes to the reader: it must never panic nor
// allocate beyond MaxRecord, and anything it accepts whole must have counts
// that agree (it checked them).
func FuzzReader(f *testing.F) {
	f.Add(sample(f))
	f.Add([]byte("DBKMONGO\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(data)
	})
}
