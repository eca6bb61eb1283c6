package recoverykit

import (
	"fmt"
	"strings"
	"time"
)

// readmeWidth is the width README.txt is wrapped at: plain text, read in
// any terminal or editor.
const readmeWidth = 78

// readme is README.txt of the kit of k. Profile and file names are the
// user's and of any length, so the text is wrapped after they are filled
// in, and commands are cut with a shell line continuation.
func readme(k KeyFile) string {
	keyFile, kit := KeyFileName(k.Profile), KitFileName(k.Profile)
	created := "unknown"
	if !k.Created.IsZero() {
		// As the key file writes it: to the nanosecond it holds.
		created = k.Created.UTC().Format(time.RFC3339Nano)
	}
	var b strings.Builder
	b.WriteString("dbkeep recovery kit\n===================\n\n")
	for _, f := range [][2]string{
		{"Encryption profile:", fmt.Sprintf("%s (id %d)", k.Profile, k.ProfileID)},
		{"Key id:", k.KeyID},
		{"Created:", created},
	} {
		b.WriteString(wrap(fmt.Sprintf("%-20s", f[0]), strings.Repeat(" ", 20), f[1]))
	}
	b.WriteString("\n")
	b.WriteString(paragraph(`This kit opens every backup encrypted under this profile, without the
dbkeep server, its state database or its plugins. Keep it offline and
private: ` + keyFile + ` holds the key itself. Anyone with this file can
read those backups; without it, nobody can (dbkeep included, if its state
is lost).`))

	b.WriteString("\nFiles\n-----\n")
	for _, f := range [][2]string{
		{keyFile, `the profile key (JSON; "key" is the 32-byte key in base64)`},
		{KitReadme, "this file"},
		{KitFormatDoc, "the byte-level format of backup sets, manifests and DBK1 encrypted objects"},
	} {
		b.WriteString(f[0] + "\n")
		b.WriteString(wrap("    ", "    ", f[1]))
	}

	b.WriteString("\nRecover with dbkeep\n-------------------\n")
	b.WriteString(paragraph(`The dbkeep binary recovers offline. A whole backup set (a directory
holding manifest.json and the objects, copied from any destination):`))
	b.WriteString("\n" + command("dbkeep recover", "--kit "+kit, "--out restored/", "path/to/set/") + "\n")
	b.WriteString(paragraph(`One object (its manifest is used when it lies beside it):`))
	b.WriteString("\n" + command("dbkeep recover", "--key "+keyFile, "--out shop.sql", "path/to/set/shop.sql.zst.dbk") + "\n")
	b.WriteString(paragraph(`dbkeep checks every object's size and SHA-256 against the manifest,
that the key id matches, and every encrypted chunk, before it names an
output file; a failed recovery leaves no output behind. --out - writes one
object to standard output as it is authenticated: if dbkeep then exits
with an error, discard what it wrote. --json prints a summary; --force
overwrites.`))

	b.WriteString("\nRecover without dbkeep\n----------------------\n")
	b.WriteString(paragraph(KitFormatDoc + ` specifies the DBK1 format byte by byte (section "DBK1
encrypted objects"): a 96-byte header, a per-object key derived with
HKDF-SHA256 from the profile key, then AES-256-GCM chunks. With the key
from the key file, any language's standard cryptography library decrypts
an object; the data is whole only once its final chunk has authenticated.
Then decompress according to the name's suffix (.zst: zstd -d, .gz:
gunzip, .br: brotli -d) and restore the dump with the database's own
tools.`))
	return b.String()
}

// paragraph wraps text (its line breaks are spaces) at readmeWidth.
func paragraph(text string) string { return wrap("", "", text) }

// wrap fills text's words into lines of at most readmeWidth columns, the
// first starting with first and the others with indent; a word longer than
// a line gets a line of its own rather than being cut.
func wrap(first, indent, text string) string {
	var b strings.Builder
	line := first
	empty := true // no word on line yet
	for _, w := range strings.Fields(text) {
		if !empty && len([]rune(line))+1+len([]rune(w)) > readmeWidth {
			b.WriteString(line + "\n")
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	b.WriteString(line + "\n")
	return b.String()
}

// command is a shell command of words (an option with its value is one
// word), indented, filled into lines of readmeWidth columns cut with
// backslash line continuations.
func command(words ...string) string {
	var b strings.Builder
	line := "    " + words[0]
	for _, w := range words[1:] {
		if len([]rune(line))+1+len([]rune(w))+len(" \\") > readmeWidth {
			b.WriteString(line + " \\\n")
			line = "        " + w
			continue
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	return b.String()
}
