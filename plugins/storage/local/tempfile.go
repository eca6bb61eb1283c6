package main

import (
	"errors"
	"io/fs"
	"os"
	"path"

	"github.com/dbkeep/dbkeep/sdk/storage"
)

// An upload's temporary file is held by an exclusive lock from just after
// its creation until it is renamed or removed (lock_flock.go). The kernel
// drops the lock when the process ends, SIGKILL included, so a temporary
// file whose lock can be taken has no live writer: it is a crash's leftover
// and is removed at once, without an age threshold that a slow upload could
// outlive. List sweeps the folders it walks, Delete the object's own folder,
// Test the directory's top level (where its probe goes).

// errTaken reports that a sweeper removed, or is removing, the temporary
// file an upload just created and had not yet locked: it was taken for a
// dead one. The upload makes another.
var errTaken = errors.New("the temporary file was taken for a crash's leftover")

// createTemp creates a temporary file in dir (made if missing) and locks it,
// open for writing. The caller keeps it open until it is renamed or removed:
// closing it lets the next sweep remove it.
func createTemp(root *os.Root, dir string) (*os.File, string, error) {
	for attempt := 0; ; attempt++ {
		f, tmp, err := tryCreateTemp(root, dir)
		// A concurrent Delete or List removed the folder, empty, between
		// MkdirAll and the creation (ErrNotExist), or while MkdirAll made it
		// (ErrExist: it saw it missing, then made by another upload): make it
		// again. ErrExist of the file itself would be a random name drawn
		// twice: a new one is drawn.
		if err == nil || !(errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrExist) || errors.Is(err, errTaken)) || attempt == 7 {
			return f, tmp, err
		}
	}
}

func tryCreateTemp(root *os.Root, dir string) (*os.File, string, error) {
	if err := root.MkdirAll(dir, dirPerm); err != nil {
		return nil, "", err
	}
	tmp := path.Join(dir, storage.TempName())
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, createPerm)
	if err != nil {
		return nil, "", err
	}
	// A sweep leaves a fresh file alone (lock_flock.go), unless the writer
	// stalled for long before locking it: once locked, check that tmp is
	// still this file.
	err = claim(f)
	if err == nil && !names(root, tmp, f) {
		err = errTaken
	}
	if err != nil {
		if !errors.Is(err, errTaken) {
			root.Remove(tmp)
		}
		f.Close()
		return nil, "", err
	}
	return f, tmp, nil
}

// names reports whether p names the file open as f.
func names(root *os.Root, p string, f *os.File) bool {
	open, err := f.Stat()
	if err != nil {
		return false
	}
	named, err := root.Lstat(p)
	return err == nil && os.SameFile(open, named)
}

// sweepFolder removes the dead temporary files directly in dir and reports
// whether it removed any. It reads the folder in batches: memory stays
// bounded however many objects it holds.
func sweepFolder(root *os.Root, dir string) bool {
	d, err := root.Open(dir)
	if err != nil {
		return false
	}
	defer d.Close()
	swept := false
	for {
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			if e.Type().IsRegular() && storage.IsTemp(e.Name()) && removeIfDead(root, path.Join(dir, e.Name())) {
				swept = true
			}
		}
		if err != nil { // io.EOF at the end
			return swept
		}
	}
}

// removeEmpty removes dir and then its parents while they are empty, up to
// the storage directory itself, which stays. A folder that is not empty (or
// already gone, or just filled by an upload) ends it: an upload racing with
// it makes its folder again (createTemp). A symbolic link to a folder ends
// it too: Remove would take the link away, not an empty folder.
func removeEmpty(root *os.Root, dir string) {
	for ; dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		if fi, err := root.Lstat(dir); err != nil || !fi.IsDir() || root.Remove(dir) != nil {
			return
		}
	}
}
