package dbk1

import (
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The test vector of docs/format.md: a published key, salt and nonce
// prefix, so a third-party decryptor can check itself against it, and this
// test fails if the code and the document ever disagree.
var (
	vectorKey       = seq(0x00, 32) // 00 01 02 … 1f
	vectorRandom    = seq(0x40, saltSize+prefixSize)
	vectorPlaintext = []byte("dbkeep test vector!\n")
)

const vectorChunkSize = 16

func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func vectorObject(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := newWriter(&buf, vectorKey, vectorChunkSize, bytes.NewReader(vectorRandom))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(vectorPlaintext)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVectorInFormatDoc(t *testing.T) {
	obj := vectorObject(t)
	r, err := NewReader(bytes.NewReader(obj), vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, vectorPlaintext) {
		t.Fatalf("vector reads back %q, %v", got, err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "format.md"))
	if err != nil {
		t.Fatal(err)
	}
	// Every 16-byte row of the object, as the document's hex dump shows it.
	for off := 0; off < len(obj); off += 16 {
		row := hex.EncodeToString(obj[off:min(off+16, len(obj))])
		var spaced []string
		for i := 0; i < len(row); i += 2 {
			spaced = append(spaced, row[i:i+2])
		}
		if line := strings.Join(spaced, " "); !bytes.Contains(doc, []byte(line)) {
			t.Errorf("docs/format.md lacks the vector's bytes %d..%d: %s", off, off+15, line)
		}
	}
	aesKey, check, _ := deriveKeys(vectorKey, vectorRandom[:saltSize])
	for name, v := range map[string][]byte{"object key": aesKey, "key check": check, "key id": keyID(vectorKey)} {
		if !bytes.Contains(doc, []byte(hex.EncodeToString(v))) {
			t.Errorf("docs/format.md lacks the vector's %s %x", name, v)
		}
	}
}

// TestPrintVector prints the vector for the document: go test -run
// PrintVector -v ./core/internal/dbk1/
func TestPrintVector(t *testing.T) {
	obj := vectorObject(t)
	aesKey, check, _ := deriveKeys(vectorKey, vectorRandom[:saltSize])
	t.Logf("key id %x\nobject key %x\nkey check %x\n%s", keyID(vectorKey), aesKey, check, hex.Dump(obj))
}
