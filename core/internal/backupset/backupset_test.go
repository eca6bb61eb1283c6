package backupset

import (
	"bytes"
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
	m := Manifest{FormatVersion: 1, Objects: []Object{{Name: "a.sql"}, {Name: "a.sql"}}}
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
