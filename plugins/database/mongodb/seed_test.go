package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Awkward names: unicode, emoji, spaces, a dash; MongoDB allows them all in
// collection names.
const (
	collPeople = "people 👩‍💻 Ünïcødé"
	collIndex  = "indexed-ключи"
	collCapped = "capped_log"
	collEmpty  = "empty"
	collBulk   = "bulk"
	collTypes  = "types"
	viewActive = "active people 🟢"
)

// seedAwkward fills db with the awkward data set: several collections with
// unicode names, every BSON type the server stores, nested documents and
// arrays, indexes (unique, compound, TTL), a capped collection, an empty
// one, a view, and bulk documents in collection "bulk". Features the server
// refuses (FerretDB has no views, TTL indexes or decimal128) are logged and
// returned, and the rest is seeded without them.
func seedAwkward(t testing.TB, client *mongo.Client, name string, bulk int) (missing []string) {
	t.Helper()
	ctx := ctxFor(t)
	db := client.Database(name)
	try := func(feature string, err error) bool {
		if err != nil {
			t.Logf("the test server lacks %s: %v", feature, firstLine(err))
			missing = append(missing, feature)
			return false
		}
		return true
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s of %q: %v", what, name, err)
		}
	}

	people := db.Collection(collPeople)
	oid := bson.NewObjectIDFromTimestamp(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))
	when := bson.NewDateTimeFromTime(time.Date(1969, 7, 20, 20, 17, 40, 123e6, time.UTC))
	docs := []any{
		bson.D{{Key: "_id", Value: oid}, {Key: "name", Value: "Zoë 🦊 Ωmega"}, {Key: "active", Value: true},
			{Key: "address", Value: bson.D{{Key: "city", Value: "Zürich"}, {Key: "geo", Value: bson.D{{Key: "lat", Value: 47.37}, {Key: "lng", Value: 8.54}}}}},
			{Key: "tags", Value: bson.A{"α", "β", bson.D{{Key: "k", Value: "v"}, {Key: "in", Value: bson.A{int32(1), "🌍"}}}, nil}},
			{Key: "born", Value: when}, {Key: "nothing", Value: nil}, {Key: "empty", Value: ""},
			{Key: "photo", Value: bson.Binary{Subtype: 0x00, Data: []byte{0, 1, 2, 0xff, 0xfe, 0}}},
			{Key: "uuid", Value: bson.Binary{Subtype: 0x04, Data: []byte("0123456789abcdef")}},
			{Key: "n32", Value: int32(-2147483648)}, {Key: "n64", Value: int64(9007199254740993)},
			{Key: "f", Value: 3.141592653589793}, {Key: "negzero", Value: math.Copysign(0, -1)},
			{Key: "big", Value: math.MaxFloat64}, {Key: "ref", Value: bson.NewObjectIDFromTimestamp(time.Unix(0, 0))}},
		bson.D{{Key: "_id", Value: "string-id ✓"}, {Key: "name", Value: "日本語 テキスト"}, {Key: "active", Value: false},
			{Key: "deep", Value: deep(20)}, {Key: "arr", Value: bson.A{}}, {Key: "obj", Value: bson.D{}}},
		bson.D{{Key: "_id", Value: int64(42)}, {Key: "name", Value: strings.Repeat("🎉", 1000)}, {Key: "active", Value: true},
			{Key: "bools", Value: bson.A{true, false}}, {Key: "when", Value: bson.NewDateTimeFromTime(time.Date(2038, 1, 19, 3, 14, 8, 0, time.UTC))}},
		bson.D{{Key: "_id", Value: bson.D{{Key: "compound", Value: "id"}, {Key: "n", Value: int32(1)}}}, {Key: "name", Value: "compound _id"}},
	}
	_, err := people.InsertMany(ctx, docs)
	must("people", err)

	// The rarer BSON types, one document each so a refusal costs only one.
	types := db.Collection(collTypes)
	must("types", db.CreateCollection(ctx, collTypes))
	for _, v := range []struct {
		feature string
		value   any
	}{
		{"regular expressions", bson.Regex{Pattern: "^ü.*$", Options: "i"}},
		{"timestamps", bson.Timestamp{T: 1700000000, I: 7}},
		{"decimal128", mustDecimal(t, "12345678901234567890.123456789")},
		{"NaN and infinities", bson.A{math.NaN(), math.Inf(1), math.Inf(-1)}},
		{"JavaScript code", bson.JavaScript("function() { return 1 }")},
		{"min and max keys", bson.A{bson.MinKey{}, bson.MaxKey{}}},
		{"nested arrays", bson.A{bson.A{"nested", int32(1)}, bson.A{}}},
		{"binary subtype 0x80", bson.Binary{Subtype: 0x80, Data: []byte("user defined")}},
	} {
		_, err := types.InsertOne(ctx, bson.D{{Key: "_id", Value: v.feature}, {Key: "v", Value: v.value}})
		try("BSON "+v.feature, err)
	}

	ix := db.Collection(collIndex)
	ixDocs := make([]any, 0, 200)
	for i := range 200 {
		ixDocs = append(ixDocs, bson.D{{Key: "_id", Value: int32(i)}, {Key: "email", Value: fmt.Sprintf("user%03d@exämple.org", i)},
			{Key: "a", Value: i % 7}, {Key: "b", Value: fmt.Sprintf("b-%d", i%13)},
			{Key: "created", Value: bson.NewDateTimeFromTime(time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC))}})
	}
	_, err = ix.InsertMany(ctx, ixDocs)
	must("indexed documents", err)
	_, err = ix.Indexes().CreateMany(ctx, []mongo.IndexModel{
		{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true).SetName("email_unique")},
		{Keys: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: -1}}, Options: options.Index().SetName("a_b_compound")},
	})
	must("unique and compound indexes", err)
	_, err = ix.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "created", Value: 1}},
		Options: options.Index().SetExpireAfterSeconds(10 * 365 * 24 * 3600).SetName("created_ttl")})
	try("TTL indexes", err)
	_, err = ix.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "b", Value: 1}},
		Options: options.Index().SetName("b_partial").SetPartialFilterExpression(bson.D{{Key: "a", Value: bson.D{{Key: "$gt", Value: 3}}}})})
	try("partial indexes", err)

	must("capped collection", db.CreateCollection(ctx, collCapped, options.CreateCollection().SetCapped(true).SetSizeInBytes(1<<20).SetMaxDocuments(5000)))
	logDocs := make([]any, 0, 300)
	for i := range 300 {
		logDocs = append(logDocs, bson.D{{Key: "_id", Value: int32(1000 - i)}, {Key: "line", Value: fmt.Sprintf("line %d ✓", i)}})
	}
	_, err = db.Collection(collCapped).InsertMany(ctx, logDocs)
	must("capped documents", err)

	must("empty collection", db.CreateCollection(ctx, collEmpty))
	try("collection validators", db.CreateCollection(ctx, "validated",
		options.CreateCollection().SetValidator(bson.D{{Key: "name", Value: bson.D{{Key: "$type", Value: "string"}}}})))
	try("views", db.CreateView(ctx, viewActive, collPeople, bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "active", Value: true}}}}}))

	seedBulk(t, db.Collection(collBulk), bulk)
	return missing
}

