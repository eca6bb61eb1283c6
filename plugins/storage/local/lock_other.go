//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "os"

// Without flock(2) no sweep can tell a crash's temporary file from a live
// upload's, and no age tells it either (a dump may wait hours for a lock):
// temporary files are left, never listed, for the user to remove.

func lockWriter(*os.File) error { return nil }

func lockDead(*os.File) bool { return false }
