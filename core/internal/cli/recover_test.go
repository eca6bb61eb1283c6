package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/compress"
	"github.com/dbkeep/dbkeep/core/internal/dbk1"
	"github.com/dbkeep/dbkeep/core/internal/recoverykit"
)

// recoverFixture is a backup set on disk written the way the engine writes
// one (dump → compress → DBK1 → file, manifest last), and the key's files.
type recoverFixture struct {
	dir     string // the set directory
	keyFile string
	kit     string
	kf      recoverykit.KeyFile
	dumps   map[string][]byte // by output file name
	m       backupset.Manifest
}

// dumpBytes is a dump-like payload: SQL text, then random bytes (an
// embedded blob), then more text.
func dumpBytes(seed uint64, size int) []byte {
	rng := rand.New(rand.NewPCG(seed, 2))
	var b bytes.Buffer
	for b.Len() < size/2 {
		fmt.Fprintf(&b, "INSERT INTO orders VALUES (%d, 'item %d', %d);\n", rng.IntN(1e6), rng.IntN(500), rng.IntN(1e4))
	}
	blob := make([]byte, size/4)
	rand.NewChaCha8([32]byte{byte(seed)}).Read(blob)
	b.Write(blob)
	for b.Len() < size {
		fmt.Fprintf(&b, "-- row %d\n", rng.Uint64())
	}
	return b.Bytes()[:size]
}

