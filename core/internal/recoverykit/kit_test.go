package recoverykit_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/recoverykit"
	"github.com/dbkeep/dbkeep/core/internal/seal"
	"github.com/dbkeep/dbkeep/docs"
)

func TestKitRoundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	k, err := recoverykit.NewKeyFile("Offsite / tapes", 4, key, time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(k.String(), k.KeyID) == false || strings.Contains(k.String(), "BwcH") {
		t.Fatalf("String: %s", k)
	}
	var kit bytes.Buffer
	if err := recoverykit.WriteKit(&kit, k); err != nil {
		t.Fatal(err)
	}
	got, err := recoverykit.ReadKit(bytes.NewReader(kit.Bytes()), int64(kit.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Key, key) || got.KeyID != seal.Fingerprint(key) || got.Profile != "Offsite / tapes" || got.ProfileID != 4 {
		t.Fatalf("read back %s", got)
	}
	if recoverykit.KitFileName(k.Profile) != "dbkeep-recovery-kit-Offsite-tapes.zip" {
		t.Fatalf("kit name %q", recoverykit.KitFileName(k.Profile))
	}
	if len(docs.Format) < 1000 {
		t.Fatal("the embedded format document is empty")
	}
}

func TestKeyFileChecks(t *testing.T) {
	key := bytes.Repeat([]byte{9}, 32)
	k, _ := recoverykit.NewKeyFile("p", 1, key, time.Now())
	var buf bytes.Buffer
	k.Encode(&buf)
	if _, err := recoverykit.ReadKeyFile(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(buf.Bytes(), &m)
	for name, change := range map[string]func(map[string]any){
		"altered key": func(m map[string]any) { m["key"] = "CAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg=" },
		"short key":   func(m map[string]any) { m["key"] = "CAgI" },
		"format":      func(m map[string]any) { m["format"] = "other" },
	} {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		change(c)
		raw, _ := json.Marshal(c)
		if _, err := recoverykit.ReadKeyFile(bytes.NewReader(raw)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "CQkJ") || strings.Contains(err.Error(), "CAgI") {
			t.Errorf("%s: error repeats the key: %v", name, err)
		}
	}
	if _, err := recoverykit.ReadKeyFile(strings.NewReader(`{"key": "oops`)); err == nil || strings.Contains(err.Error(), "oops") {
		t.Errorf("broken JSON: %v", err)
	}
}
