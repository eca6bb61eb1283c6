package stream

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// ErrCorrupt marks a stream that is not one this package wrote whole: a wrong
// magic, an unknown version, a record out of order, counts that disagree, a
// cut or trailing bytes. Errors of the underlying reader are returned as
// they are (wrapped), not as ErrCorrupt.
var ErrCorrupt = errors.New("corrupt or truncated MongoDB dump stream")

// Reader reads one stream, checking its grammar and counts as it goes.
type Reader struct {
	r      *bufio.Reader
	header Header
	open   bool
	views  bool
	done   bool
	coll   CollectionEnd
	total  Trailer
	offset int64 // of the next record, for error messages
}

// NewReader reads and checks the magic, the version and the header record.
func NewReader(r io.Reader) (*Reader, error) {
	sr := &Reader{r: bufio.NewReaderSize(r, 64*1024)}
	var pre [len(Magic) + 1]byte
	if _, err := io.ReadFull(sr.r, pre[:]); err != nil {
		return nil, sr.readErr("magic", err)
	}
	if string(pre[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("%w: the stream does not start with %q", ErrCorrupt, Magic)
	}
	if pre[len(Magic)] != Version {
		return nil, fmt.Errorf("%w: stream version %d; this plugin reads version %d", ErrCorrupt, pre[len(Magic)], Version)
	}
	sr.offset = int64(len(pre))
	rec, err := sr.record()
	if err != nil {
		return nil, err
	}
	if rec.Kind != KindHeader {
		return nil, sr.corrupt("the first record is a %s, not the header", rec.Kind)
	}
	if err := bson.Unmarshal(rec.Doc, &sr.header); err != nil {
		return nil, sr.corrupt("header: %v", err)
	}
	return sr, nil
}

// Header returns the stream's header record.
func (r *Reader) Header() Header { return r.header }

// Next returns the next record. After the trailer, once the input is known
// to end there, it returns io.EOF; any other end is an error wrapping
// ErrCorrupt (or the underlying reader's error).
func (r *Reader) Next() (Record, error) {
	if r.done {
		return Record{}, io.EOF
	}
	at := r.offset
	rec, err := r.record()
	if err != nil {
		return Record{}, err
	}
	if err := r.accept(rec); err != nil {
		return Record{}, fmt.Errorf("%w: record at byte %d: %v", ErrCorrupt, at, err)
	}
	if rec.Kind == KindTrailer {
		if _, err := r.r.ReadByte(); err == nil {
			return Record{}, r.corrupt("bytes follow the trailer")
		} else if err != io.EOF {
			return Record{}, fmt.Errorf("read dump stream: %w", err)
		}
		r.done = true
	}
	return rec, nil
}

// accept checks that rec may come here and keeps the counts.
func (r *Reader) accept(rec Record) error {
	switch rec.Kind {
	case KindCollection:
		var c Collection
		if err := bson.Unmarshal(rec.Doc, &c); err != nil {
			return err
		}
		if r.open || r.views {
			return fmt.Errorf("collection %q inside collection %q or after views", c.Name, r.coll.Name)
		}
		r.open, r.coll = true, CollectionEnd{Name: c.Name}
	case KindDocument:
		if !r.open {
			return fmt.Errorf("a document outside a collection")
		}
		r.coll.Documents++
	case KindIndex:
		var ix Index
		if err := bson.Unmarshal(rec.Doc, &ix); err != nil {
			return err
		}
		if !r.open || ix.Collection != r.coll.Name {
			return fmt.Errorf("an index of %q outside that collection", ix.Collection)
		}
		r.coll.Indexes++
	case KindCollectionEnd:
		var e CollectionEnd
		if err := bson.Unmarshal(rec.Doc, &e); err != nil {
			return err
		}
		if !r.open || e != r.coll {
			return fmt.Errorf("collection end %+v, but the stream held %+v", e, r.coll)
		}
		r.open = false
		r.total.Collections++
		r.total.Documents += e.Documents
		r.total.Indexes += e.Indexes
	case KindView:
		if r.open {
			return fmt.Errorf("a view inside collection %q", r.coll.Name)
		}
		r.views = true
		r.total.Views++
	case KindTrailer:
		var t Trailer
		if err := bson.Unmarshal(rec.Doc, &t); err != nil {
			return err
		}
		if r.open || t != r.total {
			return fmt.Errorf("trailer %+v, but the stream held %+v", t, r.total)
		}
	case KindHeader:
		return fmt.Errorf("a second header")
	default:
		return fmt.Errorf("%s", rec.Kind)
	}
	return nil
}

// record reads one kind byte and one BSON document.
func (r *Reader) record() (Record, error) {
	k, err := r.r.ReadByte()
	if err != nil {
		return Record{}, r.readErr("record", err)
	}
	var prefix [4]byte
	if _, err := io.ReadFull(r.r, prefix[:]); err != nil {
		return Record{}, r.readErr(Kind(k).String()+" record", err)
	}
	n := int64(int32(binary.LittleEndian.Uint32(prefix[:])))
	if n < minDocument || n > MaxRecord {
		return Record{}, r.corrupt("%s record of %d bytes (want %d to %d)", Kind(k), n, minDocument, MaxRecord)
	}
	doc := make([]byte, n)
	copy(doc, prefix[:])
	if _, err := io.ReadFull(r.r, doc[4:]); err != nil {
		return Record{}, r.readErr(Kind(k).String()+" record", err)
	}
	if err := bson.Raw(doc).Validate(); err != nil {
		return Record{}, r.corrupt("%s record: invalid BSON: %v", Kind(k), err)
	}
	r.offset += 1 + n
	return Record{Kind: Kind(k), Doc: doc}, nil
}

// readErr tells a stream that ends too soon (corrupt) from a reader that
// failed (its error, kept for errors.Is).
func (r *Reader) readErr(what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: the stream ends at byte %d inside the %s (no trailer)", ErrCorrupt, r.offset, what)
	}
	return fmt.Errorf("read dump stream at byte %d: %w", r.offset, err)
}

func (r *Reader) corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrCorrupt, r.offset, fmt.Sprintf(format, args...))
}
