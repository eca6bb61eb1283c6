package backupset

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPrefixRoundTrip(t *testing.T) {
	created := time.Date(2026, 11, 27, 3, 0, 5, 123e6, time.FixedZone("CET", 3600))
	p := Prefix("shop-nightly", created, 41)
	if p != "shop-nightly/20261127T020005Z_41/" {
		t.Fatalf("Prefix = %q", p)
	}
	got, ok := ParsePrefix(p)
	if !ok || got.JobSlug != "shop-nightly" || got.ExecutionID != 41 || !got.Created.Equal(created.Truncate(time.Second)) {
		t.Fatalf("ParsePrefix(%q) = %+v, %v", p, got, ok)
	}
	for _, bad := range []string{"", "x", "x/20261127T020005Z", "x/20261127T020005Z_0", "x/20261127T020005Z_041",
		"x/2026-11-27_4", "/20261127T020005Z_4", "a/b/20261127T020005Z_4", "x/20261127T020005Z_-4"} {
		if _, ok := ParsePrefix(bad); ok {
			t.Errorf("ParsePrefix(%q) accepted", bad)
		}
	}
}

func TestObjectNameEscapes(t *testing.T) {
	for db, want := range map[string]string{
		"shop":          "shop.sqlite.zst.dbk",
		"Shop_2024-v1":  "Shop_2024-v1.sqlite.zst.dbk",
		"my.db":         "my.db.sqlite.zst.dbk",
		".hidden":       "%2Ehidden.sqlite.zst.dbk",
		"..":            "%2E..sqlite.zst.dbk",
		"../../etc/x":   "%2E.%2F..%2Fetc%2Fx.sqlite.zst.dbk",
		"a b/ü":         "a%20b%2F%C3%BC.sqlite.zst.dbk",
		"":              "%.sqlite.zst.dbk",
		"100%":          "100%25.sqlite.zst.dbk",
		".dbkeep-tmp-x": "%2Edbkeep-tmp-x.sqlite.zst.dbk",
	} {
		got, err := ObjectName(db, "sqlite", "zstd", true)
		if err != nil || got != want {
			t.Errorf("ObjectName(%q) = %q, %v; want %q", db, got, err, want)
		}
		if strings.ContainsAny(got, "/\\\x00") || strings.HasPrefix(got, ".") {
			t.Errorf("ObjectName(%q) = %q is not one safe path element", db, got)
		}
	}
	if _, err := ObjectName("x", "sql", "lz4", false); err == nil {
		t.Error("an unknown compression was accepted")
	}
	if got, _ := ObjectName("x", "sql", "none", false); got != "x.sql" {
		t.Errorf("uncompressed, unencrypted: %q", got)
	}
}

func TestDecodeRefusesHostileNames(t *testing.T) {
	for _, name := range []string{"", ".", "..", "../x", "a/b", `a\b`, "a\x00b", ManifestName} {
		m := Manifest{FormatVersion: 1, Objects: []Object{{Database: "d", Name: name}}}
		var b bytes.Buffer
		if err := m.Encode(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(&b); err == nil || !strings.Contains(err.Error(), "objects[0].name") {
			t.Errorf("name %q: Decode error %v, want one naming objects[0].name", name, err)
		}
	}
	a := Object{Name: "a.sql", Dump: Dump{Extension: "sql"}, Compression: Compression{Algorithm: "none"}}
	m := Manifest{FormatVersion: 1, Objects: []Object{a, a}}
	var b bytes.Buffer
	m.Encode(&b)
	if _, err := Decode(&b); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate names: %v", err)
	}
	for _, raw := range []string{`{"formatVersion":2,"objects":[{"name":"a"}]}`, `{"formatVersion":0,"objects":[{"name":"a"}]}`, `{"formatVersion":1,"objects":[]}`} {
		if _, err := Decode(strings.NewReader(raw)); err == nil {
			t.Errorf("Decode(%s) accepted", raw)
		}
	}
}

// TestDecodeRefusesNameFieldsDisagreeing: an entry's name ends in the
// suffixes its extension, compression and encryption give it, or the
// manifest is refused, naming the object, the suffix and the field.
func TestDecodeRefusesNameFieldsDisagreeing(t *testing.T) {
	enc := &Encryption{Algorithm: "DBK1", ProfileID: 7, KeyID: "d854cf5b759be0da", ChunkSize: 65536}
	entry := func(name, ext, alg string, e *Encryption) Object {
		return Object{Database: "shop", Name: name, Dump: Dump{Format: "sql", Extension: ext}, Compression: Compression{Algorithm: alg}, Encryption: e}
	}
	decode := func(o Object) error {
		var b bytes.Buffer
		if err := (Manifest{FormatVersion: 1, Objects: []Object{o}}).Encode(&b); err != nil {
			t.Fatal(err)
		}
		_, err := Decode(&b)
		return err
	}
	// What ObjectName writes is accepted, whatever the layers; an extension
	// that looks like a compression suffix or ".dbk" is the extension's.
	for _, o := range []Object{
		entry("", "sqlite", "zstd", enc), entry("", "sql", "gzip", nil), entry("", "mdbk", "brotli", enc),
		entry("", "sql", "none", nil), entry("", "gz", "none", nil), entry("", "dbk", "none", nil),
		entry("", "br", "zstd", enc), entry("", "", "zstd", nil), entry("", "../x y", "none", enc),
	} {
		o.Name, _ = ObjectName(o.Database, o.Dump.Extension, o.Compression.Algorithm, o.Encryption != nil)
		if err := decode(o); err != nil {
			t.Errorf("ObjectName's own %q refused: %v", o.Name, err)
		}
	}
	for _, tc := range []struct {
		o    Object
		says []string
	}{
		{entry("shop.sqlite.zst.dbk", "sqlite", "zstd", nil), []string{`".dbk"`, `no "encryption"`}},
		{entry("shop.sqlite.zst", "sqlite", "zstd", enc), []string{`".dbk"`, `"encryption"`}},
		{entry("shop.sqlite.zst.dbk", "sqlite", "gzip", enc), []string{`".zst" (zstd)`, `compression.algorithm is "gzip"`}},
		{entry("shop.sqlite.gz", "sqlite", "none", nil), []string{`".gz" (gzip)`, `compression.algorithm is "none"`}},
		{entry("shop.sqlite.dbk", "sqlite", "brotli", enc), []string{`".br"`, `compression.algorithm is "brotli"`}},
		{entry("shop.sqlite.zst", "sqlite", "", nil), []string{`compression.algorithm "" is unknown`}},
		{entry("shop.sqlite.lz4", "sqlite", "lz4", nil), []string{`compression.algorithm "lz4" is unknown`}},
		{entry("shop.sql.zst", "sqlite", "zstd", nil), []string{`".sqlite.zst"`, `dump.extension is "sqlite"`}},
		{entry(".sql.zst", "sql", "zstd", nil), []string{"only the suffixes", `".sql.zst"`}},
	} {
		err := decode(tc.o)
		if err == nil {
			t.Errorf("%q (extension %q, %q, encrypted %v) accepted", tc.o.Name, tc.o.Dump.Extension, tc.o.Compression.Algorithm, tc.o.Encryption != nil)
			continue
		}
		for _, want := range append(tc.says, "objects[0] "+strconv.Quote(tc.o.Name)) {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q: error %q does not say %s", tc.o.Name, err, want)
			}
		}
	}
}
