package stream

import "go.mongodb.org/mongo-driver/v2/bson"

// Collection is the content of the KindCollection record: what listCollections
// said of the collection, less what belongs to the source server alone (its
// UUID, its read-only flag).
type Collection struct {
	Name string `bson:"name"`
	// Type is listCollections' type: "collection" or "timeseries".
	Type string `bson:"type"`
	// Options are the options the collection was created with (capped, size,
	// max, validator, collation, timeseries, clusteredIndex, ...), to be
	// passed back to the create command.
	Options bson.Raw `bson:"options"`
}

// Index is the content of the KindIndex record.
type Index struct {
	// Collection repeats the current collection's name.
	Collection string `bson:"collection"`
	// Spec is the index as listIndexes reported it (key, name, unique,
	// expireAfterSeconds, partialFilterExpression, ...).
	Spec bson.Raw `bson:"spec"`
}

// View is the content of the KindView record.
type View struct {
	Name string `bson:"name"`
	// Options hold viewOn, pipeline and, when set, collation.
	Options bson.Raw `bson:"options"`
}

// Record is one record as read: its kind and its BSON document. For
// KindDocument, Doc is the document itself; for the other kinds, decode it
// with bson.Unmarshal into the matching struct.
type Record struct {
	Kind Kind
	Doc  bson.Raw
}
