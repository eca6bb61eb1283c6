//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// An upload creates its temporary file with no permission bits, locks it,
// and only then gives it filePerm. A sweep that finds a file it can lock
// therefore knows which of two things it is: with permissions, a file whose
// writer locked it and is gone; without, a file created an instant ago
// whose writer has not locked it yet (or died in that instant, which only
// an age tells). Without the mark a sweep would remove a fresh upload's
// file in the moment between its creation and its lock.

// createPerm is the mode a temporary file is created with.
const createPerm = 0

// unclaimedAge is how old a temporary file still without permissions must
// be to be a leftover: its writer locks it microseconds after creating it.
const unclaimedAge = time.Minute

// claim takes an upload's exclusive lock on the temporary file it just
// created, then gives it its permissions. errTaken: a sweeper holds the
// lock and is removing the file. A filesystem that has no locks lets the
// upload go on unlocked; a sweep there cannot lock either, so it never
// removes the file.
func claim(f *os.File) error {
	err := flock(f)
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return errTaken
	case err == nil, errors.Is(err, syscall.ENOLCK), errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.EINVAL):
		return givePerm(f)
	}
	return err
}

// givePerm gives f filePerm. Filesystems without Unix permissions (FAT and
// exFAT disks, some shares) refuse chmod but show every file with the
// mount's mode, never none: the upload goes on there, and only a file truly
// left without permissions is an error.
func givePerm(f *os.File) error {
	err := f.Chmod(filePerm)
	if err == nil {
		return nil
	}
	if fi, serr := f.Stat(); serr == nil && fi.Mode().Perm() != 0 {
		return nil
	}
	return err
}

// removeIfDead removes the temporary file p if it is a leftover (see above)
// and reports whether it did. Any failure leaves the file: it is only
// garbage, and the next sweep tries again.
func removeIfDead(root *os.Root, p string) bool {
	fi, err := root.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	if fi.Mode().Perm() == 0 {
		// Not claimed yet. If a stalled writer claims it after all, it sees
		// the file gone and makes another (tryCreateTemp).
		return time.Since(fi.ModTime()) > unclaimedAge && root.Remove(p) == nil
	}
	// Open for writing: on NFS an exclusive lock needs a writable
	// descriptor. Nothing is written.
	f, err := root.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if flock(f) != nil || !names(root, p, f) {
		return false // a live upload's, or no longer the file examined
	}
	return root.Remove(p) == nil
}

// flock tries LOCK_EX without waiting: a lock held is an answer, not
// something to wait for. The lock is released when f is closed, or when the
// process ends however it ends.
func flock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		for {
			lerr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
			if lerr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if lerr != nil {
		return &fs.PathError{Op: "flock", Path: f.Name(), Err: lerr}
	}
	return nil
}
