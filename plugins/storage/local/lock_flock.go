//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"os"
	"syscall"
)

// lockWriter takes an upload's exclusive lock on the temporary file it just
// created. errTaken: a sweeper holds it and is removing the file. A
// filesystem that has no locks lets the upload go on unlocked; a sweep there
// cannot lock either, so it never removes the file.
func lockWriter(f *os.File) error {
	err := flock(f)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return errTaken
	case errors.Is(err, syscall.ENOLCK), errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.EINVAL):
		return nil
	}
	return err
}

// lockDead takes the lock on a temporary file found by a sweep and reports
// whether it got it: then no live upload writes the file. The lock is
// released when f is closed.
func lockDead(f *os.File) bool { return flock(f) == nil }

// flock tries LOCK_EX without waiting: a lock held is an answer, not
// something to wait for.
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
	return lerr
}