func newRecoverFixture(t *testing.T) *recoverFixture {
	t.Helper()
	root := t.TempDir()
	f := &recoverFixture{dir: filepath.Join(root, "nightly", "20261127T010203Z_42"), dumps: map[string][]byte{}}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, dbk1.KeySize)
	for i := range key {
		key[i] = byte(i * 3)
	}
	kf, err := recoverykit.NewKeyFile("Offsite", 7, key, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	f.kf = kf
	f.keyFile = filepath.Join(root, "key.json")
	var buf bytes.Buffer
	kf.Encode(&buf)
	if err := os.WriteFile(f.keyFile, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := recoverykit.WriteKit(&buf, kf); err != nil {
		t.Fatal(err)
	}
	f.kit = filepath.Join(root, "kit.zip")
	if err := os.WriteFile(f.kit, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	f.m = backupset.Manifest{FormatVersion: backupset.FormatVersion, Job: backupset.JobRef{ID: 1, Name: "Nightly", Slug: "nightly"},
		ExecutionID: 42, Trigger: "manual", Created: time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC),
		Source: backupset.Source{Engine: "sqlite", ServerVersion: "3.46.0"}, Plugin: backupset.PluginRef{ID: "database-sqlite", Version: "0.1.0"}}
	seed := uint64(0)
	for _, alg := range compress.Algorithms() {
		for _, encrypted := range []bool{true, false} {
			seed++
			db := fmt.Sprintf("shop_%s_%v", alg, encrypted)
			size := 300_000 + int(seed)*10_007
			if seed == 3 {
				size = 0 // an empty database dumps to nothing
			}
			dump := dumpBytes(seed, size)
			f.add(t, db, "sql", alg, encrypted, dump)
		}
	}
	f.writeManifest(t)
	return f
}

// add writes one object the way the engine does and lists it.
func (f *recoverFixture) add(t *testing.T, db, ext string, alg compress.Algorithm, encrypted bool, dump []byte) {
	t.Helper()
	name, err := backupset.ObjectName(db, ext, string(alg), encrypted)
	if err != nil {
		t.Fatal(err)
	}
	var stored bytes.Buffer
	var sink interface {
		Write([]byte) (int, error)
		Close() error
	}
	if encrypted {
		if sink, err = dbk1.NewWriter(&stored, f.kf.Key); err != nil {
			t.Fatal(err)
		}
	}
	var cw interface {
		Write([]byte) (int, error)
		Close() error
	}
	if sink != nil {
		cw, err = compress.NewWriter(sink, alg, 0)
	} else {
		cw, err = compress.NewWriter(&stored, alg, 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cw.Write(dump); err != nil {
		t.Fatal(err)
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	if sink != nil {
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(f.dir, name), stored.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(stored.Bytes())
	obj := backupset.Object{Database: db, Name: name, Size: int64(stored.Len()), SHA256: hex.EncodeToString(sum[:]),
		PlainSize: int64(len(dump)), Dump: backupset.Dump{Format: "sql", Extension: ext}, Compression: backupset.Compression{Algorithm: string(alg)}}
	if encrypted {
		obj.Encryption = &backupset.Encryption{Algorithm: "DBK1", ProfileID: 7, KeyID: f.kf.KeyID, ChunkSize: dbk1.DefaultChunkSize}
	}
	f.m.Objects = append(f.m.Objects, obj)
	f.dumps[db+"."+ext] = dump
}

func (f *recoverFixture) writeManifest(t *testing.T) {
	t.Helper()
	var buf bytes.Buffer
	if err := f.m.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, backupset.ManifestName), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func recoverRun(args ...string) (string, string, error) {
	return runCtx(context.Background(), append([]string{"recover"}, args...)...)
}

// entries lists dir's files, hidden ones (temporary outputs) included.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

// TestRecoverSet recovers a whole set (every algorithm, encrypted and not)
// with the kit, and compares every output with its dump.
func TestRecoverSet(t *testing.T) {
	f := newRecoverFixture(t)
	out := filepath.Join(t.TempDir(), "restored")
	stdout, stderr, err := recoverRun("--kit", f.kit, "--out", out, "--json", f.dir)
	if err != nil {
		t.Fatalf("recover: %v\n%s", err, stderr)
	}
	var summary recoverSummary
	if err := json.Unmarshal([]byte(stdout), &summary); err != nil {
		t.Fatalf("summary: %v\n%s", err, stdout)
	}
	if len(summary.Objects) != len(f.dumps) {
		t.Fatalf("summary lists %d objects, want %d", len(summary.Objects), len(f.dumps))
	}
	for _, r := range summary.Objects {
		if !r.Verified {
			t.Errorf("%s: not verified against the manifest", r.Object)
		}
	}
	if got := entries(t, out); len(got) != len(f.dumps) {
		t.Fatalf("output holds %v, want %d files", got, len(f.dumps))
	}
	for name, dump := range f.dumps {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, dump) {
			t.Errorf("%s: %d bytes recovered differ from the %d-byte dump", name, len(got), len(dump))
		}
	}

	// Again: outputs exist, refused without --force, replaced with it.
	if _, _, err := recoverRun("--kit", f.kit, "--out", out, f.dir); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("existing outputs: %v", err)
	}
	if _, stderr, err := recoverRun("--key", f.keyFile, "--out", out, "--force", f.dir); err != nil {
		t.Fatalf("--force: %v\n%s", err, stderr)
	}
}

// TestRecoverObject: one object, with its manifest found beside it, into a
// file and to standard output; then without any manifest.
func TestRecoverObject(t *testing.T) {
	f := newRecoverFixture(t)
	obj := filepath.Join(f.dir, "shop_zstd_true.sql.zst.dbk")
	want := f.dumps["shop_zstd_true.sql"]
	out := filepath.Join(t.TempDir(), "shop.sql")
	stdout, stderr, err := recoverRun("--key", f.keyFile, "--out", out, obj)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "SHA-256 matches the manifest, every chunk authenticated") {
		t.Errorf("summary %q", stdout)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Fatal("recovered file differs from the dump")
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("output mode %v, want 0600 (a dump is as secret as the database)", st.Mode().Perm())
	}

	stdout, stderr, err = recoverRun("--key", f.keyFile, "--out", "-", filepath.Join(f.dir, "shop_gzip_false.sql.gz"))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if stdout != string(f.dumps["shop_gzip_false.sql"]) {
		t.Fatal("--out -: standard output differs from the dump")
	}
	if !strings.Contains(stderr, "shop_gzip_false.sql.gz -> -") {
		t.Errorf("--out -: summary not on stderr: %q", stderr)
	}

	// Alone, without manifest: the name and the magic say what it is.
	alone := t.TempDir()
	for _, name := range []string{"shop_brotli_true.sql.br.dbk", "shop_none_false.sql"} {
		raw, _ := os.ReadFile(filepath.Join(f.dir, name))
		os.WriteFile(filepath.Join(alone, name), raw, 0o644)
		out := filepath.Join(alone, "out-"+name)
		stdout, stderr, err := recoverRun("--kit", f.kit, "--out", out, filepath.Join(alone, name))
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, stderr)
		}
		if !strings.Contains(stdout, "no manifest") {
			t.Errorf("%s: summary does not say nothing was checked against a manifest: %q", name, stdout)
		}
		db := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, ".dbk"), ".br"), "")
		if got, _ := os.ReadFile(out); !bytes.Equal(got, f.dumps[db]) {
			t.Fatalf("%s: recovered bytes differ", name)
		}
	}
	// An encrypted object needs a key.
	if _, _, err := recoverRun("--out", filepath.Join(alone, "x"), filepath.Join(alone, "shop_brotli_true.sql.br.dbk")); err == nil || !strings.Contains(err.Error(), "--key FILE") {
		t.Fatalf("no key: %v", err)
	}
}

