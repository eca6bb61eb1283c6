package main

import (
	"database/sql"
	"os/exec"
	"testing"
)

// awkwardWords are strings a shell would otherwise split, expand or run.
var awkwardWords = []string{
	"", "plain", "with space", "two  spaces\tand tab", "it's", "'", "''", `"double"`, `back\slash`,
	"$(touch /tmp/dbkeep-pwned)", "`touch /tmp/dbkeep-pwned`", "${HOME}", "$HOME", "a;b", "a|b", "a&b", "a>b",
	"-leading-dash", "--", "-", "*", "?", "[a]", "~", "~root", "!", "#comment", "line\nbreak", "ünïcode 🚀", "'\\''",
}

// TestShellQuote runs every quoted word through a real POSIX shell and
// checks that the shell hands back exactly the word, one argument.
func TestShellQuote(t *testing.T) {
	for _, w := range awkwardWords {
		out, err := exec.Command("sh", "-c", `printf '%s|' `+shellQuote(w)+` "$@"`, "sh").Output()
		if err != nil {
			t.Fatalf("sh for %q: %v", w, err)
		}
		if got := string(out); got != w+"|" {
			t.Errorf("shellQuote(%q) came back as %q", w, got)
		}
	}
}

func TestSQLQuote(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, w := range awkwardWords {
		var got string
		if err := db.QueryRow("SELECT " + sqlQuote(w)).Scan(&got); err != nil {
			t.Fatalf("SELECT %s: %v", sqlQuote(w), err)
		}
		if got != w {
			t.Errorf("sqlQuote(%q) came back as %q", w, got)
		}
	}
}
