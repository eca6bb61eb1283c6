package storage

import (
	"errors"
	"strings"
	"testing"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

func TestCleanName(t *testing.T) {
	for name, want := range map[string]string{
		"a":          "a",
		"a/b/c.sql":  "a/b/c.sql",
		"a//b/./c":   "a/b/c",
		"job/x.dbk/": "job/x.dbk",
	} {
		if got, err := CleanName(name); err != nil || got != want {
			t.Errorf("CleanName(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"", "/abs", "..", "../x", "a/../../b", "a\\b", "a\x00b", ".", TempName(), "a/" + TempPrefix + "x/b"} {
		if got, err := CleanName(name); !errors.Is(err, spec.ErrInvalidArgument) {
			t.Errorf("CleanName(%q) = %q, %v; want ErrInvalidArgument", name, got, err)
		}
	}
}

func TestTempNames(t *testing.T) {
	a, b := TempName(), TempName()
	if a == b || !strings.HasPrefix(a, TempPrefix) || !IsTemp("dir/"+a) || IsTemp("dir/db.sql") {
		t.Errorf("TempName gave %q and %q", a, b)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 12 << 30: "12.0 GiB", 3 << 50: "3.0 PiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
