package stream

import "fmt"

// Magic opens every stream; Version follows it as one byte.
const (
	Magic   = "DBKMONGO"
	Version = 1
)

// Kind is the first byte of a record: what its BSON document is.
type Kind byte

const (
	// KindHeader is the first record: which database, from which server.
	KindHeader Kind = 'H'
	// KindCollection starts a collection: its name, type and creation options.
	KindCollection Kind = 'C'
	// KindDocument is one document of the current collection, as stored.
	KindDocument Kind = 'D'
	// KindIndex is one index specification of the current collection.
	KindIndex Kind = 'I'
	// KindCollectionEnd closes the current collection with its counts.
	KindCollectionEnd Kind = 'E'
	// KindView is a view: its name and its options (viewOn, pipeline, ...).
	KindView Kind = 'V'
	// KindTrailer is the last record, with the stream's counts.
	KindTrailer Kind = 'Z'
)

func (k Kind) String() string {
	switch k {
	case KindHeader:
		return "header"
	case KindCollection:
		return "collection"
	case KindDocument:
		return "document"
	case KindIndex:
		return "index"
	case KindCollectionEnd:
		return "collection end"
	case KindView:
		return "view"
	case KindTrailer:
		return "trailer"
	}
	return fmt.Sprintf("unknown kind 0x%02x", byte(k))
}

// MaxRecord bounds a record's BSON document: MongoDB's 16 MiB document limit
// plus the 16 KiB the server allows itself for internal fields. A larger
// length prefix is corruption, never a document to allocate for.
const MaxRecord = 16*1024*1024 + 16*1024

// minDocument is the smallest BSON document: its length and the closing NUL.
const minDocument = 5

// Header is the content of the KindHeader record.
type Header struct {
	// Database is the name the dump was taken from.
	Database string `bson:"database"`
	// ServerVersion is the source server's version ("7.0.14").
	ServerVersion string `bson:"serverVersion"`
	// Producer names the program that wrote the stream.
	Producer string `bson:"producer"`
	// Created is when the dump started, in milliseconds since the epoch (UTC).
	Created int64 `bson:"created"`
}

// CollectionEnd is the content of the KindCollectionEnd record.
type CollectionEnd struct {
	Name      string `bson:"name"`
	Documents int64  `bson:"documents"`
	Indexes   int64  `bson:"indexes"`
}

// Trailer is the content of the KindTrailer record.
type Trailer struct {
	Collections int64 `bson:"collections"`
	Views       int64 `bson:"views"`
	Indexes     int64 `bson:"indexes"`
	Documents   int64 `bson:"documents"`
}
