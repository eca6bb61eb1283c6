package main

// Choices, each for a backup's sake:
//
//   - The directory must exist unless "create" is set. A disk that is not
//     mounted leaves an empty mount point behind; creating the directory there
//     would fill the root filesystem with backups nobody finds. Missing, it is
//     reported as spec.ErrUnavailable: mounting it again makes calls work.
//   - Every file access goes through os.Root, which confines paths, symbolic
//     links included, to the directory: an object name cannot leave it and a
//     link pointing outside is refused (spec.ErrInvalidArgument), not followed.
//   - An upload is written to a hidden ".dbkeep-tmp-<random>" file in the
//     object's own folder, synced, renamed over the final name, and the folder
//     synced: after a crash the final name holds the old object or the whole
//     new one, never half of it. Temporary files are never listed, and names
//     using the prefix are refused so an object cannot be hidden by it.
//   - The upload holds an exclusive lock (flock) on its temporary file until
//     the rename. The kernel drops it when the process dies, even killed, so
//     a temporary file that can be locked is a crash's leftover: List removes
//     those in the folders it walks, Delete in the object's folder and Test
//     at the top level. Abandoning a set (list its prefix, delete what is
//     listed) thus leaves nothing, not even the killed upload's partial file.
//   - Files are created 0600 and folders 0700: a backup holds a database's
//     contents and only the user running dbkeep should read it.
//   - Deleting an object also removes the folders it leaves empty (up to the
//     directory itself), as does a sweep, so pruned or abandoned backup sets
//     do not leave a trail of empty folders.
//   - Usage reports the filesystem holding the directory (statfs): free space
//     is what decides whether the next backup fits, and summing the tree on
//     every call would be slow for large archives.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// version is the plugin's own version.
const version = "0.1.0"

const (
	filePerm = 0o600
	dirPerm  = 0o700
)

func plugin() sdk.Plugin {
	return sdk.Plugin{
		Name:        "local",
		DisplayName: "Local directory",
		Summary:     "Backups in a directory of this machine: a local disk, a mounted disk or a network share. Usage reports the filesystem holding it.",
		Version:     version,
		Schema: spec.Schema{Fields: []spec.Field{
			{
				Name: "path", Label: "Directory", Type: spec.String, Required: true,
				Help: "Absolute path of the folder that holds the backups. Files are written 0600 and folders 0700, readable only by the user running dbkeep. A partial file left by an upload that was killed is removed the next time its folder is listed (as removing the failed backup does).",
			},
			{
				Name: "create", Label: "Create the directory if missing", Type: spec.Bool, Default: "false",
				Help: "Off by default: a disk that is not mounted is then reported, instead of backups silently filling the filesystem under its mount point.",
			},
		}},
		Storage: &local{},
	}
}

// local is the storage; it keeps no state, everything comes with cfg.
type local struct{}

var (
	_ storage.Storage       = (*local)(nil)
	_ storage.UsageReporter = (*local)(nil)
	_ spec.ConfigValidator  = (*local)(nil)
)

// ValidateConfig refuses a relative path: it would depend on the plugin
// process's working directory, which the user does not control.
func (*local) ValidateConfig(_ context.Context, cfg spec.Config) error {
	var errs spec.ValidationError
	if p := cfg.String("path"); p != "" && !filepath.IsAbs(p) {
		errs.Add("path", "must be an absolute path")
	}
	return errs.Err()
}

// open returns the configured directory as a root all access goes through.
func open(cfg spec.Config) (*os.Root, error) {
	base := cfg.String("path")
	create, err := cfg.Bool("create")
	if err != nil {
		return nil, err
	}
	if create {
		if err := os.MkdirAll(base, dirPerm); err != nil {
			return nil, baseError(base, err)
		}
	}
	root, err := os.OpenRoot(base)
	if err != nil {
		return nil, baseError(base, err)
	}
	return root, nil
}

func baseError(base string, err error) error {
	if fi, serr := os.Stat(base); serr == nil && !fi.IsDir() {
		return fmt.Errorf("storage directory %s is not a directory: %w", base, spec.ErrUnavailable)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("storage directory %s does not exist (is the disk mounted? set \"create\" to create it): %w", base, spec.ErrUnavailable)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("storage directory %s: access denied to the user running dbkeep: %w", base, spec.ErrPermission)
	}
	return fmt.Errorf("storage directory %s: %w", base, err)
}

