package seal

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	raw := make([]byte, KeySize)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	want, err := ParseKey(hex.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]string{
		"hex lower":    hex.EncodeToString(raw),
		"hex upper":    strings.ToUpper(hex.EncodeToString(raw)),
		"base64":       base64.StdEncoding.EncodeToString(raw),
		"base64 raw":   base64.RawStdEncoding.EncodeToString(raw),
		"base64 url":   base64.URLEncoding.EncodeToString(raw),
		"with newline": base64.StdEncoding.EncodeToString(raw) + "\n",
		"with spaces":  "  " + hex.EncodeToString(raw) + " ",
	}
	for name, in := range good {
		t.Run(name, func(t *testing.T) {
			k, err := ParseKey(in)
			if err != nil {
				t.Fatal(err)
			}
			if k.b != want.b {
				t.Fatal("decoded a different key")
			}
		})
	}
	secretLooking := "c2VjcmV0LXRoYXQtbXVzdC1ub3QtYmUtZWNob2Vk" // 30 bytes of base64
	bad := map[string]string{
		"empty":          "",
		"blank":          "   ",
		"short hex":      hex.EncodeToString(raw[:16]),
		"long hex":       hex.EncodeToString(append(raw, 1)),
		"base64 31":      base64.StdEncoding.EncodeToString(raw[:31]),
		"base64 33":      base64.StdEncoding.EncodeToString(append(raw, 1)),
		"not encoded":    "correct horse battery staple",
		"63 hex digits":  hex.EncodeToString(raw)[:63],
		"passphrase-ish": secretLooking,
	}
	for name, in := range bad {
		t.Run("bad "+name, func(t *testing.T) {
			_, err := ParseKey(in)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.TrimSpace(in) != "" && strings.Contains(err.Error(), strings.TrimSpace(in)) {
				t.Fatalf("error repeats the key: %v", err)
			}
		})
	}
}

func TestKeyNeverPrints(t *testing.T) {
	k, _ := GenerateKey()
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, k.Encode()) || strings.Contains(s, hex.EncodeToString(k.b[:])) {
			t.Fatalf("key printed: %s", s)
		}
	}
}

func TestLoadKey(t *testing.T) {
	envKey, _ := GenerateKey()

	t.Run("env wins and writes no file", func(t *testing.T) {
		dir := t.TempDir()
		k, src, path, err := LoadKey(envKey.Encode(), dir)
		if err != nil || src != FromEnv || path != "" || k.b != envKey.b {
			t.Fatalf("got src %v path %q err %v", src, path, err)
		}
		if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("key file written although the env key was set: %v", err)
		}
	})

	t.Run("bad env names the variable", func(t *testing.T) {
		_, _, _, err := LoadKey("too-short", t.TempDir())
		if err == nil || !strings.Contains(err.Error(), EnvKey) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("generated then reused", func(t *testing.T) {
		dir := t.TempDir()
		k1, src, path, err := LoadKey("", dir)
		if err != nil || src != Generated {
			t.Fatalf("first start: src %v err %v", src, err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode %04o, want 0600", st.Mode().Perm())
		}
		k2, src, _, err := LoadKey("", dir)
		if err != nil || src != FromFile || k2.b != k1.b {
			t.Fatalf("second start: src %v err %v same key %v", src, err, k2.b == k1.b)
		}
	})

	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660, 0o666} {
		t.Run(fmt.Sprintf("refuses mode %04o", mode), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, KeyFileName)
			if err := os.WriteFile(path, []byte(envKey.Encode()+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, _, _, err := LoadKey("", dir)
			if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), fmt.Sprintf("%04o", mode)) {
				t.Fatalf("got %v", err)
			}
		})
	}

	t.Run("accepts 0400", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, KeyFileName)
		if err := os.WriteFile(path, []byte(hex.EncodeToString(envKey.b[:])), 0o400); err != nil {
			t.Fatal(err)
		}
		k, src, _, err := LoadKey("", dir)
		if err != nil || src != FromFile || k.b != envKey.b {
			t.Fatalf("src %v err %v", src, err)
		}
	})

	t.Run("garbage key file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, KeyFileName)
		if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := LoadKey("", dir)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("key file is a directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, KeyFileName), 0o700); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := LoadKey("", dir); err == nil {
			t.Fatal("accepted a directory as key file")
		}
	})
}
