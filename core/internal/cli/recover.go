package cli

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dbkeep/dbkeep/core/internal/backupset"
	"github.com/dbkeep/dbkeep/core/internal/compress"
	"github.com/dbkeep/dbkeep/core/internal/dbk1"
	"github.com/dbkeep/dbkeep/core/internal/recoverykit"
)

// recoverOpts are the flags of `dbkeep recover`.
type recoverOpts struct {
	keyFile  string
	kitFile  string
	manifest string
	out      string
	force    bool
	asJSON   bool
}

// newRecoverCmd: decrypt and decompress backups offline, with a key file or
// a recovery kit and nothing else — no state, no plugins, no network.
func newRecoverCmd() *cobra.Command {
	var o recoverOpts
	cmd := &cobra.Command{
		Use:   "recover [flags] OBJECT|SET-DIRECTORY",
		Short: "Decrypt and decompress a backup object or set offline, with a key file or recovery kit",
		Long: `Recover turns stored backup objects back into dumps, offline: it needs the
objects, their manifest.json when there is one, and for encrypted objects the
profile's key file (--key) or recovery kit (--kit). It uses no state
database, no plugin and no network.

With a manifest (given with --manifest, or manifest.json beside the object or
in the set directory) every object's size and SHA-256 are checked against it,
and its name, compression and encryption against each other; an encrypted
object's key id is checked against its header. Every encrypted chunk is
authenticated. The output is written to a temporary file beside it and named
only once all of that passed: a failed recovery leaves no output behind (nor
the --out directory, if recover created it).

A set directory is recovered into the --out directory, one <database>.<ext>
file per object (both escaped as object names are: the file is always
inside --out); one object into the --out file, or to standard output with
--out -. Standard output receives the dump as its chunks are authenticated:
when recover then fails (non-zero exit status), what it wrote is not the
whole dump and must be discarded.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRecover(cmd, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.keyFile, "key", "", "the encryption profile's key file (JSON)")
	f.StringVar(&o.kitFile, "kit", "", "the encryption profile's recovery kit (zip)")
	f.StringVar(&o.manifest, "manifest", "", "the set's manifest.json (default: found beside the object or in the set directory)")
	f.StringVar(&o.out, "out", "", "output file (one object; - for standard output) or directory (a set)")
	f.BoolVar(&o.force, "force", false, "overwrite existing output files")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON summary")
	cmd.MarkFlagsMutuallyExclusive("key", "kit")
	return cmd
}

// recovered is one object's line of the summary.
type recovered struct {
	Object   string `json:"object"`
	Database string `json:"database,omitempty"`
	// Output is the file written, or "-" for standard output.
	Output      string `json:"output"`
	StoredSize  int64  `json:"storedSize"`
	SHA256      string `json:"sha256"`
	Verified    bool   `json:"verifiedAgainstManifest"`
	Encrypted   bool   `json:"encrypted"`
	KeyID       string `json:"keyId,omitempty"`
	Compression string `json:"compression"`
	Size        int64  `json:"size"`
}

type recoverSummary struct {
	Manifest string      `json:"manifest,omitempty"`
	Objects  []recovered `json:"objects"`
}

// job is one object to recover and where to.
type job struct {
	path   string
	entry  *backupset.Object // nil without a manifest
	output string
	tmp    string // the temporary output, renamed to output at the end
}

func runRecover(cmd *cobra.Command, o recoverOpts, input string) (err error) {
	if o.out == "" {
		return errors.New("--out is required: a file, a directory for a set, or - for standard output")
	}
	key, err := o.loadKey()
	if err != nil {
		return err
	}
	st, err := os.Stat(input)
	if err != nil {
		return err
	}
	var (
		jobs         []*job
		manifestPath string
	)
	if st.IsDir() {
		jobs, manifestPath, err = o.setJobs(input)
	} else {
		jobs, manifestPath, err = o.objectJob(input)
	}
	if err != nil {
		return err
	}
	summary := recoverSummary{Manifest: manifestPath}
	var created []string
	if st.IsDir() {
		if created, err = makeDirs(o.out); err != nil {
			return err
		}
	}
	// A failed recovery leaves no output behind: its temporary outputs are
	// removed, then the directories it created, if nothing else is in them.
	defer func() {
		for _, j := range jobs {
			if j.tmp != "" {
				os.Remove(j.tmp)
			}
		}
		if err != nil {
			removeEmptyDirs(created)
		}
	}()
	for _, j := range jobs {
		r, err := recoverOne(cmd, j, key, o)
		if err != nil {
			return fmt.Errorf("recover %s: %w", j.path, err)
		}
		summary.Objects = append(summary.Objects, r)
	}
	for _, j := range jobs {
		if err := j.commit(o.force); err != nil {
			return err
		}
	}
	report := cmd.OutOrStdout()
	if o.out == "-" {
		report = cmd.ErrOrStderr()
	}
	if o.asJSON {
		return writeJSON(report, summary)
	}
	for _, r := range summary.Objects {
		check := "SHA-256 matches the manifest"
		if !r.Verified {
			check = "no manifest: size and SHA-256 not checked"
		}
		if r.Encrypted {
			check += ", every chunk authenticated"
		}
		fmt.Fprintf(report, "%s -> %s (%d bytes; %s)\n", r.Object, r.Output, r.Size, check)
	}
	return nil
}

// loadKey reads the key file or kit, if one was given.
func (o recoverOpts) loadKey() (*recoverykit.KeyFile, error) {
	var (
		k   recoverykit.KeyFile
		err error
	)
	switch {
	case o.keyFile != "":
		k, err = recoverykit.LoadKeyFile(o.keyFile)
	case o.kitFile != "":
		k, err = recoverykit.LoadKit(o.kitFile)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &k, nil
}

func readManifest(path string) (backupset.Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return backupset.Manifest{}, err
	}
	defer f.Close()
	m, err := backupset.Decode(bufio.NewReader(io.LimitReader(f, 64<<20)))
	if err != nil {
		return backupset.Manifest{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// setJobs plans the recovery of the set in dir into the --out directory.
func (o recoverOpts) setJobs(dir string) ([]*job, string, error) {
	if o.out == "-" {
		return nil, "", errors.New("--out -: a set has several objects; give an output directory")
	}
	mpath := o.manifest
	if mpath == "" {
		mpath = filepath.Join(dir, backupset.ManifestName)
	}
	m, err := readManifest(mpath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s has no %s: the set is incomplete (or give --manifest); recover its objects one by one", dir, backupset.ManifestName)
	}
	if err != nil {
		return nil, "", err
	}
	var jobs []*job
	seen := map[string]string{}
	// backupset.Decode has refused object names that are not one path
	// element of the set, and names listed twice.
	for i := range m.Objects {
		e := &m.Objects[i]
		// The output's name is the database's and the extension's, escaped
		// as object names are: one path element, never "." or "..", so no
		// manifest can make it land outside --out.
		name, err := backupset.ObjectName(e.Database, e.Dump.Extension, "none", false)
		if err != nil {
			return nil, "", err
		}
		if other, dup := seen[name]; dup {
			return nil, "", fmt.Errorf("%s: objects %s and %s would both recover to %s", mpath, other, e.Name, name)
		}
		seen[name] = e.Name
		jobs = append(jobs, &job{path: filepath.Join(dir, e.Name), entry: e, output: filepath.Join(o.out, name)})
	}
	return jobs, mpath, o.checkOutputs(jobs)
}

// objectJob plans the recovery of one object into the --out file.
func (o recoverOpts) objectJob(path string) ([]*job, string, error) {
	if st, err := os.Stat(o.out); err == nil && st.IsDir() {
		return nil, "", fmt.Errorf("--out %s is a directory: give the output file's name", o.out)
	}
	j := &job{path: path, output: o.out}
	mpath := o.manifest
	if mpath == "" {
		beside := filepath.Join(filepath.Dir(path), backupset.ManifestName)
		if _, err := os.Stat(beside); err == nil {
			mpath = beside
		}
	}
	if mpath != "" {
		m, err := readManifest(mpath)
		if err != nil {
			return nil, "", err
		}
		base := filepath.Base(path)
		for i := range m.Objects {
			if m.Objects[i].Name == base {
				j.entry = &m.Objects[i]
			}
		}
		if j.entry == nil {
			return nil, "", fmt.Errorf("%s does not list %s: is it the manifest of this object's set?", mpath, base)
		}
	}
	return []*job{j}, mpath, o.checkOutputs([]*job{j})
}

// makeDirs creates the directory dir and its missing parents, and returns
// those it created, deepest first.
func makeDirs(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		removeEmptyDirs(missing)
		return nil, err
	}
	return missing, nil
}

// removeEmptyDirs removes the directories dirs, deepest first, each only
// if it is empty (os.Remove does not remove a directory holding anything):
// they are the ones recover created, and whatever else appeared in them
// is not recover's to remove.
func removeEmptyDirs(dirs []string) {
	for _, d := range dirs {
		if os.Remove(d) != nil {
			return
		}
	}
}

// checkOutputs fails early, before any work, on outputs that exist.
func (o recoverOpts) checkOutputs(jobs []*job) error {
	if o.force || o.out == "-" {
		return nil
	}
	for _, j := range jobs {
		if _, err := os.Lstat(j.output); err == nil {
			return fmt.Errorf("%s exists: give --force to overwrite it", j.output)
		}
	}
	return nil
}

// recoverOne streams the object through SHA-256, DBK1 and the decompressor
// into a temporary output (or, for --out -, to standard output after a
// first pass that checked the stored bytes).
func recoverOne(cmd *cobra.Command, j *job, kf *recoverykit.KeyFile, o recoverOpts) (recovered, error) {
	r := recovered{Object: filepath.Base(j.path), Output: j.output}
	if j.entry != nil {
		r.Database = j.entry.Database
	}
	encrypted, alg, err := describeObject(j)
	if err != nil {
		return r, err
	}
	r.Encrypted, r.Compression = encrypted, string(alg)
	// The key is checked against the object's header, not the manifest:
	// the header says which key the object needs (its checksum holds it),
	// and a manifest that says another is the one that is wrong.
	if encrypted && kf == nil {
		return r, errors.New("the object is encrypted: give the profile's key file (--key FILE) or recovery kit (--kit FILE.zip)")
	}

	var out io.Writer
	var tmp *os.File
	if o.out == "-" {
		// Standard output cannot be taken back: check the stored bytes first.
		if j.entry != nil {
			if _, _, err := sumFile(j); err != nil {
				return r, err
			}
		}
		out = cmd.OutOrStdout()
	} else {
		tmp, err = os.CreateTemp(filepath.Dir(j.output), ".dbkeep-recover-*.tmp")
		if err != nil {
			return r, err
		}
		j.tmp = tmp.Name()
		defer tmp.Close()
		out = tmp
	}

	f, err := os.Open(j.path)
	if err != nil {
		return r, err
	}
	defer f.Close()
	if j.entry != nil {
		// A size that differs says "truncated" before any decoding says less.
		if st, err := f.Stat(); err != nil {
			return r, err
		} else if st.Size() != j.entry.Size {
			return r, fmt.Errorf("size: the file has %d bytes, the manifest says %d (the object is truncated or not the one the manifest lists)", st.Size(), j.entry.Size)
		}
	}
	sum := sha256.New()
	counted := &countingReader{r: io.TeeReader(f, sum)}
	var plain io.Reader = bufio.NewReaderSize(counted, 256<<10)
	// With a manifest, an object whose bytes are not the stored ones is
	// said so first: the decoding error is only the symptom.
	failed := func(err error) (recovered, error) {
		if j.entry != nil {
			if _, cerr := io.Copy(io.Discard, counted); cerr == nil {
				if merr := matchManifest(j.entry, counted.n, sum); merr != nil {
					return r, fmt.Errorf("%w; decoding it failed too: %v", merr, err)
				}
			}
		}
		return r, err
	}
	if encrypted {
		dec, err := dbk1.OpenReader(plain, kf.Key)
		var wrong *dbk1.WrongKeyError
		if errors.As(err, &wrong) {
			return failed(wrongKeyFile(wrong, j.entry, kf))
		} else if err != nil {
			return failed(err)
		}
		if j.entry != nil {
			if err := matchHeader(j.entry.Encryption, dec.Header()); err != nil {
				return failed(err)
			}
		}
		r.KeyID = kf.KeyID
		plain = dec
	}
	n, err := decode(out, plain, alg)
	if err != nil {
		return failed(err)
	}
	if _, err := io.Copy(io.Discard, counted); err != nil {
		return r, err
	}
	r.Size, r.StoredSize, r.SHA256 = n, counted.n, hex.EncodeToString(sum.Sum(nil))
	if j.entry != nil {
		if err := matchManifest(j.entry, counted.n, sum); err != nil {
			return r, err
		}
		if j.entry.PlainSize > 0 && j.entry.PlainSize != n {
			return r, fmt.Errorf("recovered %d bytes, the manifest says the dump had %d", n, j.entry.PlainSize)
		}
		r.Verified = true
	}
	if tmp != nil {
		if err := tmp.Sync(); err != nil {
			return r, err
		}
		if err := tmp.Close(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// decode decompresses plain into out and reads plain to its end.
func decode(out io.Writer, plain io.Reader, alg compress.Algorithm) (int64, error) {
	dz, err := compress.NewReader(plain, alg)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, dz)
	dz.Close()
	if err != nil {
		return n, err
	}
	// The decompressor may stop at the end of its stream: what follows must
	// be nothing, and reading it to the end authenticates the final chunk.
	if extra, err := io.Copy(io.Discard, plain); err != nil {
		return n, err
	} else if extra > 0 {
		return n, fmt.Errorf("%d bytes follow the end of the %s stream: the object is damaged", extra, alg)
	}
	return n, nil
}

// describeObject says whether the object is encrypted and how it is
// compressed: from the manifest, else from its first bytes and its name.
func describeObject(j *job) (bool, compress.Algorithm, error) {
	if j.entry != nil {
		alg, err := compress.Parse(j.entry.Compression.Algorithm)
		if err != nil {
			return false, "", fmt.Errorf("manifest: compression.algorithm: %w", err)
		}
		if e := j.entry.Encryption; e != nil && e.Algorithm != "" && !strings.EqualFold(e.Algorithm, "DBK1") {
			return false, "", fmt.Errorf("manifest: encryption.algorithm %q is not one this dbkeep reads (DBK1)", e.Algorithm)
		}
		return j.entry.Encryption != nil, alg, nil
	}
	f, err := os.Open(j.path)
	if err != nil {
		return false, "", err
	}
	defer f.Close()
	magic := make([]byte, len(dbk1.Magic))
	n, _ := io.ReadFull(f, magic)
	encrypted := string(magic[:n]) == dbk1.Magic || strings.HasSuffix(j.path, backupset.EncryptedSuffix)
	return encrypted, compress.FromName(filepath.Base(j.path)), nil
}

// sumFile reads the object once and checks it against the manifest.
func sumFile(j *job) (int64, hash.Hash, error) {
	f, err := os.Open(j.path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	sum := sha256.New()
	n, err := io.Copy(sum, f)
	if err != nil {
		return 0, nil, err
	}
	return n, sum, matchManifest(j.entry, n, sum)
}

// wrongKeyFile says which key file the object needs: the one of the key id
// in its header, whatever the manifest says.
func wrongKeyFile(w *dbk1.WrongKeyError, e *backupset.Object, kf *recoverykit.KeyFile) error {
	also := ""
	if e != nil && !strings.EqualFold(e.Encryption.KeyID, w.ObjectKeyID) {
		also = fmt.Sprintf(" (the manifest's encryption.keyId, %s, is neither: the manifest was damaged or edited too)", e.Encryption.KeyID)
	}
	return fmt.Errorf("%w: the object's header says it is encrypted under key id %s, the key file holds key id %s (profile %q): use the key file of key id %s%s",
		dbk1.ErrWrongKey, w.ObjectKeyID, kf.KeyID, kf.Profile, w.ObjectKeyID, also)
}

// matchHeader checks that the manifest's encryption entry says what the
// object's DBK1 header says (docs/format.md "manifest.json"). The header
// has been opened with the key, so its key id is also the key file's.
func matchHeader(e *backupset.Encryption, h dbk1.Header) error {
	if !strings.EqualFold(e.KeyID, h.KeyID) {
		return fmt.Errorf("encryption.keyId: the manifest says %s, but the object's header and the key file agree on %s: the manifest's keyId does not match the object (the manifest was damaged or edited)", e.KeyID, h.KeyID)
	}
	if e.ChunkSize != h.ChunkSize {
		return fmt.Errorf("encryption.chunkSize: the manifest says %d, the object's header %d", e.ChunkSize, h.ChunkSize)
	}
	return nil
}

func matchManifest(e *backupset.Object, size int64, sum hash.Hash) error {
	if size != e.Size {
		return fmt.Errorf("size: the file has %d bytes, the manifest says %d (the object is truncated or not the one the manifest lists)", size, e.Size)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); !strings.EqualFold(got, e.SHA256) {
		return fmt.Errorf("sha256: the file's is %s, the manifest says %s (the object was altered or damaged)", got, e.SHA256)
	}
	return nil
}

// commit names the verified temporary output. Without --force, a link
// refuses an output that appeared meanwhile, where a rename would replace it.
func (j *job) commit(force bool) error {
	if j.tmp == "" {
		return nil
	}
	if force {
		if err := os.Rename(j.tmp, j.output); err != nil {
			return err
		}
	} else {
		if err := os.Link(j.tmp, j.output); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s exists: give --force to overwrite it", j.output)
			}
			return err
		}
		os.Remove(j.tmp)
	}
	j.tmp = ""
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