// seedBulk inserts n documents of about 200 bytes each, in batches.
func seedBulk(t testing.TB, coll *mongo.Collection, n int) {
	t.Helper()
	ctx := ctxFor(t)
	const batch = 5000
	for start := 0; start < n; start += batch {
		docs := make([]any, 0, batch)
		for i := start; i < min(n, start+batch); i++ {
			docs = append(docs, bson.D{{Key: "_id", Value: int64(i)}, {Key: "name", Value: fmt.Sprintf("row %07d — ñ 🐘", i)},
				{Key: "n", Value: int32(i % 1000)}, {Key: "tags", Value: bson.A{"x", i % 3, nil}},
				{Key: "payload", Value: bson.Binary{Data: []byte(fmt.Sprintf("%0100d", i))}},
				{Key: "at", Value: bson.NewDateTimeFromTime(time.Unix(int64(i), 0).UTC())}})
		}
		if _, err := coll.InsertMany(ctx, docs); err != nil {
			t.Fatalf("seed %d bulk documents: %v", n, err)
		}
	}
}

func deep(n int) bson.D {
	d := bson.D{{Key: "leaf", Value: "🍃"}}
	for i := range n {
		d = bson.D{{Key: fmt.Sprintf("level%d", i), Value: d}, {Key: "i", Value: int32(i)}}
	}
	return d
}

func mustDecimal(t testing.TB, s string) bson.Decimal128 {
	d, err := bson.ParseDecimal128(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
