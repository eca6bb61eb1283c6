package recoverykit

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/docs"
)

// Names inside a kit.
const (
	KitFormatDoc  = "FORMAT.md"
	KitReadme     = "README.txt"
	keyFilePrefix = "dbkeep-key-"
)

// SafeName makes a profile name safe in a file name: letters, digits, '-'
// and '_' kept, runs of anything else become one '-'.
func SafeName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "profile"
	}
	return s
}

// KitFileName is the name a kit is downloaded as.
func KitFileName(profile string) string {
	return "dbkeep-recovery-kit-" + SafeName(profile) + ".zip"
}

// KeyFileName is the key file's name, in a kit or beside it.
func KeyFileName(profile string) string { return keyFilePrefix + SafeName(profile) + ".json" }

// WriteKit writes the recovery kit of k: the key file, the format
// specification and the instructions.
func WriteKit(w io.Writer, k KeyFile) error {
	var key bytes.Buffer
	if err := k.Encode(&key); err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, f := range []struct {
		name string
		body []byte
		mode os.FileMode
	}{
		{KeyFileName(k.Profile), key.Bytes(), 0o600},
		{KitReadme, []byte(readme(k)), 0o644},
		{KitFormatDoc, docs.Format, 0o644},
	} {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: k.Created}
		if h.Modified.IsZero() {
			h.Modified = time.Now().UTC()
		}
		h.SetMode(f.mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("recovery kit: %w", err)
		}
		if _, err := fw.Write(f.body); err != nil {
			return fmt.Errorf("recovery kit: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("recovery kit: %w", err)
	}
	return nil
}

// maxKit bounds a kit read from disk: a real one is ~30 KiB.
const maxKit = 16 << 20

// ReadKit returns the key file inside the kit r of size bytes.
func ReadKit(r io.ReaderAt, size int64) (KeyFile, error) {
	if size > maxKit {
		return KeyFile{}, fmt.Errorf("recovery kit: %d bytes, larger than a kit can be", size)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return KeyFile{}, fmt.Errorf("recovery kit: not a zip file: %w", err)
	}
	var found *zip.File
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, keyFilePrefix) && strings.HasSuffix(f.Name, ".json") && !strings.ContainsAny(f.Name, `/\`) {
			if found != nil {
				return KeyFile{}, fmt.Errorf("recovery kit: holds two key files (%s, %s): give the one you mean with --key", found.Name, f.Name)
			}
			found = f
		}
	}
	if found == nil {
		return KeyFile{}, fmt.Errorf("recovery kit: no %s*.json key file inside", keyFilePrefix)
	}
	rc, err := found.Open()
	if err != nil {
		return KeyFile{}, fmt.Errorf("recovery kit: %s: %w", found.Name, err)
	}
	defer rc.Close()
	k, err := ReadKeyFile(rc)
	if err != nil {
		return KeyFile{}, fmt.Errorf("recovery kit: %s: %w", found.Name, err)
	}
	return k, nil
}

// LoadKeyFile reads the key file at path.
func LoadKeyFile(path string) (KeyFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return KeyFile{}, err
	}
	defer f.Close()
	k, err := ReadKeyFile(f)
	if err != nil {
		return KeyFile{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadKit reads the key file inside the kit at path.
func LoadKit(path string) (KeyFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return KeyFile{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return KeyFile{}, err
	}
	k, err := ReadKit(f, st.Size())
	if err != nil {
		return KeyFile{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
