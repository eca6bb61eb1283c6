// Package backupset names the objects of a backup set and defines its
// manifest (DESIGN §3, docs/format.md "Backup sets").
//
// A set lives under one prefix per execution and destination:
//
//	<job-slug>/<UTC timestamp>_<execution id>/
//	    <database>.<ext>[.zst|.gz|.br][.dbk]   one object per database
//	    manifest.json                           written last
//
// A prefix without manifest.json is an incomplete set: it is never listed as
// a backup, and it is removed once older than a grace period.
package backupset

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ManifestName is the last object written to a set; its presence makes the
// set complete.
const ManifestName = "manifest.json"

// timestampLayout is the set prefix's UTC timestamp: ISO 8601 basic format,
// without colons (refused by SMB and awkward in URLs), sorting as text sorts
// by time.
const timestampLayout = "20060102T150405Z"

// Prefix returns the prefix of the set an execution writes, with its
// trailing slash.
func Prefix(jobSlug string, created time.Time, executionID int64) string {
	return fmt.Sprintf("%s/%s_%d/", jobSlug, created.UTC().Format(timestampLayout), executionID)
}

// ParsedPrefix is what a set prefix says.
type ParsedPrefix struct {
	JobSlug     string
	Created     time.Time
	ExecutionID int64
}

// ParsePrefix reads a set prefix written by Prefix (with or without its
// trailing slash); ok is false for anything else.
func ParsePrefix(prefix string) (p ParsedPrefix, ok bool) {
	prefix = strings.TrimSuffix(prefix, "/")
	slug, rest, found := strings.Cut(prefix, "/")
	if !found || slug == "" || strings.Contains(rest, "/") {
		return ParsedPrefix{}, false
	}
	ts, id, found := strings.Cut(rest, "_")
	if !found {
		return ParsedPrefix{}, false
	}
	created, err := time.Parse(timestampLayout, ts)
	if err != nil {
		return ParsedPrefix{}, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return ParsedPrefix{}, false
	}
	return ParsedPrefix{JobSlug: slug, Created: created, ExecutionID: n}, true
}

// Compression suffixes of object names.
var compressionSuffix = map[string]string{"zstd": ".zst", "gzip": ".gz", "brotli": ".br", "none": ""}

// EncryptedSuffix ends the name of an object in the DBK1 format.
const EncryptedSuffix = ".dbk"

// ObjectName returns the name, inside its set, of the object holding one
// database's dump: the database name escaped (EscapeName), the dump's
// extension, then the compression and encryption suffixes.
func ObjectName(database, extension, compression string, encrypted bool) (string, error) {
	suffix, ok := compressionSuffix[compression]
	if !ok {
		return "", fmt.Errorf("unknown compression %q", compression)
	}
	name := EscapeName(database)
	if extension != "" {
		name += "." + EscapeName(extension)
	}
	name += suffix
	if encrypted {
		name += EncryptedSuffix
	}
	return name, nil
}

// EscapeName makes a database name safe as one element of an object name on
// every storage backend: ASCII letters, digits, '-' and '_' are kept, '.' is
// kept except in first place (no hidden files, no "..", no collision with
// temporary objects), and every other byte becomes %XX, so that two
// different names never escape alike and the original can be read back.
// The empty name becomes "%".
func EscapeName(s string) string {
	if s == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		case c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