// TestRecoverFailures: each failure names the file and what failed, and
// leaves no output behind.
func TestRecoverFailures(t *testing.T) {
	f := newRecoverFixture(t)
	otherKey := t.TempDir() + "/other.json"
	okf, _ := recoverykit.NewKeyFile("Other", 8, bytes.Repeat([]byte{1}, 32), time.Now())
	var buf bytes.Buffer
	okf.Encode(&buf)
	os.WriteFile(otherKey, buf.Bytes(), 0o600)

	target := "shop_gzip_true.sql.gz.dbk"
	path := filepath.Join(f.dir, target)
	orig, _ := os.ReadFile(path)
	alone := t.TempDir()
	cases := []struct {
		name    string
		prepare func()
		input   string
		key     string
		want    []string
	}{
		{"wrong key, with manifest", func() {}, f.dir, otherKey, []string{"key id " + f.kf.KeyID, "key id " + okf.KeyID, `profile "Other"`}},
		{"wrong key, no manifest", func() { os.WriteFile(filepath.Join(alone, target), orig, 0o644) }, filepath.Join(alone, target), otherKey, []string{"wrong key"}},
		{"tampered", func() {
			bad := bytes.Clone(orig)
			bad[len(bad)/2] ^= 1
			os.WriteFile(path, bad, 0o644)
		}, f.dir, f.keyFile, []string{target, "sha256", "altered"}},
		{"truncated", func() { os.WriteFile(path, orig[:len(orig)-100], 0o644) }, f.dir, f.keyFile, []string{target, "size", "truncated"}},
		{"truncated, no manifest", func() { os.WriteFile(filepath.Join(alone, target), orig[:len(orig)-100], 0o644) }, filepath.Join(alone, target), f.keyFile, []string{target, "truncated"}},
		{"tampered, no manifest", func() {
			bad := bytes.Clone(orig)
			bad[len(bad)-5] ^= 0x40
			os.WriteFile(filepath.Join(alone, target), bad, 0o644)
		}, filepath.Join(alone, target), f.keyFile, []string{target, "corrupt", "fails authentication"}},
		{"missing object", func() { os.Remove(path) }, f.dir, f.keyFile, []string{target, "no such file"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.prepare()
			defer os.WriteFile(path, orig, 0o644)
			// A set's --out and its parent are missing: recover creates
			// them, and removes them again on failure.
			root := t.TempDir()
			out := filepath.Join(root, "new", "out")
			if fi, _ := os.Stat(tc.input); !fi.IsDir() {
				out = filepath.Join(root, "one.sql")
			}
			_, _, err := recoverRun("--key", tc.key, "--out", out, tc.input)
			if err == nil {
				t.Fatal("recovered")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			// DBK1 under the decompressor failed, not the decompression.
			for _, a := range compress.Algorithms() {
				if strings.Contains(err.Error(), string(a)+": dbk1") {
					t.Errorf("error %q blames %s for DBK1's failure", err, a)
				}
			}
			// Nothing is left behind: no output, no empty directory.
			if left := entries(t, root); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// TestRecoverFailureKeepsUsersDirectories: a failed recovery of a set
// removes the --out directories it created, and nothing else: not a
// directory that was there before, nor what is in it.
func TestRecoverFailureKeepsUsersDirectories(t *testing.T) {
	f := newRecoverFixture(t)
	target := filepath.Join(f.dir, f.m.Objects[len(f.m.Objects)-1].Name)
	os.Truncate(target, 10) // the last object: the others are recovered first
	root := t.TempDir()
	mine := filepath.Join(root, "mine")
	if err := os.Mkdir(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := recoverRun("--key", f.keyFile, "--out", mine, f.dir); err == nil {
		t.Fatal("recovered a truncated object")
	}
	if st, err := os.Stat(mine); err != nil || !st.IsDir() {
		t.Fatalf("the empty --out directory that existed before was removed: %v", err)
	}
	if left := entries(t, mine); len(left) != 0 {
		t.Errorf("left in --out: %v", left)
	}
	// --out created inside a directory of the user's: only --out goes.
	parent := filepath.Join(root, "a")
	os.Mkdir(parent, 0o755)
	os.WriteFile(filepath.Join(parent, "notes.txt"), []byte("mine"), 0o644)
	out := filepath.Join(parent, "b", "c")
	if _, _, err := recoverRun("--key", f.keyFile, "--out", out, f.dir); err == nil {
		t.Fatal("recovered a truncated object")
	}
	if left := entries(t, parent); len(left) != 1 || left[0] != "notes.txt" {
		t.Errorf("the user's directory holds %v, want only notes.txt", left)
	}
}

// TestRecoverHostileManifest: a manifest is data from the storage, not
// trusted. Object names that are not one path element are refused before
// anything is read; database names and extensions that are paths are
// escaped, so every output lands inside --out; a header that disagrees
// with the manifest is refused.
func TestRecoverHostileManifest(t *testing.T) {
	f := newRecoverFixture(t)
	orig := f.m
	restore := func() { f.m = orig; f.m.Objects = append([]backupset.Object(nil), orig.Objects...); f.writeManifest(t) }
	first := orig.Objects[0] // shop_zstd_true: encrypted
	// A file a climbing name would reach: recover must not read it.
	bait := filepath.Join(filepath.Dir(f.dir), "bait.sql.zst.dbk")
	raw, _ := os.ReadFile(filepath.Join(f.dir, first.Name))
	os.WriteFile(bait, raw, 0o644)

	for _, name := range []string{"../bait.sql.zst.dbk", "sub/x.dbk", `..\bait.sql.zst.dbk`, "..", ".", "", "x\x00.dbk", backupset.ManifestName, "/etc/passwd"} {
		t.Run(fmt.Sprintf("name %q", name), func(t *testing.T) {
			restore()
			f.m.Objects[0].Name = name
			f.writeManifest(t)
			out := filepath.Join(t.TempDir(), "out")
			_, _, err := recoverRun("--key", f.keyFile, "--out", out, f.dir)
			if err == nil || !strings.Contains(err.Error(), "objects[0].name") {
				t.Fatalf("manifest naming %q: %v", name, err)
			}
			if left := entries(t, out); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
	t.Run("name listed twice", func(t *testing.T) {
		restore()
		dup := f.m.Objects[0]
		dup.Database = "other"
		f.m.Objects = append(f.m.Objects, dup)
		f.writeManifest(t)
		if _, _, err := recoverRun("--key", f.keyFile, "--out", filepath.Join(t.TempDir(), "out"), f.dir); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Fatalf("a name listed twice: %v", err)
		}
	})

	// Databases and extensions that are paths: escaped into --out.
	t.Run("database and extension are paths", func(t *testing.T) {
		restore()
		hostile := map[string]string{ // database → extension
			"../../etc/x": "sql",
			"/abs/path":   "../../y",
			"..":          "..",
			"a\\b\x00c":   "sql",
		}
		i := 0
		for db, ext := range hostile {
			// The object's name ends in its extension, escaped (a manifest
			// whose name and fields disagree is refused).
			o := &f.m.Objects[i]
			name, err := backupset.ObjectName(db, ext, o.Compression.Algorithm, o.Encryption != nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(f.dir, o.Name), filepath.Join(f.dir, name)); err != nil {
				t.Fatal(err)
			}
			defer os.Rename(filepath.Join(f.dir, name), filepath.Join(f.dir, o.Name))
			o.Database, o.Dump.Extension, o.Name = db, ext, name
			i++
		}
		f.writeManifest(t)
		root := t.TempDir()
		out := filepath.Join(root, "a", "out")
		if _, stderr, err := recoverRun("--key", f.keyFile, "--out", out, f.dir); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		got := entries(t, out)
		if len(got) != len(f.m.Objects) {
			t.Fatalf("--out holds %v, want %d files", got, len(f.m.Objects))
		}
		for db, ext := range hostile {
			want, _ := backupset.ObjectName(db, ext, "none", false)
			if strings.ContainsAny(want, `/\`) || want == "." || want == ".." {
				t.Fatalf("%q.%q escapes to %q", db, ext, want)
			}
			if _, err := os.Stat(filepath.Join(out, want)); err != nil {
				t.Errorf("database %q: %v", db, err)
			}
		}
		// Nothing was written beside or above --out.
		if left := entries(t, filepath.Join(root, "a")); len(left) != 1 {
			t.Errorf("beside --out: %v", left)
		}
		if left := entries(t, root); len(left) != 1 {
			t.Errorf("above --out: %v", left)
		}
	})

	// The name's suffixes must say what the entry says: going by either
	// alone would decode the object wrongly.
	for name, change := range map[string]func(o *backupset.Object) []string{
		"encryption dropped": func(o *backupset.Object) []string {
			o.Encryption = nil
			return []string{`".dbk"`, `no "encryption"`}
		},
		"algorithm changed": func(o *backupset.Object) []string {
			o.Compression.Algorithm = "gzip"
			return []string{`".zst" (zstd)`, `compression.algorithm is "gzip"`}
		},
	} {
		t.Run(name, func(t *testing.T) {
			restore()
			says := change(&f.m.Objects[0])
			f.writeManifest(t)
			out := filepath.Join(t.TempDir(), "out")
			_, _, err := recoverRun("--key", f.keyFile, "--out", out, f.dir)
			if err == nil {
				t.Fatal("recovered")
			}
			for _, w := range append(says, first.Name, "objects[0]") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %s", err, w)
				}
			}
			// One object alone, its manifest beside it: refused alike.
			_, _, err = recoverRun("--key", f.keyFile, "--out", filepath.Join(t.TempDir(), "one.sql"), filepath.Join(f.dir, first.Name))
			if err == nil || !strings.Contains(err.Error(), says[0]) {
				t.Errorf("one object: %v", err)
			}
		})
	}

	// The header must say what the manifest says.
	for name, change := range map[string]func(e *backupset.Encryption){
		"chunkSize": func(e *backupset.Encryption) { e.ChunkSize = 4096 },
		"keyId":     func(e *backupset.Encryption) { e.KeyID = "6c77d5e2a1b0c3f4" },
	} {
		t.Run("header "+name, func(t *testing.T) {
			restore()
			enc := *f.m.Objects[0].Encryption
			change(&enc)
			f.m.Objects[0].Encryption = &enc
			f.writeManifest(t)
			out := filepath.Join(t.TempDir(), "out")
			_, _, err := recoverRun("--key", f.keyFile, "--out", out, f.dir)
			if err == nil || !strings.Contains(err.Error(), "encryption."+name) || !strings.Contains(err.Error(), first.Name) {
				t.Fatalf("manifest %s differs from the header: %v", name, err)
			}
			// The header and the key file agree: the manifest is wrong, not
			// the key file.
			if name == "keyId" && (!strings.Contains(err.Error(), "manifest was damaged or edited") || strings.Contains(err.Error(), "use the key file")) {
				t.Errorf("only the manifest's keyId altered: %v", err)
			}
			if left := entries(t, out); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
	// The wrong key file, and a manifest that names neither key: the
	// header says which key file is needed.
	t.Run("keyId altered, and the wrong key file", func(t *testing.T) {
		restore()
		enc := *f.m.Objects[0].Encryption
		enc.KeyID = "6c77d5e2a1b0c3f4"
		f.m.Objects[0].Encryption = &enc
		f.writeManifest(t)
		other, _ := recoverykit.NewKeyFile("Other", 8, bytes.Repeat([]byte{1}, 32), time.Now())
		var buf bytes.Buffer
		other.Encode(&buf)
		otherKey := filepath.Join(t.TempDir(), "other.json")
		os.WriteFile(otherKey, buf.Bytes(), 0o600)
		_, _, err := recoverRun("--key", otherKey, "--out", filepath.Join(t.TempDir(), "out"), f.dir)
		if err == nil {
			t.Fatal("recovered")
		}
		for _, w := range []string{first.Name, "header says it is encrypted under key id " + f.kf.KeyID, "key id " + other.KeyID,
			`profile "Other"`, "use the key file of key id " + f.kf.KeyID, "6c77d5e2a1b0c3f4", "damaged or edited"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	})
	// plainSize, when given, is the dump's size.
	t.Run("plainSize", func(t *testing.T) {
		restore()
		f.m.Objects[0].PlainSize++
		f.writeManifest(t)
		out := filepath.Join(t.TempDir(), "out")
		if _, _, err := recoverRun("--key", f.keyFile, "--out", out, f.dir); err == nil || !strings.Contains(err.Error(), "the dump had") {
			t.Fatalf("plainSize off by one: %v", err)
		}
		if left := entries(t, out); len(left) != 0 {
			t.Errorf("left behind: %v", left)
		}
	})
}

// TestRecoverEmptyZstd: an empty dump, stored as one empty zstd frame,
// recovers as an empty file; a .zst object that holds no bytes at all (the
// DBK1 data empty) is refused as cut short, as `zstd -d` refuses it.
func TestRecoverEmptyZstd(t *testing.T) {
	f := newRecoverFixture(t)
	f.m.Objects = nil
	f.dumps = map[string][]byte{}
	f.add(t, "empty", "sql", compress.Zstd, true, nil)
	f.writeManifest(t)
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, err := recoverRun("--key", f.keyFile, "--out", out, f.dir); err != nil {
		t.Fatalf("an empty dump: %v\n%s", err, stderr)
	}
	if got, err := os.ReadFile(filepath.Join(out, "empty.sql")); err != nil || len(got) != 0 {
		t.Fatalf("an empty dump recovered as %d bytes, %v", len(got), err)
	}

	// The same object with DBK1 holding no data at all, not even a frame.
	var stored bytes.Buffer
	w, err := dbk1.NewWriter(&stored, f.kf.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	o := &f.m.Objects[0]
	if err := os.WriteFile(filepath.Join(f.dir, o.Name), stored.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(stored.Bytes())
	o.Size, o.SHA256 = int64(stored.Len()), hex.EncodeToString(sum[:])
	f.writeManifest(t)
	out = filepath.Join(t.TempDir(), "out")
	_, _, err = recoverRun("--key", f.keyFile, "--out", out, f.dir)
	if err == nil || !strings.Contains(err.Error(), o.Name) || !strings.Contains(err.Error(), "zstd: unexpected EOF") || !strings.Contains(err.Error(), "without a single frame") {
		t.Fatalf("a .zst object of no bytes: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed recovery left --out behind")
	}
}