// objectError gives err, met while working on object name, its meaning.
func objectError(op, name string, err error) error {
	switch {
	case escapes(err):
		return fmt.Errorf("%s %s: a symbolic link leads out of the storage directory: %w", op, name, spec.ErrInvalidArgument)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%s %s: no such object: %w", op, name, spec.ErrNotFound)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s %s: %v: %w", op, name, err, spec.ErrPermission)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%s %s: the disk is full: %w", op, name, spec.ErrNoSpace)
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

// escapes reports os.Root's refusal of a path leaving the root, however
// deep in err. os does not export that error; the symlink tests pin its text.
func escapes(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if err.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}

func (l *local) Test(ctx context.Context, cfg spec.Config) (string, error) {
	root, err := open(cfg)
	if err != nil {
		return "", err
	}
	defer root.Close()
	// Probes and uploads of objects at the top level that a crash left: one
	// read of the top folder, cheap, where a walk of the tree would not be.
	sweepFolder(root, ".")
	// The probe is written as an upload is, under a locked temporary name,
	// so a probe left by a crash is never listed and is swept.
	f, probe, err := createTemp(root, ".")
	if err != nil {
		return "", objectError("write probe", storage.TempPrefix+"*", err)
	}
	_, err = fill(ctx, f, strings.NewReader("dbkeep write probe\n"))
	if rerr := root.Remove(probe); err == nil && rerr != nil {
		err = rerr
	}
	f.Close()
	if err != nil {
		return "", objectError("write probe", probe, err)
	}
	u, err := l.Usage(ctx, cfg)
	if err != nil {
		return "writable", nil
	}
	return fmt.Sprintf("writable, %s free of %s", storage.FormatSize(u.FreeBytes), storage.FormatSize(u.TotalBytes)), nil
}

func (l *local) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	root, err := open(cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer root.Close()
	dir := path.Dir(name)
	f, tmp, err := createTemp(root, dir)
	if err != nil {
		return storage.ObjectInfo{}, objectError("upload", name, err)
	}
	// f stays open, its lock held, until the rename: closed earlier, the
	// finished file could be swept as a crash's leftover.
	n, err := fill(ctx, f, r)
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		root.Remove(tmp)
		f.Close()
		return storage.ObjectInfo{}, objectError("upload", name, err)
	}
	if err := f.Close(); err != nil {
		return storage.ObjectInfo{}, objectError("upload", name, err)
	}
	if err := syncDir(root, dir); err != nil {
		return storage.ObjectInfo{}, objectError("upload", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: n}, nil
}

// fill copies r into f and makes it durable; f stays open, its lock held.
// It fails when r fails or ctx ends before the file is complete.
func fill(ctx context.Context, f *os.File, r io.Reader) (int64, error) {
	n, err := io.CopyBuffer(f, r, make([]byte, spec.ChunkSize))
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = f.Sync()
	}
	return n, err
}

// syncDir makes a rename in dir durable.
func syncDir(root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (l *local) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return nil, err
	}
	root, err := open(cfg)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		return nil, objectError("download", name, err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fs.ErrNotExist // a folder is not an object
	}
	if err == nil && req.Offset > 0 {
		_, err = f.Seek(req.Offset, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, objectError("download", name, err)
	}
	if req.Length == 0 {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, req.Length), f}, nil
}

func (l *local) List(ctx context.Context, cfg spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	prefix, err := storage.CleanPrefix(prefix)
	if err != nil {
		return err
	}
	root, err := open(cfg)
	if err != nil {
		return err
	}
	defer root.Close()
	// Walk only the deepest folder the prefix names whole.
	start := path.Dir(prefix + "x")
	// Folders in which dead temporary files were removed: once the walk is
	// over, they go too if that left them empty.
	swept := map[string]bool{}
	defer func() {
		for dir := range swept {
			removeEmpty(root, dir)
		}
	}()
	err = fs.WalkDir(root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll // nothing stored under the prefix
			}
			if escapes(err) {
				return nil // a link leading out is not ours to list
			}
			return objectError("list", p, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && !strings.HasPrefix(p+"/", prefix) && !strings.HasPrefix(prefix, p+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if storage.IsTemp(d.Name()) {
			if d.Type().IsRegular() && removeIfDead(root, p) {
				swept[path.Dir(p)] = true
			}
			return nil
		}
		if !strings.HasPrefix(p, prefix) {
			return nil
		}
		// Links are followed only inside the directory, as Download does.
		st, err := root.Stat(p)
		if err != nil || !st.Mode().IsRegular() {
			return nil
		}
		return fn(storage.ObjectInfo{Name: p, Size: st.Size(), Modified: st.ModTime().UTC()})
	})
	return err
}

func (l *local) Stat(ctx context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	root, err := open(cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer root.Close()
	st, err := regular(root, name)
	if err != nil {
		return storage.ObjectInfo{}, objectError("stat", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: st.Size(), Modified: st.ModTime().UTC()}, nil
}

// regular stats name, which must be a file: a folder is not an object.
func regular(root *os.Root, name string) (fs.FileInfo, error) {
	st, err := root.Stat(name)
	if err == nil && !st.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	return st, err
}

func (l *local) Delete(ctx context.Context, cfg spec.Config, name string) error {
	name, err := storage.CleanName(name)
	if err != nil {
		return err
	}
	root, err := open(cfg)
	if err != nil {
		return err
	}
	defer root.Close()
	if _, err := regular(root, name); err != nil {
		return objectError("delete", name, err)
	}
	if err := root.Remove(name); err != nil {
		return objectError("delete", name, err)
	}
	// Remove the folders left empty, dead temporary files aside: the last
	// object of a set whose upload was killed leaves the set's folder with
	// nothing but the killed upload's file. Only the object's own folder is
	// read; its parents may hold every set of a job.
	if dir := path.Dir(name); dir != "." {
		sweepFolder(root, dir)
		removeEmpty(root, dir)
	}
	return nil
}
