package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

func TestParseServer(t *testing.T) {
	for _, tc := range []struct {
		version, comment string
		want             database.ServerInfo
	}{
		{"10.11.19-MariaDB-0+deb12u1", "Debian 12", database.ServerInfo{Engine: engineMariaDB, Version: "10.11.19", Edition: "Community (Debian 12)"}},
		{"11.4.2-MariaDB", "mariadb.org binary distribution", database.ServerInfo{Engine: engineMariaDB, Version: "11.4.2", Edition: "Community (mariadb.org binary distribution)"}},
		{"10.6.16-11-MariaDB-enterprise-log", "MariaDB Enterprise Server", database.ServerInfo{Engine: engineMariaDB, Version: "10.6.16", Edition: "Enterprise (MariaDB Enterprise Server)"}},
		{"8.0.36", "MySQL Community Server - GPL", database.ServerInfo{Engine: engineMySQL, Version: "8.0.36", Edition: "Community (MySQL Community Server - GPL)"}},
		{"8.4.0-commercial", "MySQL Enterprise Server - Commercial", database.ServerInfo{Engine: engineMySQL, Version: "8.4.0", Edition: "Enterprise (MySQL Enterprise Server - Commercial)"}},
		{"8.0.35-27", "Percona Server (GPL), Release 27", database.ServerInfo{Engine: engineMySQL, Version: "8.0.35", Edition: "Percona Server (Percona Server (GPL), Release 27)"}},
	} {
		if diff := cmp.Diff(tc.want, parseServer(tc.version, tc.comment)); diff != "" {
			t.Errorf("parseServer(%q, %q) (-want +got):\n%s", tc.version, tc.comment, diff)
		}
	}
}

func TestCmpVersion(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		parts int
		want  int
	}{
		{"10.11.19", "10.11.5", 2, 0},
		{"10.11.19", "10.11.5", 3, 1},
		{"11.4.2", "10.11.19", 2, 1},
		{"8.0.36", "8.4.0", 2, -1},
		{"10.2", "10.11", 2, -1}, // numeric, not lexical
	} {
		if got := cmpVersion(tc.a, tc.b, tc.parts); got != tc.want {
			t.Errorf("cmpVersion(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.parts, got, tc.want)
		}
	}
}

func TestClassifyTool(t *testing.T) {
	exit := errors.New("exit status 2")
	for _, tc := range []struct {
		stderr string
		want   error
	}{
		{"mariadb-dump: Got error: 1045: \"Access denied for user 'x'@'localhost' (using password: YES)\" when trying to connect", spec.ErrUnauthenticated},
		{"mysqldump: Got error: 1049: Unknown database 'nope' when selecting the database", spec.ErrNotFound},
		{"ERROR 2003 (HY000): Can't connect to MySQL server on '127.0.0.1' (111)", spec.ErrUnavailable},
		{"ERROR 1227 (42000) at line 40: Access denied; you need (at least one of) the SUPER, SET USER privilege(s) for this operation", spec.ErrPermission},
		{"mariadb-dump: u has insufficient privileges to SHOW CREATE FUNCTION `f`!", spec.ErrPermission},
	} {
		if err := classifyTool("tool", exit, tc.stderr); !errors.Is(err, tc.want) {
			t.Errorf("classifyTool(%q) = %v, want %v", tc.stderr, err, tc.want)
		}
	}
	if err := classifyTool("tool", exit, "ERROR 1146 (42S02) at line 3: Table 'd.nope' doesn't exist"); err == nil || errors.Is(err, spec.ErrNotFound) {
		t.Errorf("a failing statement = %v, want a plain error", err)
	}
}

func TestCompletedLine(t *testing.T) {
	for s, want := range map[string]bool{
		"...;\n\n-- Dump completed on 2026-11-27  3:23:19\n": true,
		"...;\n-- Dump completed\n":                          true,
		"...;\n-- Dump completed on 2026-11-27  3:23:19":     false, // cut before the last byte
		"...;\n-- Dump completed on 2026\nINSERT INTO t\n":   false,
		"-- Dump completed\n":                                false, // not at a line start
	} {
		if got := completed.MatchString(s); got != want {
			t.Errorf("completed(%q) = %v, want %v", s, got, want)
		}
	}
	tail := keepTail(nil, []byte("abc"))
	for range 300 {
		tail = keepTail(tail, []byte("0123456789"))
	}
	if len(tail) != tailSize || string(tail[len(tail)-10:]) != "0123456789" {
		t.Errorf("keepTail kept %d bytes ending %q", len(tail), tail[len(tail)-10:])
	}
}

// TestForwardStderrMasksShortPasswords: even a two-character password never
// reaches the log or the error's tail.
func TestForwardStderrMasksShortPasswords(t *testing.T) {
	rep := &logLines{}
	tail := forwardStderr(strings.NewReader("mariadb: connecting with password q!\nsecond q! line\n"), "mariadb", rep, "q!")()
	for _, s := range append(rep.lines, tail) {
		if strings.Contains(s, "q!") {
			t.Errorf("the password shows in %q", s)
		}
	}
	if len(rep.lines) != 2 || !strings.Contains(rep.lines[0], spec.Mask) {
		t.Errorf("log %q, want two lines with the password masked", rep.lines)
	}
}
