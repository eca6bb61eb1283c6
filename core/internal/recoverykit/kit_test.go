package recoverykit_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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

// TestKitReadme: README.txt is plain text wrapped at 78 columns whatever
// the length of the profile's name, lists each file on a line of its own,
// gives commands a shell runs as shown, and says when the key was created
// as the key file does.
func TestKitReadme(t *testing.T) {
	for _, profile := range []string{"Main", "Offsite tapes kept in the Zürich vault, second copy (2026)"} {
		created := time.Date(2026, 11, 1, 10, 0, 0, 123e6, time.UTC)
		k, err := recoverykit.NewKeyFile(profile, 12345, bytes.Repeat([]byte{7}, 32), created)
		if err != nil {
			t.Fatal(err)
		}
		var kit bytes.Buffer
		if err := recoverykit.WriteKit(&kit, k); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		zr, err := zip.NewReader(bytes.NewReader(kit.Bytes()), int64(kit.Len()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			files[f.Name] = string(b)
		}
		readme := files[recoverykit.KitReadme]
		lines := strings.Split(strings.TrimSuffix(readme, "\n"), "\n")
		for i, line := range lines {
			// Only a name longer than a line, alone or as an option's
			// value, may make it longer.
			words := strings.Fields(strings.TrimSuffix(line, ` \`))
			unbreakable := len(words) == 1 || len(words) == 2 && strings.HasPrefix(words[0], "--")
			if utf8.RuneCountInString(line) > 78 && !unbreakable {
				t.Errorf("%s: line %d is %d columns: %q", profile, i+1, utf8.RuneCountInString(line), line)
			}
		}
		// The Created line says what the key file says.
		var kf struct{ Created string }
		if err := json.Unmarshal([]byte(files[recoverykit.KeyFileName(profile)]), &kf); err != nil || kf.Created != "2026-11-01T10:00:00.123Z" {
			t.Fatalf("key file created %q, %v", kf.Created, err)
		}
		if !strings.Contains(readme, "\nCreated:            "+kf.Created+"\n") {
			t.Errorf("%s: README.txt does not say Created: %s", profile, kf.Created)
		}
		// Files: each name on a line of its own, its description indented below.
		for _, name := range []string{recoverykit.KeyFileName(profile), recoverykit.KitReadme, recoverykit.KitFormatDoc} {
			i := slices.Index(lines, name)
			if i < 0 || i+1 == len(lines) || !strings.HasPrefix(lines[i+1], "    ") {
				t.Errorf("%s: Files does not list %s on a line of its own with its description below", profile, name)
			}
		}
		// The commands, their continuations joined, are what a shell runs.
		joined := strings.ReplaceAll(readme, " \\\n        ", " ")
		for _, cmd := range []string{
			"    dbkeep recover --kit " + recoverykit.KitFileName(profile) + " --out restored/ path/to/set/\n",
			"    dbkeep recover --key " + recoverykit.KeyFileName(profile) + " --out shop.sql path/to/set/shop.sql.zst.dbk\n",
		} {
			if !strings.Contains(joined, cmd) {
				t.Errorf("%s: README.txt lacks the command %q", profile, cmd)
			}
		}
		if t.Failed() {
			t.Logf("README.txt:\n%s", readme)
		}
	}
}
