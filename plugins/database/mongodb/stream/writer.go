package stream

import (
	"encoding/binary"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Writer writes one stream. It does not buffer: give it a buffered writer
// and flush that after Close. Calls must follow the stream's grammar (see the
// package documentation); a call out of order is an error, not a corrupt
// stream.
type Writer struct {
	w       io.Writer
	current string // collection being written; "" between collections
	open    bool
	closed  bool
	views   bool // a view was written: no collection may follow
	coll    CollectionEnd
	total   Trailer
}

// NewWriter writes the magic, the version and the header record.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if _, err := io.WriteString(w, Magic); err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte{Version}); err != nil {
		return nil, err
	}
	sw := &Writer{w: w}
	return sw, sw.record(KindHeader, h)
}

// BeginCollection starts a collection; its documents and indexes follow.
func (w *Writer) BeginCollection(c Collection) error {
	if err := w.usable(); err != nil {
		return err
	}
	if w.open || w.views {
		return fmt.Errorf("stream: collection %q begun inside collection %q or after views", c.Name, w.current)
	}
	if c.Options == nil {
		c.Options = emptyDocument
	}
	if err := w.record(KindCollection, c); err != nil {
		return err
	}
	w.open, w.current, w.coll = true, c.Name, CollectionEnd{Name: c.Name}
	return nil
}

// Document writes one document of the current collection, byte for byte.
func (w *Writer) Document(doc bson.Raw) error {
	if err := w.usable(); err != nil {
		return err
	}
	if !w.open {
		return fmt.Errorf("stream: a document outside a collection")
	}
	if err := checkLength(doc); err != nil {
		return fmt.Errorf("stream: document of collection %q: %w", w.current, err)
	}
	if err := w.raw(KindDocument, doc); err != nil {
		return err
	}
	w.coll.Documents++
	return nil
}

// Index writes one index specification of the current collection.
func (w *Writer) Index(spec bson.Raw) error {
	if err := w.usable(); err != nil {
		return err
	}
	if !w.open {
		return fmt.Errorf("stream: an index outside a collection")
	}
	if err := w.record(KindIndex, Index{Collection: w.current, Spec: spec}); err != nil {
		return err
	}
	w.coll.Indexes++
	return nil
}

// EndCollection closes the current collection with its counts.
func (w *Writer) EndCollection() error {
	if err := w.usable(); err != nil {
		return err
	}
	if !w.open {
		return fmt.Errorf("stream: no collection to end")
	}
	if err := w.record(KindCollectionEnd, w.coll); err != nil {
		return err
	}
	w.total.Collections++
	w.total.Documents += w.coll.Documents
	w.total.Indexes += w.coll.Indexes
	w.open, w.current = false, ""
	return nil
}

// View writes a view definition; views come after every collection.
func (w *Writer) View(v View) error {
	if err := w.usable(); err != nil {
		return err
	}
	if w.open {
		return fmt.Errorf("stream: view %q inside collection %q", v.Name, w.current)
	}
	if v.Options == nil {
		v.Options = emptyDocument
	}
	if err := w.record(KindView, v); err != nil {
		return err
	}
	w.views = true
	w.total.Views++
	return nil
}

// Close writes the trailer and returns the stream's counts.
func (w *Writer) Close() (Trailer, error) {
	if err := w.usable(); err != nil {
		return Trailer{}, err
	}
	if w.open {
		return Trailer{}, fmt.Errorf("stream: closed inside collection %q", w.current)
	}
	w.closed = true
	return w.total, w.record(KindTrailer, w.total)
}

func (w *Writer) usable() error {
	if w.closed {
		return fmt.Errorf("stream: written after the trailer")
	}
	return nil
}

func (w *Writer) record(k Kind, v any) error {
	doc, err := bson.Marshal(v)
	if err != nil {
		return fmt.Errorf("stream: encode %s record: %w", k, err)
	}
	return w.raw(k, doc)
}

func (w *Writer) raw(k Kind, doc []byte) error {
	if _, err := w.w.Write([]byte{byte(k)}); err != nil {
		return err
	}
	_, err := w.w.Write(doc)
	return err
}

// emptyDocument is the BSON document {}.
var emptyDocument = bson.Raw{5, 0, 0, 0, 0}

// checkLength reports a document whose length prefix disagrees with its size
// or falls outside what a record may hold.
func checkLength(doc []byte) error {
	if len(doc) < minDocument {
		return fmt.Errorf("%d bytes is shorter than any BSON document", len(doc))
	}
	n := int64(int32(binary.LittleEndian.Uint32(doc)))
	if n != int64(len(doc)) {
		return fmt.Errorf("length prefix %d for %d bytes", n, len(doc))
	}
	if n > MaxRecord {
		return fmt.Errorf("%d bytes exceeds the %d-byte limit", n, MaxRecord)
	}
	return nil
}
