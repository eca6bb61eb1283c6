package recoverykit_test

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/recoverykit"
)

// docKeyFile is the key file docs/format.md shows (it holds the published
// test key 00 01 … 1f).
const docKeyFile = `{
  "format": "dbkeep-key-v1",
  "profile": "Offsite",
  "profileId": 7,
  "algorithm": "DBK1",
  "keyId": "d854cf5b759be0da",
  "key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  "created": "2026-11-01T00:00:00Z"
}`

const docKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// TestKeyFileRules: each rule of docs/format.md "Key file" a reader
// applies, on the document's own example changed one way at a time.
func TestKeyFileRules(t *testing.T) {
	k, err := recoverykit.ReadKeyFile(strings.NewReader(docKeyFile))
	if err != nil {
		t.Fatalf("the document's example: %v", err)
	}
	if k.Key[0] != 0 || k.Key[31] != 0x1f || k.ProfileID != 7 || k.Profile != "Offsite" || k.Created.Year() != 2026 {
		t.Fatalf("the document's example read as %s, %d, %v", k, k.ProfileID, k.Created)
	}
	swap := func(old, new string) string {
		if !strings.Contains(docKeyFile, old) {
			t.Fatalf("the example lacks %q", old)
		}
		return strings.Replace(docKeyFile, old, new, 1)
	}
	accepted := map[string]string{
		"unknown fields ignored":    swap(`"profile": "Offsite",`, `"profile": "Offsite", "comment": "safe #3", "future": {"x": [1]},`),
		"informative fields absent": `{"format": "dbkeep-key-v1", "algorithm": "DBK1", "keyId": "d854cf5b759be0da", "key": "` + docKey + `"}`,
		"keyId in upper case":       swap(`"d854cf5b759be0da"`, `"D854CF5B759BE0DA"`),
		"whitespace around":         "\n\t" + docKeyFile + "\r\n\n",
		"profile null":              swap(`"profile": "Offsite"`, `"profile": null`),
		"profileId negative":        swap(`"profileId": 7`, `"profileId": -7`),
		"profileId int64 max":       swap(`"profileId": 7`, `"profileId": 9223372036854775807`),
		"created null":              swap(`"2026-11-01T00:00:00Z"`, `null`),
		"created not a time":        swap(`"2026-11-01T00:00:00Z"`, `"1 Nov 2026"`),
		"created with offset":       swap(`"2026-11-01T00:00:00Z"`, `"2026-11-01T01:00:00.5+01:00"`),
		"invalid UTF-8 in profile":  swap(`"Offsite"`, "\"Off\xffsite\""),
	}
	for name, in := range accepted {
		if _, err := recoverykit.ReadKeyFile(strings.NewReader(in)); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
	// created is read when it is an RFC 3339 time, else unknown: an
	// informative field never stops a recovery.
	for in, want := range map[string]time.Time{
		`"2026-11-01T01:00:00.5+01:00"`: time.Date(2026, 11, 1, 0, 0, 0, 5e8, time.UTC),
		`"1 Nov 2026"`:                  {},
		`"2026-11-01"`:                  {},
	} {
		k, err := recoverykit.ReadKeyFile(strings.NewReader(swap(`"2026-11-01T00:00:00Z"`, in)))
		if err != nil || !k.Created.Equal(want) {
			t.Errorf("created %s: read as %v, %v; want %v", in, k.Created, err, want)
		}
	}
	refused := map[string]struct{ in, says string }{
		"algorithm other":       {swap(`"DBK1"`, `"DBK2"`), "algorithm"},
		"algorithm lower case":  {swap(`"DBK1"`, `"dbk1"`), "algorithm"},
		"algorithm missing":     {swap(`"algorithm": "DBK1",`, ``), `"algorithm" is missing`},
		"format other":          {swap(`"dbkeep-key-v1"`, `"dbkeep-key-v2"`), "format"},
		"keyId missing":         {swap(`"keyId": "d854cf5b759be0da",`, ``), `"keyId" is missing`},
		"keyId of another key":  {swap(`d854cf5b759be0da`, `d854cf5b759be0db`), "not the id"},
		"key missing":           {swap(`"key": "`+docKey+`",`, ``), `"key" is missing`},
		"key unpadded":          {swap(docKey, strings.TrimSuffix(docKey, "=")), "base64"},
		"key URL alphabet":      {swap(docKey, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8_"), "base64"},
		"key with a line break": {swap(docKey, docKey[:20]+`\n`+docKey[20:]), "line break"},
		"key with a space":      {swap(docKey, docKey[:20]+" "+docKey[20:]), "base64"},
		"key padding bits":      {swap(docKey, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="), "base64"},
		"key 31 bytes":          {swap(docKey, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="), "31 bytes"},
		"key 33 bytes":          {swap(docKey, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"), "33 bytes"},
		"key a number":          {swap(`"`+docKey+`"`, `12`), `"key"`},
		"key name in capitals":  {swap(`"key":`, `"KEY":`), `"key" is missing`},
		"key twice":             {swap(`"profile": "Offsite",`, `"key": "`+docKey+`",`), "twice"},
		"profileId a string":    {swap(`"profileId": 7`, `"profileId": "7"`), `"profileId"`},
		"profileId a fraction":  {swap(`"profileId": 7`, `"profileId": 7.0`), `"profileId": a JSON number 7.0 where an integer`},
		"profileId exponent":    {swap(`"profileId": 7`, `"profileId": 7e0`), `"profileId"`},
		"profileId over int64":  {swap(`"profileId": 7`, `"profileId": 9223372036854775808`), `"profileId"`},
		"created a number":      {swap(`"2026-11-01T00:00:00Z"`, `20261101`), `"created": a JSON number`},
		"an array":              {"[" + docKeyFile + "]", "not a JSON object"},
		"two objects":           {docKeyFile + docKeyFile, "after the JSON object"},
		"cut":                   {docKeyFile[:len(docKeyFile)/2], "JSON"},
		"empty":                 {"", "JSON"},
	}
	for name, tc := range refused {
		_, err := recoverykit.ReadKeyFile(strings.NewReader(tc.in))
		switch {
		case err == nil:
			t.Errorf("%s: accepted", name)
		case !strings.Contains(err.Error(), tc.says):
			t.Errorf("%s: error %q does not say %q", name, err, tc.says)
		case strings.Contains(err.Error(), "AAECAwQF"):
			t.Errorf("%s: error repeats the key: %v", name, err)
		}
	}
}

// TestKitEntryName: the key file's entry is dbkeep-key-<SafeName>.json at
// the kit's top level, and a reader finds it by that pattern alone.
func TestKitEntryName(t *testing.T) {
	for profile, want := range map[string]string{
		"Offsite":          "Offsite",
		"Offsite / tapes":  "Offsite-tapes",
		"../../etc/passwd": "etc-passwd",
		"Zürich Büro":      "Z-rich-B-ro",
		"a--b__c":          "a--b__c",
		"-x-":              "x",
		"日本":               "profile",
		"":                 "profile",
	} {
		if got := recoverykit.SafeName(profile); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", profile, got, want)
		}
		if got := recoverykit.KeyFileName(profile); got != "dbkeep-key-"+want+".json" {
			t.Errorf("KeyFileName(%q) = %q", profile, got)
		}
	}
	k, err := recoverykit.ReadKeyFile(strings.NewReader(docKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	// A profile name with little left of it still makes a kit that opens.
	k.Profile = "Z/ü"
	var kit bytes.Buffer
	if err := recoverykit.WriteKit(&kit, k); err != nil {
		t.Fatal(err)
	}
	got, err := recoverykit.ReadKit(bytes.NewReader(kit.Bytes()), int64(kit.Len()))
	if err != nil || got.KeyID != "d854cf5b759be0da" {
		t.Fatalf("kit of profile %q: %v", k.Profile, err)
	}
	// Readers go by the pattern, at the top level only, and want one match.
	for _, tc := range []struct {
		entries []string
		ok      bool
	}{
		{[]string{"README.txt", "dbkeep-key-renamed by hand.json"}, true},
		{[]string{"kit/dbkeep-key-Offsite.json"}, false},
		{[]string{"dbkeep-key-Offsite.json.bak", "key.json"}, false},
		{[]string{"dbkeep-key-a.json", "dbkeep-key-b.json"}, false},
	} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, name := range tc.entries {
			w, _ := zw.Create(name)
			w.Write([]byte(docKeyFile))
		}
		zw.Close()
		_, err := recoverykit.ReadKit(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if (err == nil) != tc.ok {
			t.Errorf("kit holding %q: %v", tc.entries, err)
		}
	}
}
