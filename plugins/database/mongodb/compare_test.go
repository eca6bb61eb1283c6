package main

import (
	"bytes"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// compare fails t unless database target holds exactly what source holds:
// the same collections with the same types and options, the same views, the
// same index specifications, and every document byte for byte, in the same
// order (natural order for capped collections, where it is the insertion
// order and matters; _id order elsewhere).
func compare(t testing.TB, client *mongo.Client, source, target string) {
	t.Helper()
	ctx := ctxFor(t)
	sc, sv, err := listNamespaces(ctx, client.Database(source))
	if err != nil {
		t.Fatal(err)
	}
	tc, tv, err := listNamespaces(ctx, client.Database(target))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(describe(sc), describe(tc)); diff != "" {
		t.Fatalf("collections of %q (-) and %q (+) differ:\n%s", source, target, diff)
	}
	if diff := cmp.Diff(describe(sv), describe(tv)); diff != "" {
		t.Fatalf("views of %q (-) and %q (+) differ:\n%s", source, target, diff)
	}
	for _, c := range sc {
		s, d := client.Database(source).Collection(c.Name), client.Database(target).Collection(c.Name)
		if diff := cmp.Diff(indexes(t, s), indexes(t, d)); diff != "" {
			t.Errorf("indexes of collection %q differ (-%s +%s):\n%s", c.Name, source, target, diff)
		}
		compareDocuments(t, s, d, isCapped(c.Options))
	}
}

// describe renders namespaces as name → type and options in canonical
// extended JSON, which shows every BSON type.
func describe(nss []namespace) map[string]string {
	out := map[string]string{}
	for _, ns := range nss {
		out[ns.Name] = ns.Type + " " + extJSON(ns.Options)
	}
	return out
}

func extJSON(raw bson.Raw) string {
	if raw == nil {
		return "{}"
	}
	b, err := bson.MarshalExtJSON(raw, true, false)
	if err != nil {
		return "unprintable: " + err.Error()
	}
	return string(b)
}

func isCapped(opts bson.Raw) bool {
	v, ok := opts.Lookup("capped").BooleanOK()
	return ok && v
}

// indexes lists a collection's index specifications by name, without the
// namespace field that servers before 4.4 add.
func indexes(t testing.TB, coll *mongo.Collection) map[string]string {
	t.Helper()
	specs, err := indexSpecs(ctxFor(t), coll)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range specs {
		name := s.Lookup("name").StringValue()
		b, _ := bson.Marshal(indexForCreate(s))
		out[name] = extJSON(b) + " v=" + s.Lookup("v").String()
	}
	return out
}

// compareDocuments walks both collections side by side, so memory stays
// bounded whatever their size.
func compareDocuments(t testing.TB, src, dst *mongo.Collection, natural bool) {
	t.Helper()
	ctx := ctxFor(t)
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}})
	if natural {
		opts = options.Find().SetSort(bson.D{{Key: "$natural", Value: 1}})
	}
	a, err := src.Find(ctx, bson.D{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	b, err := dst.Find(ctx, bson.D{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	n := 0
	for {
		moreA, moreB := a.Next(ctx), b.Next(ctx)
		if !moreA || !moreB {
			if moreA != moreB {
				t.Errorf("collection %q: after %d equal documents, only one side has more (source %v, target %v)", src.Name(), n, moreA, moreB)
			}
			break
		}
		if !bytes.Equal(a.Current, b.Current) {
			t.Errorf("collection %q, document %d differs:\nsource %s\ntarget %s", src.Name(), n, extJSON(a.Current), extJSON(b.Current))
			return
		}
		n++
	}
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		if cnt, _ := src.EstimatedDocumentCount(ctx); cnt != 0 {
			t.Errorf("collection %q: compared no documents of %d", src.Name(), cnt)
		}
	}
}

// sortedNames is for messages.
func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
